"""Order values that try to inject configuration: each is refused before anything is planned, as a
TMF641 ``rejected`` order whose ``errorMessage`` names the field; no resource order, no journal, no
service, no pool value; the dry run names the same field and plans no device.

The devices of this inventory do not exist (127.0.0.x answers nothing): nothing here needs the lab.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from oss_agent.bootstrap import Agent
from oss_agent.domain.service import Service, ServiceState
from oss_agent.provisioning.request import read_order

from . import test_provisioning_api as base
from .test_provisioning_api import ORDERING, order_body

agent, client = base.agent, base.client  # the same fixtures: an agent over devices that do not exist

CHAR = "serviceOrderItem[0].service.serviceCharacteristic[{}].value"

HOSTILE: list[tuple[str, Any]] = [
    # free text (the customer's name goes into interface descriptions)
    ("customer", "ACME\nend"),
    ("customer", "ACME\r\nexit"),
    ("customer", "ACME\u2028interface eth0"),
    ("customer", "ACME\x85end"),
    ("customer", "ACME\x00"),
    ("customer", "ACME; reboot"),
    ("customer", "ACME && ip link set eth0 down"),
    ("customer", "$(reboot)"),
    ("customer", "`id`"),
    ("customer", "O'Brien"),
    ("customer", 'say "hi"'),
    ("customer", "ACME !"),
    ("customer", "end"),
    ("customer", "exit"),
    ("customer", "</description><enabled>false</enabled><description>"),
    ("customer", "a ]]>]]> <rpc/>"),
    ("customer", "&amp;"),
    ("customer", "ACM\u0395"),  # Greek capital epsilon: a confusable
    ("customer", "-ACME"),
    ("customer", "x" * 65),
    ("customer", 7),
    # sites: a name, looked up in the inventory
    ("siteA", "customer1\n"),
    ("siteA", "customer1;id"),
    ("siteA", "-customer1"),
    ("siteA", "customer1 "),
    ("siteA", "\u0441ustomer1"),  # Cyrillic es
    # prefixes
    ("lanA", "0.0.0.0/0"),
    ("lanA", "198.18.2.1/24"),
    ("lanA", "2001:db8::/64"),
    ("lanA", "198.18.2.0/24\n"),
    ("lanA", "198.18.2.0/24; reboot"),
    ("lanA", "198.18.2.0/33"),
    ("lanA", "198.18.2.0"),
    ("lanA", "-198.18.2.0/24"),
    ("lanA", 3323069952),
    ("lanA", "127.0.0.0/8"),
    ("lanA", "0.0.0.0/8"),
    ("lanA", "169.254.0.0/16"),
    ("lanA", "224.0.0.0/8"),
    ("lanA", "239.1.0.0/16"),
    ("lanA", "240.0.0.0/8"),
    ("lanA", "255.255.255.0/24"),
    ("lanA", "198.19.128.0/24"),  # the PE-CE access links' pool
    ("lanA", "198.19.129.64/26"),  # inside that pool
    ("lanA", "198.18.3.0/24"),  # the other site's LAN (its probe lan2 is there)
    ("lanA", "198.18.3.128/25"),  # inside the other site's LAN, in the same order (lanB is refused)
    ("lanA", "198.18.0.0/16"),  # covers the other site's LAN and its probe
    # numbers
    ("bandwidthMbps", "1e3"),
    ("bandwidthMbps", "true"),
    ("bandwidthMbps", True),
    ("bandwidthMbps", 1.5),
    ("bandwidthMbps", "99999999999999999999"),
    ("bandwidthMbps", 99999999999999999999),
    ("bandwidthMbps", -1),
    ("bandwidthMbps", 0),
    ("bandwidthMbps", "0x10"),
    ("bandwidthMbps", "10; reboot"),
    ("bandwidthMbps", "10\nend"),
    ("bandwidthMbps", "\u0661\u0660"),  # Arabic-Indic digits
    ("bandwidthMbps", None),
]


REFUSED_AS = {("lanA", "198.18.3.128/25"): "lanB"}


def _refused(name: str, value: Any) -> str:
    return REFUSED_AS.get((name, value), name) if isinstance(value, str) else name


def _stored_nothing(agent: Agent, order_id: str) -> None:
    assert agent.provisioning is not None
    with agent.provisioning.uow() as uow:
        assert uow.resource_orders.of_order(order_id) == []
        assert uow.orders.journal(order_id)[1] == []
        assert [s.id for s in uow.services.list()] in ([], ["other-1"])
    assert agent.provisioning.pools.holder("access-port", "ce1:eth1") is None


@pytest.mark.parametrize(("name", "value"), HOSTILE, ids=[f"{n}={v!r}"[:60] for n, v in HOSTILE])
def test_a_hostile_characteristic_is_rejected_naming_its_field_and_nothing_is_planned(
    client: TestClient, agent: Agent, name: str, value: Any
) -> None:
    field = CHAR.format(_refused(name, value))
    given = order_body(None, **{name: value})["serviceOrderItem"][0]["service"]["serviceCharacteristic"]
    position = [c["name"] for c in given].index(name)
    for path in (f"{ORDERING}/serviceOrder", "/provisioning/v1/dryRun"):
        answer = client.post(path, json=order_body(None, **{name: value}))
        body = answer.json()
        if answer.status_code == 400:  # not a string or an integer: the request's schema refuses it
            assert f"serviceCharacteristic.{position}.value" in body["message"], body
        elif path.endswith("dryRun"):
            assert answer.status_code == 200 and body["devices"] == [] and body["items"] == []
            assert field in {p["field"] for p in body["problems"]}, body["problems"]
        else:
            assert answer.status_code == 201 and body["state"] == "rejected", body
            assert field in {e["referenceError"] for e in body["errorMessage"]}, body["errorMessage"]
            _stored_nothing(agent, body["id"])
    assert agent.provisioning is not None
    with agent.provisioning.uow() as uow:
        assert uow.orders.list() == [] or all(o.state.value == "rejected" for o in uow.orders.list())


def _held_by_another(agent: Agent, state: ServiceState) -> None:
    """customer2's LAN 198.18.3.0/24, held by a service of another order."""
    assert agent.provisioning is not None
    values = {"customer": "Other", "site": "customer2", "lan": "198.18.3.0/24", "bandwidthMbps": 10}
    service = Service.reserve("other-1", "other", "internet-access", values, "o-1", "1", datetime.now(UTC))
    service.state = state
    with agent.provisioning.uow() as uow:
        uow.services.add(service)
        uow.commit()


