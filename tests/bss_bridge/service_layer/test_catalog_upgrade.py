"""A BSS whose database was made from an older catalog file, loaded with today's: config/catalog.yaml
now checks a customer LAN by ``format: ipv4Prefix`` where it had a regex (which let host bits
through). The load at start (seed mode, as ``oss-bss run`` and ``oss-bss catalog load`` without
--apply) takes the stricter rule and reports it, unless a product already sold holds a value it
refuses: then the old rule is kept and the products to change first are named. On SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bss_bridge.bootstrap import Bss, bootstrap
from bss_bridge.config.catalog_file import read_catalog
from bss_bridge.config.settings import BssSettings
from bss_bridge.domain import commands
from bss_bridge.domain.catalog import ValueFormat
from bss_bridge.domain.errors import InvalidRequestError
from bss_bridge.domain.requests import ItemRequest, OrderRequest
from bss_bridge.service_layer.catalog_handlers import CatalogReport

from ..billing_world import account, run
from ..conftest import CATALOG, Clock, KnownInventory

OLD_REGEX = r"(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}/([0-9]|[12][0-9]|3[0-2])"
LANS = ("business-internet.lan", "site-interconnect.lanA", "site-interconnect.lanB")


def old_catalog() -> commands.LoadCatalog:
    """config/catalog.yaml as it was before the LANs had a format: each checked by a regex."""
    new = read_catalog(CATALOG)
    specifications = []
    for spec in new.specifications:
        characteristics = tuple(
            dataclasses.replace(c, format=None, regex=OLD_REGEX) if f"{spec.specification_id}.{c.name}" in LANS else c
            for c in spec.characteristics
        )
        specifications.append(dataclasses.replace(spec, characteristics=characteristics))
    return dataclasses.replace(new, specifications=tuple(specifications))


@pytest.fixture
def old_bss(database_url: str, tmp_path: Path, inventory: KnownInventory, clock: Clock) -> Iterator[Bss]:
    settings = BssSettings(data_dir=tmp_path, database_url=database_url)  # type: ignore[call-arg]
    bss = bootstrap(settings, upgrade_schema=True, inventory=inventory, clock=clock)
    report = asyncio.run(bss.handle(old_catalog()))
    assert "business-internet" in report.created
    yield bss
    bss.close()


def order_with_lan(bss: Bss, account_id: str, lan: str) -> Any:
    with bss.uow() as uow:
        customer_id = uow.accounts.get(account_id).customer_id  # type: ignore[union-attr]
    item = ItemRequest("1", "add", "bia-100", characteristics=(("site", "customer1"), ("lan", lan)))
    placed, _ = run(bss, commands.SubmitProductOrder(OrderRequest(customer_id, account_id, (item,))))
    return placed


def lan_rule(bss: Bss) -> tuple[str | None, str | None, str]:
    with bss.uow() as uow:
        spec = uow.specifications.get("business-internet")
        assert spec is not None
        lan = spec.characteristic("lan")
        assert lan is not None
        return lan.regex, lan.format, spec.version


def test_the_load_at_start_takes_the_stricter_lan_format_and_says_so(old_bss: Bss) -> None:
    bss = old_bss
    acme = account(bss)
    order_with_lan(bss, acme, "10.1.2.0/24")  # sold under the old rule, and valid under the new
    assert lan_rule(bss) == (OLD_REGEX, None, "1")
    report: CatalogReport = run(bss, read_catalog(CATALOG))  # seed mode, as at start
    with pytest.raises(InvalidRequestError) as refused:
        order_with_lan(bss, acme, "10.1.2.3/24")
    [problem] = refused.value.problems
    assert problem.field.startswith("productOrderItem[0]") and problem.message == (
        "lan: 10.1.2.3/24 has host bits set: did you mean 10.1.2.0/24?"
    ), problem
    assert lan_rule(bss) == (None, ValueFormat.IPV4_PREFIX, "2")
    assert sorted(report.revalidated) == sorted(LANS)
    assert report.revalidated["business-internet.lan"] == f"format ipv4Prefix (was regex {OLD_REGEX!r})"
    assert not (report.not_revalidated or report.refused or report.differs or report.created), report
    order_with_lan(bss, acme, "10.1.3.0/24")
    again: CatalogReport = run(bss, read_catalog(CATALOG))
    assert not (again.revalidated or again.not_revalidated or again.refused), again
    assert lan_rule(bss) == (None, ValueFormat.IPV4_PREFIX, "2")


def test_a_stricter_lan_format_that_a_product_sold_fails_is_kept_back_naming_the_product(old_bss: Bss) -> None:
    """Products already sold stay valid under their specification: the rule is not changed under
    them, nor silently kept (the report names each product and what is wrong with its value)."""
    bss = old_bss
    acme = account(bss)
    placed = order_with_lan(bss, acme, "10.1.2.3/24")  # what the old rule let through
    product = placed.items[0].subscription_id
    report: CatalogReport = run(bss, read_catalog(CATALOG))
    assert lan_rule(bss) == (OLD_REGEX, None, "1")
    assert report.refused == [], report  # a changed rule, not a changed characteristic
    assert report.not_revalidated == {
        "business-internet.lan": [f"product {product}: lan: 10.1.2.3/24 has host bits set: did you mean 10.1.2.0/24?"]
    }
    assert sorted(report.revalidated) == ["site-interconnect.lanA", "site-interconnect.lanB"]
    run(bss, commands.CancelProductOrder(placed.id, "wrong LAN"))  # the product changed first: cancelled
    report = run(bss, read_catalog(CATALOG))
    assert list(report.revalidated) == ["business-internet.lan"] and not report.not_revalidated, report
    assert lan_rule(bss) == (None, ValueFormat.IPV4_PREFIX, "2")
