"""The catalog changed by requests at once, on SQLite and PostgreSQL. An offering's prices changed
by two: each reads the price's versions and adds the next. A specification or offering defined with
one id, a new catalog loaded, by several: each looks for the id, then inserts. Two catalog loads
extending one specification: each reads its characteristics and writes them back. An order placed
while a load tightens the rule of a value it stores: the order checks the value by the rule it
reads, the load checks the values stored before it takes the new rule. An order placed while its
offering's price changes from that instant on: the order reads the prices, the change takes its
start and adds the version. Whatever the interleaving, they end as one after the other would: both
versions chained (each ends where the next starts), or the later-sent refused as starting before the
version the other added; one creation, the others refused as existing or reconciling with it; both
characteristics added; the order refused by the new rule, or its product named by the load and the
old rule kept; the order carrying the prices in force at its instant. Never a database error for a
request, nor a value stored that its specification's rule refuses."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from bss_bridge.bootstrap import Bss
from bss_bridge.config.catalog_file import read_catalog
from bss_bridge.domain import commands
from bss_bridge.domain.catalog import CharacteristicSpec, ProductSpecification, ValueFormat, ValueType
from bss_bridge.domain.errors import ConflictError, InvalidRequestError
from bss_bridge.domain.offering import ProductOffering
from bss_bridge.domain.order import ProductOrder
from bss_bridge.domain.pricing import RecurringCharge
from bss_bridge.domain.requests import ItemRequest
from bss_bridge.service_layer.catalog_handlers import CatalogReport
from bss_bridge.storage.order_repository import values_in_force
from bss_bridge.storage.tables import SpecificationRow

from ...conftest import PostgresServer
from ..billing_world import account, run, set_clock, subscribe, utc
from ..conftest import CATALOG, Clock, KnownInventory, make_bss
from ..races import race, second_sent_after, second_sent_before_the_first_holds
from .test_catalog_upgrade import OLD_REGEX
from .test_order_races import new_internet, order


def reprice(bss: Bss, day: int, amount: str) -> object:
    price = commands.PriceDefinition("monthly", "EUR", RecurringCharge(Decimal(amount)), utc(2026, 4, day))
    return run(bss, commands.ChangePrice("bia-100", price))


def test_two_price_changes_of_one_offering_at_once_end_as_one_after_the_other(any_bss: Bss) -> None:
    bss = any_bss
    set_clock(bss, utc(2026, 3, 1, 9))
    for n in range(10):
        day = 1 + 2 * n
        results = race(lambda day=day: reprice(bss, day, "50"), lambda day=day: reprice(bss, day + 1, "51"))
        errors = [r for r in results if isinstance(r, BaseException)]
        assert all(isinstance(e, ConflictError) and "must start after version" in str(e) for e in errors), errors
        assert len(errors) <= 1
    with bss.uow() as uow:
        offering = uow.offerings.get("bia-100")
        assert offering is not None
        chain = sorted((p for p in offering.prices if p.chain == ("monthly", "EUR")), key=lambda p: p.version)
    assert [p.version for p in chain] == list(range(1, len(chain) + 1))
    assert all(a.valid_for.end == b.valid_for.start for a, b in itertools.pairwise(chain))


def created_once(results: list[object], what: str, made: type) -> None:
    """One of the requests created ``what``; the others refused as a request sent after it would be
    (it used to be a database error: a 500 through the API)."""
    assert len([r for r in results if isinstance(r, made)]) == 1, results
    refusals = [r for r in results if not isinstance(r, made)]
    assert all(isinstance(r, ConflictError) and f"{what} already exists" in str(r) for r in refusals), results


def test_a_specification_and_an_offering_defined_many_times_at_once_with_one_id_exist_once(any_bss: Bss) -> None:
    bss = any_bss
    lan = CharacteristicSpec("lan", ValueType.STRING, format=ValueFormat.IPV4_PREFIX)
    for n in range(8):
        spec = commands.DefineSpecification(f"spec-{n}", "LAN", "lanService", (lan,))
        results = race(*[lambda spec=spec: run(bss, spec)] * 4)
        created_once(results, f"product specification spec-{n}", ProductSpecification)
        price = commands.PriceDefinition("monthly", "EUR", RecurringCharge(Decimal("10")))
        offering = commands.DefineOffering(f"offer-{n}", "LAN", f"spec-{n}", prices=(price,))
        results = race(*[lambda offering=offering: run(bss, offering)] * 4)
        created_once(results, f"product offering offer-{n}", ProductOffering)
    with bss.uow() as uow:
        assert len(uow.offerings.get_many([f"offer-{n}" for n in range(8)])) == 8


def test_a_new_catalog_loaded_twice_at_once_is_created_once_and_the_other_load_finds_it(any_bss: Bss) -> None:
    """Two loads of one file on a database that lacks it: one creates, the other reconciles with
    what the first created (nothing differs), as a load after it would."""
    bss = any_bss
    for n in range(6):
        lan = CharacteristicSpec("lan", ValueType.STRING, format=ValueFormat.IPV4_PREFIX)
        price = commands.PriceDefinition("monthly", "EUR", RecurringCharge(Decimal("10")))
        load = commands.LoadCatalog(
            (commands.DefineSpecification(f"spec-{n}", "LAN", "lanService", (lan,)),),
            (commands.DefineOffering(f"offer-{n}", "LAN", f"spec-{n}", prices=(price,)),),
        )
        results = race(lambda load=load: run(bss, load), lambda load=load: run(bss, load))
        assert all(isinstance(r, CatalogReport) for r in results), results
        assert sorted(len(r.created) for r in results) == [0, 2], results
        assert all(not (r.differs or r.refused or r.updated) for r in results), results


def test_two_catalog_loads_extending_one_specification_at_once_keep_both_characteristics(any_bss: Bss) -> None:
    """Each load reads the specification's characteristics and writes them back with its own added
    (and the next version): without the specification held, one load's characteristic was lost."""
    bss = any_bss
    site = CharacteristicSpec("site", ValueType.STRING)
    run(bss, commands.DefineSpecification("grown", "Grown", "svc", (site,)))
    for n in range(6):
        with bss.uow() as uow:
            now = uow.specifications.get("grown").characteristics  # type: ignore[union-attr]

        def extend(name: str, now: tuple[CharacteristicSpec, ...] = now) -> object:
            added = CharacteristicSpec(name, ValueType.STRING, required=False)
            spec = commands.DefineSpecification("grown", "Grown", "svc", (*now, added))
            return run(bss, commands.LoadCatalog((spec,), (), apply=True))

        results = race(lambda n=n: extend(f"a{n}"), lambda n=n: extend(f"b{n}"))
        assert all(isinstance(r, CatalogReport) for r in results), results
        with bss.uow() as uow:
            spec = uow.specifications.get("grown")
            assert spec is not None
            names = [c.name for c in spec.characteristics]
        assert f"a{n}" in names and f"b{n}" in names, names
        assert spec.version == str(1 + 2 * (n + 1)), spec.version


