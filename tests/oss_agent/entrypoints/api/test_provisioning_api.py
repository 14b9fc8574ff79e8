"""TMF641, TMF638, TMF633 and TMF652 over HTTP, every answer checked against the official schemas;
the TMF641 hub's events too; a service's supportingResource hrefs answer on TMF639."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from oss_agent.bootstrap import Agent, bootstrap, device_specs
from oss_agent.config import AgentSettings, load_inventory
from oss_agent.domain.commands import RecordInterfaces, SyncInventory
from oss_agent.domain.model import InterfaceState, Link, LinkEnd
from oss_agent.domain.resource_order import Phase
from oss_agent.entrypoints.api import create_app
from oss_agent.fault.hub.store import HubStore
from oss_agent.provisioning.hub import ORDER_HUB
from oss_agent.storage.provisioning_repository import ResourceOrder

from .conftest import schema_validator

ORDERING, INVENTORY = "/tmf-api/serviceOrdering/v4", "/tmf-api/serviceInventory/v4"
CATALOG, RESOURCES = "/tmf-api/serviceCatalogManagement/v4", "/tmf-api/resourceOrderingManagement/v4"
INVENTORY_YAML = """\
defaults:
  snmp: {version: v2c, community: {env: RO}}
  ssh: {username: oss, password: {env: PW}}
  netconf: {username: oss, password: {env: PW}}
devices:
  - {name: pe1, host: 127.0.0.11, platform: frr, role: pe}
  - {name: pe2, host: 127.0.0.12, platform: frr, role: pe}
  - {name: ce1, host: 127.0.0.21, platform: linux, role: cpe, site: customer1, netconf: null}
  - {name: ce2, host: 127.0.0.22, platform: linux, role: cpe, site: customer2, netconf: null}
probes:
  - {name: lan1, host: 127.0.0.31, address: 198.18.2.10, attached_to: ce1}
  - {name: lan2, host: 127.0.0.32, address: 198.18.3.10, attached_to: ce2}
