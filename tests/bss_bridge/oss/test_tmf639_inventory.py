"""The BSS asks the real OSS (its FastAPI app over a real database, with a discovered network)
whether the sites and devices an order names exist, over HTTP only; and an order through the BSS's
API is refused, naming the field, when the OSS does not have its site."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from adapters import DriverRegistry
from adapters.fake import FakeNetwork
from bss_bridge.bootstrap import bootstrap
from bss_bridge.config.catalog_file import read_catalog
from bss_bridge.config.settings import BssSettings
from bss_bridge.domain.catalog import ResourceKind
from bss_bridge.domain.requests import ResourceCheck
from bss_bridge.entrypoints.api import create_app as bss_app
from bss_bridge.errors import OssUnavailableError
from bss_bridge.oss.tmf639 import Tmf639Inventory
from oss_agent.bootstrap import Agent
from oss_agent.bootstrap import bootstrap as oss_bootstrap
from oss_agent.config import AgentSettings
from oss_agent.discovery.service import discover_all
from oss_agent.entrypoints.api import create_app as oss_app

from ..conftest import CATALOG, T0, Clock

TOKEN = "oss-api-token-for-the-bss"
TMF639 = "http://oss.test/tmf-api/resourceInventoryManagement/v4"


@pytest.fixture
def oss(tmp_path: Path) -> Iterator[Agent]:
    network = FakeNetwork()
    for name in ("pe1", "ce1"):
        network.add(name, interfaces=2)
    registry = DriverRegistry()
    network.register(registry)
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(
        "devices:\n  - {name: pe1, host: 127.0.0.11, platform: frr, role: pe, site: pop1}\n"
        "  - {name: ce1, host: 127.0.0.21, platform: frr, role: cpe, site: customer1}\n"
    )
    settings = AgentSettings(data_dir=tmp_path / "oss", inventory_file=inventory, api_token=SecretStr(TOKEN))
    agent = oss_bootstrap(settings, registry=registry, upgrade_schema=True)
    asyncio.run(discover_all(agent))
    yield agent
    agent.close()


def transport(agent: Agent) -> httpx.ASGITransport:
    return httpx.ASGITransport(app=oss_app(agent))


def check(kind: str, value: str) -> ResourceCheck:
    return ResourceCheck(f"f.{value}", ResourceKind(kind), value)


def test_devices_and_sites_are_looked_up_in_the_oss_resource_inventory(oss: Agent) -> None:
    inventory = Tmf639Inventory(TMF639, TOKEN, transport=transport(oss))
    checks = [
        check("device", "pe1"),
        check("device", "pe1:eth0"),
        check("device", "p9"),
        check("site", "customer1"),
        check("site", "pop1"),
        check("site", "atlantis"),
        check("device", "pe1"),
    ]
    missing = asyncio.run(inventory.missing(checks))
    assert [c.value for c in missing] == ["pe1:eth0", "p9", "atlantis"]


def test_an_oss_that_refuses_or_does_not_answer_is_an_error_that_never_shows_the_token(oss: Agent) -> None:
    wrong = Tmf639Inventory(TMF639, "not-the-token", transport=transport(oss))
    with pytest.raises(OssUnavailableError, match="refused our token") as refused:
        asyncio.run(wrong.missing([check("site", "customer1")]))
    assert "not-the-token" not in str(refused.value)
    down = Tmf639Inventory("http://127.0.0.1:9/tmf-api/resourceInventoryManagement/v4", TOKEN, timeout_s=2)
    with pytest.raises(OssUnavailableError, match="did not answer") as unreachable:
        asyncio.run(down.missing([check("device", "pe1")]))
    assert TOKEN not in str(unreachable.value)


def test_an_order_through_the_bss_api_is_checked_against_the_oss(oss: Agent, tmp_path: Path) -> None:
    inventory = Tmf639Inventory(TMF639, TOKEN, transport=transport(oss))
    bss = bootstrap(BssSettings(data_dir=tmp_path / "bss"), upgrade_schema=True, inventory=inventory, clock=Clock(T0))
    asyncio.run(bss.handle(read_catalog(CATALOG)))
    try:
        with TestClient(bss_app(bss)) as client:
            customer = client.post("/tmf-api/customerManagement/v4/customer", json={"name": "ACME"}).json()["id"]
            account = client.post(
                "/tmf-api/accountManagement/v4/billingAccount",
                json={"name": "main", "relatedParty": [{"id": customer, "role": "customer"}], "currency": "EUR"},
            ).json()["id"]

            def order(site: str, device: str) -> httpx.Response:
                items = [
                    {
                        "id": "1",
                        "action": "add",
                        "productOffering": {"id": "bia-100"},
                        "product": {"productCharacteristic": [{"name": "site", "value": site}]},
                    },
                    {
                        "id": "2",
                        "action": "add",
                        "productOffering": {"id": "transit-burst-100"},
                        "product": {
                            "productCharacteristic": [
                                {"name": "accessDevice", "value": device},
                                {"name": "customerAsn", "value": 64512},
                            ]
                        },
                    },
                ]
                return client.post(
                    "/tmf-api/productOrderingManagement/v4/productOrder",
                    json={
                        "relatedParty": [{"id": customer, "role": "customer"}],
                        "billingAccount": {"id": account},
                        "productOrderItem": items,
                    },
                )

            refused = order("atlantis", "p9")
            assert refused.status_code == 400
            assert refused.json()["problems"] == [
                {
                    "field": "productOrderItem[0].product.productCharacteristic[0].value",
                    "message": "no site 'atlantis' in the OSS's resource inventory",
                },
                {
                    "field": "productOrderItem[1].product.productCharacteristic[0].value",
                    "message": "no device 'p9' in the OSS's resource inventory",
                },
            ]
            assert client.get("/tmf-api/productOrderingManagement/v4/productOrder").headers["X-Total-Count"] == "0"
            assert order("customer1", "pe1").status_code == 201
    finally:
        bss.close()