HOST_BITS = "10.1.2.3/24"  # what the old regex lets through and ipv4Prefix refuses
REFUSAL = "lan: 10.1.2.3/24 has host bits set: did you mean 10.1.2.0/24?"
SPECIFICATIONS = "SELECT bss_product_specifications."  # an order's read of the specifications (their count aside)
PRODUCTS = "SELECT bss_subscriptions.id, bss_subscription_terms."  # a load's read of the values sold


def lan_specification(bss: Bss, n: int) -> tuple[commands.PriceDefinition, commands.LoadCatalog]:
    """``lan-{n}``, a specification whose LAN the old regex checks; a price to sell it at, and the
    load that checks the LAN by ``format: ipv4Prefix``."""
    old = CharacteristicSpec("lan", ValueType.STRING, regex=OLD_REGEX)
    run(bss, commands.DefineSpecification(f"lan-{n}", "LAN", "lanService", (old,)))
    new = dataclasses.replace(old, regex=None, format=ValueFormat.IPV4_PREFIX)
    tighten = commands.LoadCatalog((commands.DefineSpecification(f"lan-{n}", "LAN", "lanService", (new,)),), ())
    return commands.PriceDefinition("monthly", "EUR", RecurringCharge(Decimal("10"))), tighten


def lan_rule(bss: Bss, n: int) -> tuple[ProductSpecification, CharacteristicSpec]:
    """``lan-{n}`` as committed, and its LAN's rule."""
    with bss.uow() as uow:
        spec = uow.specifications.get(f"lan-{n}")
    assert spec is not None
    lan = spec.characteristic("lan")
    assert lan is not None
    return spec, lan


