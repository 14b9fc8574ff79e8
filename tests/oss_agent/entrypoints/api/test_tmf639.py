"""TMF639 over a discovered fake network: schema-valid resources, paging, fields, filters, errors, auth."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from adapters import DriverRegistry, LldpNeighbor
from adapters.fake import FakeNetwork
from oss_agent.bootstrap import Agent, bootstrap
from oss_agent.config import AgentSettings
from oss_agent.discovery.service import discover_all
from oss_agent.entrypoints.api import create_app

SWAGGER = json.loads(Path("/work/shared/tmf/TMF639-ResourceInventory-v4.0.0.swagger.json").read_text())
BASE = "/tmf-api/resourceInventoryManagement/v4"
TOKEN = "s3cret-token-value"


def validator(definition: str, array: bool = False) -> jsonschema.Draft4Validator:
    ref = {"$ref": f"#/definitions/{definition}"}
    schema = {"definitions": SWAGGER["definitions"], **({"type": "array", "items": ref} if array else ref)}
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def build_agent(tmp_path: Path, token: str | None = None) -> Agent:
    network = FakeNetwork()
    for name, other in (("r1", "r2"), ("r2", "r1")):
        state = network.add(name, interfaces=2, running=f"hostname {name}\n")
        state.lldp = [LldpNeighbor("eth0", other, "eth0")]
    registry = DriverRegistry()
    network.register(registry)
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(
        "devices:\n  - {name: r1, host: 127.0.0.11, platform: frr, role: pe}\n"
        "  - {name: r2, host: 127.0.0.12, platform: frr, role: p}\n"
    )
    settings = AgentSettings(data_dir=tmp_path, inventory_file=inventory, api_token=SecretStr(token) if token else None)
    agent = bootstrap(settings, registry=registry, upgrade_schema=True)
    asyncio.run(discover_all(agent))
    return agent


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    agent = build_agent(tmp_path)
    with TestClient(create_app(agent)) as test_client:
        yield test_client
    agent.close()


def test_list_is_schema_valid_with_headers_and_relationships(client: TestClient) -> None:
    response = client.get(f"{BASE}/resource")
    assert response.status_code == 200
    body = response.json()
    validator("Resource", array=True).validate(body)
    assert response.headers["X-Total-Count"] == response.headers["X-Result-Count"] == str(len(body)) == "6"
    by_id = {item["id"]: item for item in body}
    assert set(by_id) == {"r1", "r1:eth0", "r1:eth1", "r2", "r2:eth0", "r2:eth1"}
    r1 = by_id["r1"]
    assert r1["@type"] == "PhysicalResource" and r1["resourceStatus"] == "available"
    assert {rel["resource"]["id"] for rel in r1["resourceRelationship"]} == {"r1:eth0", "r1:eth1"}
    eth0 = {rel["relationshipType"]: rel["resource"]["id"] for rel in by_id["r1:eth0"]["resourceRelationship"]}
    assert eth0 == {"isContainedIn": "r1", "connectedTo": "r2:eth0"}
    assert client.get(r1["href"]).json() == r1


def test_paging_fields_and_filters(client: TestClient) -> None:
    response = client.get(f"{BASE}/resource", params={"offset": 1, "limit": 2, "fields": "name,resourceStatus"})
    body = response.json()
    validator("Resource", array=True).validate(body)
    assert (response.headers["X-Total-Count"], response.headers["X-Result-Count"]) == ("6", "2")
    assert all(set(item) == {"id", "href", "@type", "name", "resourceStatus"} for item in body)
    interfaces = client.get(f"{BASE}/resource", params={"resourceSpecification.name": "networkInterface"})
    assert {i["category"] for i in interfaces.json()} == {"interface"}
    assert interfaces.headers["X-Total-Count"] == "4"
    named = client.get(f"{BASE}/resource", params={"name": "r2", "category": "device"}).json()
    assert [i["id"] for i in named] == ["r2"]
    one = client.get(f"{BASE}/resource/r2:eth1", params={"fields": "operationalState"})
    validator("Resource").validate(one.json())
    assert set(one.json()) == {"id", "href", "@type", "operationalState"}


def test_tmf630_filters_are_applied_or_refused_by_name(client: TestClient) -> None:
    def get(**params: str) -> Any:
        return client.get(f"{BASE}/resource", params=params)

    assert [i["id"] for i in get(**{"resourceRelationship.resource.id": "r2:eth0"}).json()] == ["r1:eth0", "r2"]
    assert get(**{"startOperatingDate.gt": "2020-01-01T00:00:00Z"}).json() == []  # none has one: no match
    for params, fragment in (
        ({"nosuch": "x"}, "cannot filter on 'nosuch'"),
        ({"name.gt": "r1"}, "'name.gt': .gt compares numbers and dates; name is a string"),
        ({"startOperatingDate.lt": "soon"}, "startOperatingDate.lt='soon': not a date"),
    ):
        refused = get(**params)
        assert refused.status_code == 400 and fragment in refused.json()["message"]
        validator("Error").validate(refused.json())


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/resource", {"limit": "-1"}, 400),
        ("/resource", {"offset": "-3"}, 400),
        ("/resource", {"limit": "many"}, 400),
        ("/resource/nosuch", {}, 404),
        ("/resource/r1:nosuch", {}, 404),
    ],
)
def test_errors_have_the_tmf_shape(client: TestClient, path: str, params: dict[str, str], status: int) -> None:
    response = client.get(f"{BASE}{path}", params=params)
    assert response.status_code == status
    validator("Error").validate(response.json())
    assert response.json()["status"] == str(status) and response.json()["message"]


def test_bearer_token_is_required_and_never_echoed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    agent = build_agent(tmp_path, token=TOKEN)
    caplog.set_level(logging.DEBUG)
    try:
        with TestClient(create_app(agent)) as client:
            for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
                response = client.get(f"{BASE}/resource", headers=headers)
                assert response.status_code == 401
                validator("Error").validate(response.json())
                assert TOKEN not in response.text
            ok = client.get(f"{BASE}/resource", headers={"Authorization": f"Bearer {TOKEN}"})
            assert ok.status_code == 200 and TOKEN not in ok.text
    finally:
        agent.close()
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(agent.settings)


def test_resources_follow_the_swagger_required_fields(client: TestClient) -> None:
    required: list[Any] = SWAGGER["definitions"]["Resource"]["required"]
    for item in client.get(f"{BASE}/resource", params={"fields": "name"}).json():
        assert all(key in item for key in required)