"""


def v641(definition: str, array: bool = False) -> Any:
    return schema_validator("TMF641-ServiceOrdering-v4.1.0", definition, array)


def order_body(external_id: str | None = "crm-7", **values: Any) -> dict[str, Any]:
    chars = {
        "customer": "ACME",
        "siteA": "customer1",
        "siteB": "customer2",
        "lanA": "198.18.2.0/24",
        "lanB": "198.18.3.0/24",
    } | values
    body: dict[str, Any] = {
        "description": "ACME sites",
        "relatedParty": [{"id": "acme", "name": "ACME", "role": "customer", "@referredType": "Organization"}],
        "serviceOrderItem": [
            {
                "id": "1",
                "action": "add",
                "service": {
                    "name": "acme-link",
                    "serviceSpecification": {"id": "site-interconnect"},
                    "serviceCharacteristic": [{"name": k, "value": v} for k, v in chars.items()],
                },
            }
        ],
    }
    return body | ({"externalId": external_id} if external_id else {})


@pytest.fixture
def agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Agent]:
    monkeypatch.setenv("RO", "public")
    monkeypatch.setenv("PW", "secret")
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(INVENTORY_YAML)
    built = bootstrap(AgentSettings(data_dir=tmp_path, inventory_file=inventory), upgrade_schema=True)

    async def setup() -> None:
        await built.bus.handle(SyncInventory(device_specs(load_inventory(inventory))))
        for device, ports in (("pe1", ("eth3",)), ("pe2", ("eth3",)), ("ce1", ("eth1",)), ("ce2", ("eth1",))):
            await built.bus.handle(
                RecordInterfaces(device, tuple(InterfaceState(p, 3, oper_status="up") for p in ports))
            )

    asyncio.run(setup())
    with built.uow as uow:  # what discovery would have found: each CE's uplink
        for ce, pe in (("ce1", "pe1"), ("ce2", "pe2")):
            uow.links.upsert(Link.between(LinkEnd(ce, "eth1"), LinkEnd(pe, "eth3")), datetime.now(UTC))
        uow.commit()
    yield built
    built.close()


@pytest.fixture
def client(agent: Agent) -> Iterator[TestClient]:
    with TestClient(create_app(agent)) as test_client:
        yield test_client


def test_orders_are_created_once_per_external_id_listed_and_cancelled(client: TestClient, agent: Agent) -> None:
    created = client.post(f"{ORDERING}/serviceOrder", json=order_body())
    assert created.status_code == 201, created.text
    order = created.json()
    v641("ServiceOrder").validate(order)
    assert order["state"] == "acknowledged" and order["externalId"] == "crm-7"
    assert order["serviceOrderItem"][0]["service"]["serviceSpecification"]["id"] == "site-interconnect"
    again = client.post(f"{ORDERING}/serviceOrder", json=order_body())
    assert again.status_code == 200 and again.json()["id"] == order["id"]  # the same externalId: the first order

    listed = client.get(f"{ORDERING}/serviceOrder", params={"state": "acknowledged", "fields": "state,externalId"})
    v641("ServiceOrder", array=True).validate(listed.json())
    assert listed.headers["X-Total-Count"] == "1" and set(listed.json()[0]) == {
        "id",
        "href",
        "@type",
        "state",
        "externalId",
    }
    assert client.get(order["href"]).json() == order

    cancelled = client.post(
        f"{ORDERING}/cancelServiceOrder", json={"serviceOrder": {"id": order["id"]}, "cancellationReason": "no budget"}
    )
    assert cancelled.status_code == 201
    v641("CancelServiceOrder").validate(cancelled.json())
    assert cancelled.json()["state"] == "done" and client.get(order["href"]).json()["state"] == "cancelled"
    refused = client.post(f"{ORDERING}/cancelServiceOrder", json={"serviceOrder": {"id": order["id"]}}).json()
    assert refused["state"] == "terminatedWithError"  # a cancelled order cannot be cancelled again
    v641("CancelServiceOrder", array=True).validate(client.get(f"{ORDERING}/cancelServiceOrder").json())
    missing = client.post(f"{ORDERING}/cancelServiceOrder", json={"serviceOrder": {"id": "nope"}})
    assert missing.status_code == 404
    v641("Error").validate(missing.json())


def test_a_refused_order_is_kept_rejected_with_each_field_named_and_a_malformed_one_is_a_400(
    client: TestClient,
) -> None:
    answer = client.post(f"{ORDERING}/serviceOrder", json=order_body(None, customer="x\nend", bandwidthMbps="fast"))
    assert answer.status_code == 201  # TMF641: acknowledged, then rejected by the rules, and kept
    stored = answer.json()
    v641("ServiceOrder").validate(stored)
    assert stored["state"] == "rejected"
    fields = {e["referenceError"]: e["message"] for e in stored["errorMessage"]}
    assert "injection" in fields["serviceOrderItem[0].service.serviceCharacteristic[customer].value"]
    assert "integer" in fields["serviceOrderItem[0].service.serviceCharacteristic[bandwidthMbps].value"]
    assert client.get(stored["href"]).json() == stored
    listed = client.get(f"{ORDERING}/serviceOrder", params={"state": "rejected"}).json()
    assert [o["id"] for o in listed] == [stored["id"]]
    for malformed in (["not", "an", "order"], {"serviceOrderItem": []}, {"serviceOrderItem": [{"id": "1"}]}):
        refused = client.post(f"{ORDERING}/serviceOrder", json=malformed)
        assert refused.status_code == 400, malformed
        v641("Error").validate(refused.json())
    empty = client.post(f"{ORDERING}/serviceOrder", json={"serviceOrderItem": []}).json()
    assert "serviceOrderItem" in empty["message"]


def test_services_resource_orders_and_specifications_are_schema_valid(client: TestClient, agent: Agent) -> None:
    order = client.post(f"{ORDERING}/serviceOrder", json=order_body()).json()
    assert agent.provisioning is not None
    activator = agent.provisioning.activator
    claimed = activator.claim(order["id"])  # what the engine does first; then, as if every device committed:
    assert claimed is not None
    service_id = claimed.items[0].service_id
    with agent.provisioning.uow() as uow:
        service = uow.services.get(service_id)
        service.transition(service.state.ACTIVE, datetime.now(UTC))
        service.provisioned(
            {"customer": "ACME"}, ("ce1", "ce1:eth1", "pe1", "pe1:eth3"), [], order["id"], datetime.now(UTC)
        )
        uow.resource_orders.save(
            ResourceOrder(
                "ro-1",
                order["id"],
                "pe1",
                "frr",
                Phase.COMMITTED,
                [service_id],
                change_cli=["ip route 198.18.2.0/24 198.19.128.1"],
                diff="+ip route",
            )
        )
        uow.commit()
    v638 = schema_validator("TMF638-ServiceInventory-v4.0.0", "Service", array=True)
    services = client.get(f"{INVENTORY}/service").json()
    v638.validate(services)
    [svc] = services
    assert svc["state"] == "active" and svc["externalId"] == "crm-7" and svc["relatedParty"][0]["id"] == "acme"
    for ref in svc["supportingResource"]:  # the TMF639 resources these links name exist there
        assert client.get(ref["href"]).status_code == 200, ref
    by_resource = client.get(f"{INVENTORY}/service", params={"supportingResource.id": "pe1:eth3"}).json()
    assert [s["id"] for s in by_resource] == [service_id]
    assert client.get(f"{INVENTORY}/service", params={"supportingResource.id": "pe2:eth3"}).json() == []

    v652 = schema_validator("TMF652-ResourceOrdering-v4.0.0", "ResourceOrder", array=True)
    resource_orders = client.get(f"{RESOURCES}/resourceOrder").json()
    v652.validate(resource_orders)
    assert resource_orders[0]["state"] == "completed" and resource_orders[0]["externalId"] == order["id"]
    assert client.get(resource_orders[0]["orderItem"][0]["resource"]["href"]).status_code == 200

    v633 = schema_validator("TMF633-ServiceCatalog-v4.0.0", "ServiceSpecification", array=True)
    specs = client.get(f"{CATALOG}/serviceSpecification").json()
    v633.validate(specs)
    assert {s["id"] for s in specs} == {"site-interconnect", "internet-access"}
    assert client.get(f"{CATALOG}/serviceSpecification/nope").status_code == 404


def test_the_order_hub_sends_schema_valid_events_to_a_listener(client: TestClient, agent: Agent) -> None:
    registered = client.post(
        f"{ORDERING}/hub", json={"callback": "http://127.0.0.1:9/cb", "query": "eventType=ServiceOrderCreateEvent"}
    )
    assert registered.status_code == 201
    assert (
        client.post(
            f"{ORDERING}/hub", json={"callback": "http://x/", "query": "eventType=AlarmCreateEvent"}
        ).status_code
        == 400
    )
    order = client.post(f"{ORDERING}/serviceOrder", json=order_body()).json()
    store = HubStore(client.app.state.session_factory, "http://testserver", ORDER_HUB)  # type: ignore[attr-defined]
    assert store.fan_out() >= 1
    [pending] = store.pending(registered.json()["id"])
    v641("ServiceOrderCreateEvent").validate(pending.body)
    assert pending.body["event"]["serviceOrder"]["id"] == order["id"]
    alarms = HubStore(client.app.state.session_factory, "http://testserver")  # type: ignore[attr-defined]
    assert alarms.due(datetime.now(UTC)) == []  # each API's dispatcher serves its own listeners only
    assert client.delete(f"{ORDERING}/hub/{registered.json()['id']}").status_code == 204


def test_a_dry_run_names_every_refusal_and_stores_nothing(client: TestClient) -> None:
    for wrong, field in (({"bandwidthMbps": 5000}, "bandwidthMbps"), ({"siteB": "nowhere"}, "siteB")):
        refused = client.post("/provisioning/v1/dryRun", json=order_body(None, **wrong))
        assert refused.status_code == 200, refused.text
        result = refused.json()
        assert result["items"] == [] and result["devices"] == []
        assert [p["field"] for p in result["problems"] if field in p["field"]], result["problems"]
    assert client.get(f"{ORDERING}/serviceOrder").json() == []  # nothing stored: no order, not even rejected
    malformed = client.post("/provisioning/v1/dryRun", json={"serviceOrderItem": [{"id": "1"}]})
    assert malformed.status_code == 400 and "action" in malformed.json()["message"]


def test_a_dry_run_plans_each_device_and_says_which_could_not_be_read(client: TestClient) -> None:
    """These devices do not exist (127.0.0.x answers nothing): the plan is complete, each device's
    reading fails on its own and says so; no pool value is taken."""
    result = client.post("/provisioning/v1/dryRun", json=order_body()).json()
    assert result["problems"] == []
    [item] = result["items"]
    assert item["action"] == "add" and item["spec"] == "site-interconnect" and item["state"] == "active"
    assert sorted(item["devices"]) == ["ce1", "ce2", "pe1", "pe2"]
    assert set(item["pool_values"]) and {d["device"] for d in result["devices"]} == {"ce1", "ce2", "pe1", "pe2"}
    assert all(d["error"] and "cannot read" in d["error"] for d in result["devices"])
    pools = client.post("/provisioning/v1/dryRun", json=order_body()).json()["items"][0]["pool_values"]
    assert pools == item["pool_values"]  # the same values again: the first dry run took none


def test_a_service_check_of_an_unknown_service_is_a_404_and_of_none_an_empty_list(client: TestClient) -> None:
    missing = client.post("/provisioning/v1/serviceCheck", json={"service": "nope"})
    assert missing.status_code == 404 and "nope" in missing.json()["message"]
    assert client.post("/provisioning/v1/serviceCheck", json={}).json() == []
    assert client.post("/provisioning/v1/serviceCheck", json={"service": "a b"}).status_code == 400


def test_a_resource_order_s_change_and_diff_are_shown_without_their_secrets(client: TestClient, agent: Agent) -> None:
    """TMF652's notes, and the console's order pages, carry the change, its diff and its error: never a secret."""
    order = client.post(f"{ORDERING}/serviceOrder", json=order_body()).json()
    assert agent.provisioning is not None
    claimed = agent.provisioning.activator.claim(order["id"])
    assert claimed is not None
    diff = (
        "--- cli running\n+++ cli candidate\n@@ -1,2 +1,2 @@\n router bgp 65000\n"
        "- neighbor 198.19.255.2 password 0ldBgpK3y\n+ neighbor 198.19.255.2 password n3wBgpK3y\n"
    )
    with agent.provisioning.uow() as uow:
        uow.resource_orders.save(
            ResourceOrder(
                "ro-1",
                order["id"],
                "pe1",
                "frr",
                Phase.COMMITTED,
                [claimed.items[0].service_id],
                change_cli=["router bgp 65000", " neighbor 198.19.255.2 password n3wBgpK3y"],
                change_netconf="<config><system><authentication><user><name>oss</name>"
                "<password>Netc0nfPw</password></user></authentication></system></config>",
                diff=diff,
                # as stored before adapter errors were masked where built: the device's refusal quoting the line
                error="pe1 refused: % Unknown command: neighbor 198.19.255.2 password Err0rK3y",
            )
        )
        uow.commit()
    answer = client.get(f"{RESOURCES}/resourceOrder/ro-1")
    assert answer.status_code == 200
    notes = [n["text"] for n in answer.json()["note"]]
    assert (
        "- neighbor 198.19.255.2 password <secret hidden>\n+ neighbor 198.19.255.2 password <secret hidden>"
        in (notes[1])
    )
    page = client.get(f"/ui/data/orders/{order['id']}")
    assert page.status_code == 200
    [shown] = page.json()["resource_orders"]
    assert shown["change_cli"][1] == " neighbor 198.19.255.2 password <secret hidden>"
    assert "<password>&lt;secret hidden&gt;</password>" in shown["change_netconf"]
    assert shown["error"] == "pe1 refused: % Unknown command: neighbor 198.19.255.2 password <secret hidden>"
    said = answer.text + page.text + client.get(f"{RESOURCES}/resourceOrder").text + client.get("/ui/data/orders").text
    for secret in ("0ldBgpK3y", "n3wBgpK3y", "Netc0nfPw", "Err0rK3y"):
        assert secret not in said