def lan_offering(bss: Bss, n: int) -> tuple[commands.SubmitProductOrder, commands.LoadCatalog]:
    """``lan_specification`` and an offering of it; an order of it with a LAN that has host bits,
    and the load."""
    price, tighten = lan_specification(bss, n)
    run(bss, commands.DefineOffering(f"lan-{n}", "LAN", f"lan-{n}", prices=(price,)))
    item = ItemRequest("1", "add", f"lan-{n}", characteristics=(("lan", HOST_BITS),))
    return commands.SubmitProductOrder(order(bss, account(bss), item)), tighten


def one_after_the_other(bss: Bss, n: int, placed: object, loaded: object) -> str:
    """No product stored whose LAN fails the rule ``lan-{n}`` now has; and the order and the load
    end as one after the other would: the order refused by the new rule (its field named), the rule
    tightened; or the order placed and its product named by the load, the old rule kept. Which one
    came first."""
    assert isinstance(loaded, CatalogReport), loaded
    spec, lan = lan_rule(bss, n)
    with bss.uow() as uow:
        stored = values_in_force(uow.session, spec.id, utc(2026, 3, 1, 9))
    failing = [product for product, values in stored if not passes(lan, values["lan"])]
    assert not failing, f"{failing} fail {spec.id} version {spec.version}: {lan.regex or lan.format}"
    if isinstance(placed, BaseException):
        assert isinstance(placed, InvalidRequestError), placed
        [problem] = placed.problems
        assert problem.field.startswith("productOrderItem[0]") and problem.message == REFUSAL, problem
        assert (lan.format, spec.version, stored) == (ValueFormat.IPV4_PREFIX, "2", [])
        assert list(loaded.revalidated) == [f"lan-{n}.lan"] and not loaded.not_revalidated, loaded
        return "load"
    assert isinstance(placed, ProductOrder), placed
    product = placed.items[0].subscription_id
    assert (lan.regex, spec.version, [p for p, _ in stored]) == (OLD_REGEX, "1", [product])
    assert loaded.not_revalidated == {f"lan-{n}.lan": [f"product {product}: {REFUSAL}"]}, loaded
    assert not loaded.revalidated, loaded
    return "order"


def passes(lan: CharacteristicSpec, value: object) -> bool:
    try:
        lan.check(value)
    except InvalidRequestError:
        return False
    return True


def test_an_order_placed_while_a_load_tightens_its_lan_rule_ends_as_one_after_the_other(any_bss: Bss) -> None:
    """The load checks the values stored, then takes the stricter rule: an order it does not see
    must not be placed on the rule it replaces."""
    bss = any_bss
    set_clock(bss, utc(2026, 3, 1, 9))
    for n in range(8):
        submit, tighten = lan_offering(bss, n)
        placed, loaded = race(lambda submit=submit: run(bss, submit)[0], lambda tighten=tighten: run(bss, tighten))
        one_after_the_other(bss, n, placed, loaded)


def test_a_load_sent_just_after_the_order_read_the_lan_rule_names_its_product(any_bss: Bss) -> None:
    """The worst moment for the load: the order placing (its second transaction) had checked the
    LAN by the old rule (the load used to find no product, take the new rule, and the order commit)."""
    bss = any_bss
    set_clock(bss, utc(2026, 3, 1, 9))
    submit, tighten = lan_offering(bss, 0)
    placed, loaded = second_sent_after(bss, lambda: run(bss, submit)[0], lambda: run(bss, tighten), SPECIFICATIONS, 2)
    assert one_after_the_other(bss, 0, placed, loaded) == "order"


