"""The service layer over a real database: each command stores all of itself or nothing, its events
become hub notifications in the same transaction, and orders are idempotent on externalId."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from bss_bridge.bootstrap import Bss
from bss_bridge.domain import commands
from bss_bridge.domain.errors import ConflictError, InvalidRequestError, InvalidTransitionError, NotFoundError
from bss_bridge.domain.order import OrderState, ProductOrder
from bss_bridge.domain.party import AccountTerms, BillCycle
from bss_bridge.domain.pricing import RecurringCharge
from bss_bridge.domain.requests import ItemRequest, OrderRequest
from bss_bridge.domain.subscription import SubscriptionStatus

from ..conftest import Clock, KnownInventory

D = Decimal


def run(bss: Bss, command: commands.Command) -> Any:
    return asyncio.run(bss.handle(command))


def customer_and_account(bss: Bss) -> tuple[str, str]:
    customer = run(bss, commands.CreateCustomer("ACME"))
    account = run(
        bss, commands.OpenBillingAccount(customer.id, "main", "EUR", AccountTerms(BillCycle(1), "Europe/Paris", D(20)))
    )
    return customer.id, account.id


def internet(item: str = "1", site: str = "customer1", offering: str = "bia-100") -> ItemRequest:
    return ItemRequest(item, "add", offering, characteristics=(("site", site),))


def order(
    bss: Bss, customer: str, account: str, *items: ItemRequest, external_id: str | None = None
) -> tuple[ProductOrder, bool]:
    result: tuple[ProductOrder, bool] = run(
        bss, commands.SubmitProductOrder(OrderRequest(customer, account, items, external_id))
    )
    return result


def counts(bss: Bss) -> tuple[int, int]:
    with bss.uow() as uow:
        return uow.orders.list()[1], uow.subscriptions.list()[1]


def test_an_order_is_placed_priced_and_announced(bss: Bss, inventory: KnownInventory) -> None:
    customer, account = customer_and_account(bss)
    placed, new = order(bss, customer, account, internet(), external_id="crm-1")
    assert new and placed.state is OrderState.ACKNOWLEDGED and (placed.currency, placed.tax_rate_pct) == ("EUR", D(20))
    assert [c.value for c in inventory.asked] == ["customer1"]
    types = [n["eventType"] for n in bss.hub.events("tmf622")]
    assert types == ["ProductOrderCreateEvent"]
    assert [n["eventType"] for n in bss.hub.events("tmf637")] == ["ProductCreateEvent"]
    note = bss.hub.events("tmf622")[0]
    assert note["event"]["productOrder"]["orderTotalPrice"][0]["price"]["dutyFreeAmount"]["value"] == D("150.00")
    assert note["event"]["productOrder"]["href"].startswith(
        "http://127.0.0.1:8081/tmf-api/productOrderingManagement/v4/"
    )


def test_the_same_external_id_returns_the_first_order_and_other_content_is_refused(bss: Bss) -> None:
    customer, account = customer_and_account(bss)
    first, _ = order(bss, customer, account, internet(), external_id="crm-1")
    again, new = order(bss, customer, account, internet(), external_id="crm-1")
    assert (again.id, new) == (first.id, False)
    with pytest.raises(ConflictError, match=r"externalId 'crm-1' already names order .* with other content"):
        order(bss, customer, account, internet(site="customer2"), external_id="crm-1")
    assert counts(bss) == (1, 1)
    assert len(bss.hub.events("tmf622")) == 1


def test_concurrent_submissions_of_one_external_id_make_one_order(bss: Bss) -> None:
    customer, account = customer_and_account(bss)
    request = commands.SubmitProductOrder(OrderRequest(customer, account, (internet(),), "crm-race"))

    async def both() -> list[tuple[ProductOrder, bool]]:
        return list(await asyncio.gather(*(bss.handle(request) for _ in range(5))))

    results = asyncio.run(both())
    assert len({o.id for o, _ in results}) == 1 and sum(new for _, new in results) == 1
    assert counts(bss) == (1, 1)


def test_a_site_the_oss_does_not_have_rejects_the_order_and_stores_nothing(bss: Bss) -> None:
    customer, account = customer_and_account(bss)
    with pytest.raises(InvalidRequestError) as exc:
        order(bss, customer, account, internet(), internet("2", site="atlantis"))
    assert [str(p) for p in exc.value.problems] == [
        "productOrderItem[1].product.productCharacteristic[0].value: no site 'atlantis' in the OSS's resource inventory"
    ]
    assert counts(bss) == (0, 0) and bss.hub.events("tmf622") == []


def test_fulfilment_moves_order_and_subscription_and_each_step_is_announced(bss: Bss, clock: Clock) -> None:
    customer, account = customer_and_account(bss)
    placed, _ = order(bss, customer, account, internet())
    run(bss, commands.StartProductOrder(placed.id))
    clock.now += timedelta(hours=2)
    done = run(bss, commands.CompleteOrderItem(placed.id, "1"))
    assert done.state is OrderState.COMPLETED
    with bss.uow() as uow:
        sub = uow.subscriptions.get(placed.items[0].subscription_id or "")
        assert sub is not None and (sub.status, sub.start_date) == (SubscriptionStatus.ACTIVE, clock.now)
    states = [n["event"]["product"]["status"] for n in bss.hub.events("tmf637")]
    assert states == ["created", "pendingActive", "active"]
    with pytest.raises(InvalidTransitionError):
        run(bss, commands.CompleteOrderItem(placed.id, "1"))
    with pytest.raises(NotFoundError):
        run(bss, commands.StartProductOrder("nope"))


def test_a_price_change_applies_to_new_orders_and_a_migration_moves_a_subscription(bss: Bss, clock: Clock) -> None:
    customer, account = customer_and_account(bss)
    placed, _ = order(bss, customer, account, internet())
    run(bss, commands.StartProductOrder(placed.id))
    run(bss, commands.CompleteOrderItem(placed.id, "1"))
    with pytest.raises(InvalidRequestError, match="applies to new orders"):
        run(
            bss,
            commands.ChangePrice(
                "bia-100",
                commands.PriceDefinition("monthly", "EUR", RecurringCharge(D(89)), clock.now - timedelta(days=1)),
            ),
        )
    run(
        bss,
        commands.ChangePrice(
            "bia-100",
            commands.PriceDefinition("monthly", "EUR", RecurringCharge(D("89.00")), clock.now + timedelta(days=1)),
        ),
    )
    clock.now += timedelta(days=2)
    later, _ = order(bss, customer, account, internet("1", "customer2"))
    from bss_bridge.tmf.ordering import order_quote

    assert (order_quote(placed).monthly, order_quote(later).monthly) == (D("79.00"), D("89.00"))
    assert {p.id for p in later.items[0].prices if p.name == "monthly"} == {"bia-100.monthly.EUR.v2"}
    sub_id = placed.items[0].subscription_id or ""
    with bss.uow() as uow:
        assert {p.id for p in uow.subscriptions.get(sub_id).current.prices if p.name == "monthly"} == {
            "bia-100.monthly.EUR.v1"
        }  # type: ignore[union-attr]
    migrated = run(bss, commands.MigrateSubscriptionPrices(sub_id))
    assert [t.reason for t in migrated.terms] == ["order", "priceMigration"]
    assert {p.id for p in migrated.current.prices if p.name in ("monthly", "launch")} == {
        "bia-100.monthly.EUR.v2",
        "bia-100.launch.EUR.v1",
    }
    with pytest.raises(ConflictError, match="already on the prices"):
        run(bss, commands.MigrateSubscriptionPrices(sub_id))


def test_an_account_or_customer_with_live_products_cannot_close(bss: Bss) -> None:
    customer, account = customer_and_account(bss)
    order(bss, customer, account, internet())
    with pytest.raises(ConflictError, match="still has products"):
        run(bss, commands.UpdateBillingAccount(account, state="closed"))
    with pytest.raises(ConflictError, match="still has products"):
        run(bss, commands.UpdateCustomer(customer, status="closed"))
    updated = run(bss, commands.UpdateBillingAccount(account, terms={"bill_cycle": BillCycle(None)}))
    assert str(updated.terms.bill_cycle) == "last"


def test_loading_the_catalog_again_changes_nothing_unless_applied(bss: Bss, clock: Clock) -> None:
    from bss_bridge.config.catalog_file import read_catalog

    from ..conftest import CATALOG

    assert run(bss, read_catalog(CATALOG)).created == []
    run(
        bss,
        commands.ChangePrice(
            "bia-100", commands.PriceDefinition("monthly", "EUR", RecurringCharge(D("99.00")), clock.now)
        ),
    )
    seed = run(bss, read_catalog(CATALOG))
    assert seed.differs == ["bia-100.monthly"]
    assert seed.refused == []  # the stored specifications read back equal to the file's
    clock.now += timedelta(seconds=1)
    applied = run(bss, read_catalog(CATALOG, apply=True))
    assert applied.repriced == ["bia-100.monthly.EUR"]
    with bss.uow() as uow:
        offering = uow.offerings.get("bia-100")
        assert offering is not None
        assert [p.charge for p in offering.prices_at(clock.now, "EUR") if p.name == "monthly"] == [
            RecurringCharge(D("79.00"))
        ]


def test_what_an_offering_was_sold_under_is_refused_when_the_file_changes_it(bss: Bss, tmp_path: Any) -> None:
    """An SLA or a fixed characteristic edited in the catalog file used to be neither applied nor
    reported: the operator believed the new credit table was in force."""
    from bss_bridge.config.catalog_file import read_catalog

    from ..conftest import CATALOG

    text = CATALOG.read_text()
    sla = 'sla: {target: "99.9", credits: [{below: "99.9", credit: 10}, {below: 99, credit: 25}, {below: 95, '
    sla += "credit: 100}]}"
    edited = text.replace(sla, 'sla: {target: "99.5", credits: [{below: "99.5", credit: 5}]}', 1).replace(
        "characteristics: {bandwidthMbps: 1000}", "characteristics: {bandwidthMbps: 100}", 1
    )
    assert edited.count('target: "99.5"') == 1 and edited.count("{bandwidthMbps: 100}") == 2
    path = tmp_path / "catalog.yaml"
    path.write_text(edited)

    assert run(bss, read_catalog(CATALOG, apply=True)).refused == []  # as stored, the file's own read back equal
    for apply in (False, True):
        report = run(bss, read_catalog(path, apply=apply))
        assert sorted(report.refused) == ["bia-100.sla", "bia-1000.fixed.bandwidthMbps"]
        assert report.updated == [] and report.repriced == []
    with bss.uow() as uow:
        bia100, bia1000 = uow.offerings.get("bia-100"), uow.offerings.get("bia-1000")
        assert bia100 is not None and bia1000 is not None
        assert bia100.sla is not None and bia100.sla.availability_target_pct == Decimal("99.9")
        assert len(bia100.sla.credit_tiers) == 3
        assert bia1000.fixed == {"bandwidthMbps": 1000}


def test_a_specification_in_the_file_grows_optional_characteristics_and_refuses_the_rest(
    bss: Bss, tmp_path: Any
) -> None:
    """A demo database made before a specification gained a characteristic used to keep the old
    specification silently: every order naming the new characteristic failed with 400."""
    from bss_bridge.config.catalog_file import read_catalog

    from ..conftest import CATALOG

    text = CATALOG.read_text()
    grown = text.replace(
        "      - {name: bandwidthMbps, valueType: integer, values: [100, 1000], unit: Mbit/s}\n",
        "      - {name: bandwidthMbps, valueType: integer, values: [100, 1000], unit: Mbit/s}\n"
        "      - {name: contact, valueType: string, required: false, description: who to call on site}\n"
        "      - {name: rack, valueType: string}\n",
        1,
    ).replace("{name: siteB, valueType: string, resource: site}", "{name: siteB, valueType: integer}", 1)
    assert grown.count("name: contact") == 1 and "siteB, valueType: integer" in grown
    path = tmp_path / "catalog.yaml"
    path.write_text(grown)

    seed = run(bss, read_catalog(path))
    assert seed.differs == ["business-internet.contact"]
    assert sorted(seed.refused) == ["business-internet.rack", "site-interconnect.siteB"]
    with bss.uow() as uow:
        spec = uow.specifications.get("business-internet")
        assert spec is not None and spec.characteristic("contact") is None and spec.version == "1"

    applied = run(bss, read_catalog(path, apply=True))
    assert applied.updated == ["business-internet"]
    assert sorted(applied.refused) == ["business-internet.rack", "site-interconnect.siteB"]
    with bss.uow() as uow:
        spec = uow.specifications.get("business-internet")
        other = uow.specifications.get("site-interconnect")
        assert spec is not None and other is not None
        assert [c.name for c in spec.characteristics] == ["site", "lan", "bandwidthMbps", "contact"]
        assert spec.version == "2"
        assert other.characteristic("siteB") is not None and other.characteristic("siteB").value_type.value == "string"
    again = run(bss, read_catalog(path, apply=True))
    assert again.updated == [] and again.differs == []
