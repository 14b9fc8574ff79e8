"""The BSS's own database on SQLite and a real PostgreSQL: migrations, autogenerate in step,
aggregates round-tripping exactly (Decimals, aware UTC instants, price snapshots, terms)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from bss_bridge.domain import fulfilment
from bss_bridge.domain.ordering import place, plan_order
from bss_bridge.domain.party import TaxExemption
from bss_bridge.domain.pricing import RecurringCharge
from bss_bridge.domain.requests import ItemRequest
from bss_bridge.domain.window import Window
from bss_bridge.hub import store as hub_store
from bss_bridge.hub.store import HubStore, Published
from bss_bridge.service_layer.unit_of_work import UnitOfWork
from bss_bridge.storage import migrate
from bss_bridge.storage.engine import engine_for, sessions

from ..builders import T0, World, add, world

D = Decimal
H = timedelta(hours=1)


@pytest.fixture
def uow(database_url: str) -> Iterator[UnitOfWork]:
    engine = engine_for(database_url)
    migrate.upgrade(engine)
    yield UnitOfWork(sessions(engine))
    engine.dispose()


def stored_world(uow: UnitOfWork) -> World:
    w = world()
    w.account.terms = w.account.with_terms(
        tax_exemption=TaxExemption("FR", Window(T0, T0 + 24 * H), "C-1", "export"), credit_limit=D("1000.50")
    )
    with uow:
        uow.customers.add(w.customer)
        uow.accounts.add(w.account)
        for spec in w.specifications.values():
            uow.specifications.add(spec)
        for offering in sorted(w.offerings.values(), key=lambda o: o.is_bundle):
            uow.offerings.add(offering)
        uow.commit()
    return w


def test_upgrade_creates_only_bss_tables_and_is_repeatable(database_url: str) -> None:
    engine = engine_for(database_url)
    assert migrate.revision(engine) is None
    assert migrate.upgrade(engine) == (None, migrate.head())
    assert migrate.upgrade(engine) == (migrate.head(), migrate.head())
    tables = set(inspect(engine).get_table_names())
    assert "bss_alembic_version" in tables and "alembic_version" not in tables
    assert all(t.startswith("bss_") for t in tables)
    engine.dispose()


def test_autogenerate_finds_no_difference_between_tables_and_migrations(database_url: str) -> None:
    engine = engine_for(database_url)
    migrate.upgrade(engine)
    assert migrate.differences(engine) == []
    engine.dispose()


def test_parties_and_the_catalog_round_trip(uow: UnitOfWork) -> None:
    w = stored_world(uow)
    w.offerings["bia-100"].add_price("monthly", "EUR", RecurringCharge(D("89.0000")), T0 + 48 * H)
    with uow:
        offering = uow.offerings.get("bia-100")
        assert offering is not None
        offering.add_price("monthly", "EUR", RecurringCharge(D("89.0000")), T0 + 48 * H)
        uow.commit()
    with uow:
        customer, account = uow.customers.get("c1"), uow.accounts.get("a1")
        assert customer is not None and account is not None
        assert (customer.name, customer.engaged_party, customer.status) == (
            w.customer.name,
            w.customer.engaged_party,
            w.customer.status,
        )
        assert account.terms == w.account.terms and account.terms.credit_limit == D("1000.50")
        assert account.terms.tax_exemption is not None and account.terms.tax_exemption.valid_for.start == T0
        assert account.created_at.tzinfo is not None
        assert (
            uow.specifications.get("business-internet").characteristics
            == w.specifications["business-internet"].characteristics
        )  # type: ignore[union-attr]
        offerings = uow.offerings.all()
        for key, expected in w.offerings.items():
            loaded = offerings[key]
            assert (loaded.name, loaded.specification_id, loaded.bundled, loaded.fixed, loaded.valid_for) == (
                expected.name,
                expected.specification_id,
                expected.bundled,
                expected.fixed,
                expected.valid_for,
            )
            assert sorted(loaded.prices, key=lambda p: p.id) == sorted(expected.prices, key=lambda p: p.id)
        monthly = offerings["bia-100"].prices_at(T0 + 48 * H, "EUR")
        assert [p.charge for p in monthly if p.name == "monthly"] == [RecurringCharge(D("89.0000"))]
        assert str(next(p.charge for p in monthly if p.name == "monthly").monthly_amount) == "89.0000"  # type: ignore[union-attr]


def test_an_order_and_its_subscriptions_round_trip_through_their_life(uow: UnitOfWork) -> None:
    w = stored_world(uow)
    request = w.request(
        add("1", "bia-100", site="customer1"),
        ItemRequest("b", "add", "connect-bundle", characteristics=(("site", "a"), ("siteA", "a"), ("siteB", "b"))),
        external_id="crm-42",
    )
    plan = plan_order(request, w.customer, w.account, w.catalog, T0)
    ids = iter(f"s{n}" for n in range(1, 10))
    order, subs = place(plan, request, w.catalog, "o1", lambda: next(ids), T0)
    with uow:
        uow.orders.add(order)
        for sub in subs:
            uow.subscriptions.add(sub)
        uow.commit()
    with uow:
        loaded = uow.orders.get("o1")
        assert loaded is not None and loaded is uow.orders.by_external_id("crm-42")
        assert [(i.id, i.action, i.parent_id, i.characteristics, i.prices) for i in loaded.items] == [
            (i.id, i.action, i.parent_id, i.characteristics, i.prices) for i in order.items
        ]
        # the account's tax exemption is valid on the order date: the order was priced without tax
        assert (loaded.currency, loaded.tax_rate_pct, loaded.fingerprint) == ("EUR", D(0), request.fingerprint())
        subscriptions = uow.subscriptions.get_many(fulfilment.subscription_ids(loaded))
        fulfilment.start(loaded, subscriptions, T0 + H)
        for item in loaded.leaves():
            fulfilment.complete_item(loaded, item.id, subscriptions, T0 + 2 * H)
        uow.commit()
    with uow:
        again = uow.orders.get("o1")
        assert again is not None and again.state.value == "completed" and again.completion_date == T0 + 2 * H
        s1 = uow.subscriptions.get("s1")
        assert s1 is not None and (s1.status.value, s1.start_date, s1.terms[0].start) == (
            "active",
            T0 + 2 * H,
            T0 + 2 * H,
        )
        assert s1.current.prices == subs[0].current.prices
        assert {c.id for c in uow.subscriptions.components_of(["s2"])} == {"s3", "s4"}
        s1.change_terms(
            T0 + 3 * H,
            offering_id="bia-1000",
            characteristics={"site": "customer1", "bandwidthMbps": 1000},
            prices=(),
            reason="modify",
        )
        uow.commit()
    with uow:
        s1 = uow.subscriptions.get("s1")
        assert s1 is not None
        assert [(t.offering_id, t.start, t.end, t.reason) for t in s1.terms] == [
            ("bia-100", T0 + 2 * H, T0 + 3 * H, "order"),
            ("bia-1000", T0 + 3 * H, None, "modify"),
        ]
        items, total = uow.subscriptions.list({"status": ["active"]}, offset=1, limit=2)
        assert total == 4 and len(items) == 2


def test_an_external_id_names_one_order_and_a_failed_unit_of_work_stores_nothing(uow: UnitOfWork) -> None:
    w = stored_world(uow)
    request = w.request(add("1", "bia-100", site="x"), external_id="dup")
    for order_id in ("o1", "o2"):
        plan = plan_order(request, w.customer, w.account, w.catalog, T0)
        order, subs = place(plan, request, w.catalog, order_id, lambda oid=order_id: f"s-{oid}", T0)  # type: ignore[misc]
        if order_id == "o1":
            with uow:
                uow.orders.add(order)
                uow.subscriptions.add(subs[0])
                uow.commit()
        else:
            with uow, pytest.raises(IntegrityError):
                uow.orders.add(order)
                uow.subscriptions.add(subs[0])
                uow.commit()
    with pytest.raises(RuntimeError), uow:
        uow.customers.add(world().customer.__class__.create("c2", "Other", T0))
        raise RuntimeError("the handler failed half-way")
    with uow:
        assert uow.customers.get("c2") is None and uow.orders.get("o2") is None
        assert uow.subscriptions.get("s-o2") is None


def test_hub_events_and_what_listeners_are_owed_are_stored_with_the_change(database_url: str) -> None:
    engine = engine_for(database_url)
    migrate.upgrade(engine)
    hub = HubStore(sessions(engine), {"tmf629": frozenset({"CustomerCreateEvent"})})
    every, none = (
        hub.register("tmf629", "http://127.0.0.1:9/a"),
        hub.register("tmf629", "http://127.0.0.1:9/b", "event.customer.name=Nobody"),
    )
    note = {
        "eventId": "e1",
        "eventTime": T0.isoformat(),
        "eventType": "CustomerCreateEvent",
        "event": {"customer": {"id": "c1", "name": "ACME", "creditLimit": {"value": D("0.10"), "unit": "EUR"}}},
    }
    with sessions(engine)() as session, session.begin():
        hub_store.record(session, [Published("tmf629", "CustomerCreateEvent", "c1", note)], hub.event_types)
    assert [o.notification for o in hub.owed(every.id)] == [note]
    assert hub.owed(none.id) == [] and hub.backlog() == 1
    assert hub.events("tmf629")[0]["event"]["customer"]["creditLimit"]["value"] == D("0.10")
    engine.dispose()


def test_pruning_forgets_what_was_delivered_and_keeps_what_is_owed(database_url: str) -> None:
    engine = engine_for(database_url)
    migrate.upgrade(engine)
    hub = HubStore(sessions(engine), {"tmf629": frozenset({"CustomerCreateEvent"})})
    fast, slow = hub.register("tmf629", "http://127.0.0.1:9/fast"), hub.register("tmf629", "http://127.0.0.1:9/slow")
    notes = [
        {
            "eventId": f"e{n}",
            "eventTime": T0.isoformat(),
            "eventType": "CustomerCreateEvent",
            "event": {"customer": {"id": "c"}},
        }
        for n in range(2)
    ]
    with sessions(engine)() as session, session.begin():
        hub_store.record(
            session, [Published("tmf629", "CustomerCreateEvent", "c", note) for note in notes], hub.event_types
        )
    for listener in (fast, slow):
        owed = hub.owed(listener.id)
        hub.delivered(
            listener.id, [o.delivery_id for o in owed if listener is fast or o.notification["eventId"] == "e0"], T0
        )
    assert hub.prune(T0 + 24 * H) == 1  # e0 went to both; e1 is still owed to the slow listener
    assert [o.notification["eventId"] for o in hub.owed(slow.id)] == ["e1"]
    assert [n["eventId"] for n in hub.events("tmf629")] == ["e1"]
    engine.dispose()


@pytest.mark.parametrize("umask", [0o022, 0o000])
def test_the_sqlite_file_its_journal_and_directory_are_readable_by_their_owner_only(
    tmp_path: Path, umask: int
) -> None:
    """The BSS's database holds customers' names and contacts: 0600 files in a 0700 directory,
    whatever the umask (SQLite gives its -wal and -shm files the database file's mode)."""
    directory = tmp_path / "data"
    old = os.umask(umask)
    try:
        engine = engine_for(f"sqlite:///{directory}/bss.db")
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
            connection.execute(text("INSERT INTO t VALUES (1)"))
            modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in directory.iterdir()}
        engine.dispose()
    finally:
        os.umask(old)
    assert modes == dict.fromkeys(["bss.db", "bss.db-shm", "bss.db-wal"], 0o600)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