def test_an_order_sent_just_after_the_load_read_the_products_is_refused_by_the_new_rule(any_bss: Bss) -> None:
    """The worst moment for the order: the load had found no product (the order used to check the
    LAN by the old rule, still the one committed, and commit after the load)."""
    bss = any_bss
    set_clock(bss, utc(2026, 3, 1, 9))
    submit, tighten = lan_offering(bss, 0)
    loaded, placed = second_sent_after(bss, lambda: run(bss, tighten), lambda: run(bss, submit)[0], PRODUCTS, 1)
    assert one_after_the_other(bss, 0, placed, loaded) == "load"


TAKE = {"SHARE": True, "UPDATE": False}  # FOR SHARE (as an order holds it), FOR UPDATE (as a load)


def could_take(bss: Bss, spec_id: str, mode: str) -> bool:
    """Whether another session could hold ``spec_id`` now (``SHARE``: as an order; ``UPDATE``: as a load)."""
    where = SpecificationRow.id == spec_id
    with bss.engine.connect() as connection:
        try:
            connection.execute(select(SpecificationRow.id).where(where).with_for_update(read=TAKE[mode], nowait=True))
        except OperationalError:
            return False
        finally:
            connection.rollback()
    return True


@pytest.mark.postgres
def test_an_order_placing_holds_its_specification_shared(
    postgres: PostgresServer, tmp_path: Path, inventory: KnownInventory, clock: Clock
) -> None:
    """PostgreSQL only: while an order is placed, another order of the specification may hold it too
    (it does not wait), a load may not (it waits for the order). SQLite has one writer: every hold
    queues, shared or not (the races above show each outcome there)."""
    bss = make_bss(postgres.create_database(), tmp_path, inventory, clock)
    try:
        _holds_shared(bss)
    finally:
        bss.close()


def _holds_shared(bss: Bss) -> None:
    set_clock(bss, utc(2026, 3, 1, 9))
    submit, _ = lan_offering(bss, 0)
    reads, taken = [0], dict[str, bool]()

    def try_to_take(_conn: Any, _cursor: Any, sent: str, *_: Any) -> None:
        if sent.startswith(SPECIFICATIONS) and " FOR " not in sent:  # its reads, not its hold nor these tries
            reads[0] += 1
            if reads[0] == 2:  # the order placing (its second transaction) has read it
                taken.update({mode: could_take(bss, "lan-0", mode) for mode in TAKE})

    event.listen(bss.engine, "after_cursor_execute", try_to_take)
    try:
        placed, _ = run(bss, submit)
    finally:
        event.remove(bss.engine, "after_cursor_execute", try_to_take)
    assert taken == {"SHARE": True, "UPDATE": False}
    assert placed.state.value == "acknowledged"
    assert (could_take(bss, "lan-0", "SHARE"), could_take(bss, "lan-0", "UPDATE")) == (True, True)  # released


OFFERINGS = "SELECT bss_product_offerings."  # a read of offerings: a load's (their fixed values), a price change's


def fixed_lan_offering(bss: Bss, n: int) -> tuple[commands.DefineOffering, commands.LoadCatalog]:
    """``lan_specification``; an offering of it that fixes a LAN with host bits, and the load."""
    price, tighten = lan_specification(bss, n)
    define = commands.DefineOffering(f"fixed-{n}", "LAN", f"lan-{n}", fixed={"lan": HOST_BITS}, prices=(price,))
    return define, tighten