@pytest.mark.parametrize("state", [ServiceState.RESERVED, ServiceState.ACTIVE, ServiceState.INACTIVE])
def test_a_lan_over_another_sites_service_is_refused_and_the_same_sites_is_not(
    client: TestClient, agent: Agent, state: ServiceState
) -> None:
    """A LAN becomes a static route and a BGP network on the PE: another site's LAN would be hijacked."""
    _held_by_another(agent, state)
    theirs = order_body(None, lanA="198.18.3.64/26", lanB="198.18.9.0/24")  # siteA: customer1
    stolen = client.post(f"{ORDERING}/serviceOrder", json=theirs).json()
    assert stolen["state"] == "rejected"
    [error] = stolen["errorMessage"]
    assert error["referenceError"] == CHAR.format("lanA") and "service other-1 at site customer2" in error["message"]
    dry = client.post("/provisioning/v1/dryRun", json=theirs).json()
    assert [p["field"] for p in dry["problems"]] == [CHAR.format("lanA")] and dry["devices"] == []
    own = client.post(f"{ORDERING}/serviceOrder", json=order_body(None)).json()  # lanB at customer2 itself
    assert own["state"] == "acknowledged", own.get("errorMessage")
    if state is not ServiceState.RESERVED:
        return
    with agent.provisioning.uow() as uow:  # type: ignore[union-attr]
        gone = uow.services.get("other-1")
        assert gone is not None
        gone.state = ServiceState.TERMINATED
        uow.commit()
    held = client.post(f"{ORDERING}/serviceOrder", json=theirs).json()  # the open order holds customer2's LAN too
    assert f"service order {own['id']} at site customer2" in held["errorMessage"][0]["message"]
    client.post(f"{ORDERING}/cancelServiceOrder", json={"serviceOrder": {"id": own["id"]}})
    freed = client.post(f"{ORDERING}/serviceOrder", json=theirs).json()
    assert freed["state"] == "acknowledged", freed.get("errorMessage")  # neither holds it now


@pytest.mark.parametrize(
    ("where", "body"),
    [
        ("serviceOrderItem[0].service.id", lambda b: b["serviceOrderItem"][0]["service"].update(id="svc-1\n")),
        ("serviceOrderItem[0].id", lambda b: b["serviceOrderItem"][0].update(id="1\n")),
        ("externalId", lambda b: b.update(externalId="crm-7\n")),
        ("serviceOrderItem[0].service.name", lambda b: b["serviceOrderItem"][0]["service"].update(name="a\nend")),
    ],
)
def test_an_identifier_with_a_final_line_break_is_refused_naming_it(
    client: TestClient, agent: Agent, where: str, body: Any
) -> None:
    """A service id is printed into the NETCONF description: with a final line break it was accepted,
    and the order failed later while rendering, instead of being refused."""
    request = order_body(None)
    body(request)
    answer = client.post(f"{ORDERING}/serviceOrder", json=request)
    assert answer.status_code in (201, 400), answer.text
    if answer.status_code == 400:
        assert where.split(".")[-1] in answer.json()["message"]
        return
    stored = answer.json()
    assert stored["state"] == "rejected" and where in {e["referenceError"] for e in stored["errorMessage"]}
    _stored_nothing(agent, stored["id"])


def test_a_file_order_with_a_final_line_break_in_an_identifier_is_refused_naming_it() -> None:
    """``oss-agent order submit FILE`` reads the request without the API's schema: its own reading
    refuses what the schema refuses (a regular expression's ``$`` lets one final line break through)."""
    request = order_body("crm-7\n")
    request["serviceOrderItem"][0]["id"] = "1\n"
    request["serviceOrderItem"][0]["service"]["id"] = "svc-1\n"
    fields = {p.field for p in read_order(request).problems}
    assert fields == {"externalId", "serviceOrderItem[0].id", "serviceOrderItem[0].service.id"}