def defined_one_after_the_other(bss: Bss, n: int, defined: object, loaded: object) -> str:
    """No offering stored whose fixed LAN fails the rule ``lan-{n}`` now has; and the definition and
    the load end as one after the other would: the offering refused by the new rule (its field
    named), the rule tightened; or the offering defined and named by the load, the old rule kept.
    Which one came first."""
    assert isinstance(loaded, CatalogReport), loaded
    spec, lan = lan_rule(bss, n)
    with bss.uow() as uow:
        stored = uow.offerings.get(f"fixed-{n}")
    assert stored is None or passes(lan, stored.fixed["lan"]), f"fixed-{n} fails {lan.regex or lan.format}"
    if isinstance(defined, BaseException):
        assert isinstance(defined, InvalidRequestError), defined
        [problem] = defined.problems
        assert (problem.field, problem.message) == ("prodSpecCharValueUse[lan].value", REFUSAL), problem
        assert (lan.format, spec.version, stored) == (ValueFormat.IPV4_PREFIX, "2", None)
        assert list(loaded.revalidated) == [f"lan-{n}.lan"] and not loaded.not_revalidated, loaded
        return "load"
    assert isinstance(defined, ProductOffering) and stored is not None, defined
    assert (lan.regex, spec.version, stored.fixed) == (OLD_REGEX, "1", {"lan": HOST_BITS})
    assert loaded.not_revalidated == {f"lan-{n}.lan": [f"offering fixed-{n}: {REFUSAL}"]}, loaded
    assert not loaded.revalidated, loaded
    return "offering"


def test_an_offering_defined_while_a_load_tightens_its_fixed_lan_rule_ends_as_one_after_the_other(
    any_bss: Bss,
) -> None:
    """The load checks the offerings' fixed values, then takes the stricter rule: an offering it
    does not see must not be defined on the rule it replaces."""
    bss = any_bss
    set_clock(bss, utc(2026, 3, 1, 9))
    for n in range(8):
        define, tighten = fixed_lan_offering(bss, n)
        defined, loaded = race(lambda define=define: run(bss, define), lambda tighten=tighten: run(bss, tighten))
        defined_one_after_the_other(bss, n, defined, loaded)


def test_a_load_sent_just_after_an_offering_read_the_lan_rule_names_the_offering(any_bss: Bss) -> None:
    """The worst moment for the load: the definition had checked the fixed LAN by the old rule (the
    load used to find no offering, take the new rule, and the offering commit)."""
    bss = any_bss
    set_clock(bss, utc(2026, 3, 1, 9))
    define, tighten = fixed_lan_offering(bss, 0)
    defined, loaded = second_sent_after(bss, lambda: run(bss, define), lambda: run(bss, tighten), SPECIFICATIONS, 1)
    assert defined_one_after_the_other(bss, 0, defined, loaded) == "offering"


def test_an_offering_sent_just_after_the_load_read_the_offerings_is_refused_by_the_new_rule(any_bss: Bss) -> None:
    """The worst moment for the definition: the load had found no offering (the definition used to
    check the LAN by the old rule, still the one committed, and commit after the load)."""
    bss = any_bss
    set_clock(bss, utc(2026, 3, 1, 9))
    define, tighten = fixed_lan_offering(bss, 0)
    loaded, defined = second_sent_after(bss, lambda: run(bss, tighten), lambda: run(bss, define), OFFERINGS, 1)
    assert defined_one_after_the_other(bss, 0, defined, loaded) == "load"


def internet_order(bss: Bss, tick: timedelta | None = None) -> Callable[[], object]:
    """The clock at 1 March 09:00 (moving on by ``tick`` at each reading if given); a new account
    and the placing of its order of bia-100 (each call places another), returning the order."""
    set_clock(bss, utc(2026, 3, 1, 9), tick)
    submit = commands.SubmitProductOrder(order(bss, account(bss), new_internet()))
    return lambda: run(bss, submit)[0]


def reprice_now(bss: Bss, amount: str) -> object:
    """bia-100's monthly price changed from the request's instant on (no start given)."""
    price = commands.PriceDefinition("monthly", "EUR", RecurringCharge(Decimal(amount)))
    return run(bss, commands.ChangePrice("bia-100", price))


def priced_as_in_force(bss: Bss, placed: object) -> Decimal:
    """The order placed, its product's prices the versions the catalog has in force at the order's
    instant (as it ends, every change committed); its monthly amount."""
    assert isinstance(placed, ProductOrder), placed
    with bss.uow() as uow:
        product = uow.subscriptions.get(placed.items[0].subscription_id)
        offering = uow.offerings.get("bia-100")
    assert product is not None and offering is not None
    [term] = product.terms
    in_force = offering.prices_at(placed.order_date, "EUR")
    assert sorted(p.id for p in term.prices) == [p.id for p in in_force], (term.prices, in_force)
    [monthly] = [p for p in term.prices if p.name == "monthly"]
    assert isinstance(monthly.charge, RecurringCharge)
    return monthly.charge.monthly_amount


def test_an_order_placed_while_its_price_changes_carries_the_price_in_force_at_its_instant(any_bss: Bss) -> None:
    """The clock moves on at each reading, as a real one: a change that takes its start after the
    order is stored starts later than the order's instant (a clock standing still cannot tell)."""
    bss = any_bss
    place = internet_order(bss, timedelta(milliseconds=1))
    for n in range(8):
        set_clock(bss, utc(2026, 3, 1, 10 + n))
        placed, changed = race(place, lambda n=n: reprice_now(bss, f"{60 + n}"))
        assert isinstance(changed, ProductOffering), changed
        priced_as_in_force(bss, placed)


def test_an_order_sent_just_after_a_price_change_read_its_offering_carries_the_new_price(any_bss: Bss) -> None:
    """The worst moment for the order: the change has taken its start (the instant the order is
    placed at) and not committed yet. The order used to read the old price, commit first and carry it,
    though the new one is in force from its instant on."""
    bss = any_bss
    place = internet_order(bss)
    changed, placed = second_sent_after(bss, lambda: reprice_now(bss, "61"), place, OFFERINGS, 1)
    assert isinstance(changed, ProductOffering), changed
    assert priced_as_in_force(bss, placed) == Decimal("61")


def test_an_order_sent_as_a_catalog_load_repricing_it_is_about_to_hold_carries_the_price_in_force(
    any_bss: Bss,
) -> None:
    """The worst moment for a load that changes a price: an order placed after the load was sent
    and before it holds the offering. The load used to take its instant as it was sent and start the
    new price then, before the order it waited for, which carries the old one."""
    bss = any_bss
    place = internet_order(bss, timedelta(milliseconds=1))
    [bia] = [o for o in read_catalog(CATALOG).offerings if o.offering_id == "bia-100"]
    [monthly] = [p for p in bia.prices if p.name == "monthly"]
    assert isinstance(monthly.charge, RecurringCharge)
    dearer = dataclasses.replace(monthly, charge=RecurringCharge(Decimal("62")))
    prices = tuple(dearer if p is monthly else p for p in bia.prices)
    load = commands.LoadCatalog((), (dataclasses.replace(bia, prices=prices),), apply=True)
    loaded, placed = second_sent_before_the_first_holds(bss, lambda: run(bss, load), place)
    assert isinstance(loaded, CatalogReport) and loaded.repriced == ["bia-100.monthly.EUR"], loaded
    assert priced_as_in_force(bss, placed) == monthly.charge.monthly_amount


def test_a_migration_sent_just_after_a_price_change_read_its_offering_moves_to_the_new_price(any_bss: Bss) -> None:
    """The worst moment for a price migration: the change has taken its start (the migration's
    instant) and not committed yet. The migration used to read the old price and refuse the product
    as already on the prices in force, though the new one is from its instant on."""
    bss = any_bss
    product = subscribe(bss, account(bss), utc(2026, 3, 1, 9))
    set_clock(bss, utc(2026, 3, 2, 9))
    migrate = commands.MigrateSubscriptionPrices(product)
    changed, migrated = second_sent_after(bss, lambda: reprice_now(bss, "63"), lambda: run(bss, migrate), OFFERINGS, 1)
    assert isinstance(changed, ProductOffering), changed
    assert not isinstance(migrated, BaseException), migrated
    [old, new] = migrated.terms
    assert (old.end, new.start, new.reason) == (utc(2026, 3, 2, 9), utc(2026, 3, 2, 9), "priceMigration")
    [monthly] = [p for p in new.prices if p.name == "monthly"]
    assert monthly.charge == RecurringCharge(Decimal("63"))
