"""kill -9 of the agent and of the BSS in the middle of the loop on the lab, then a restart: the order
is carried to its end once. The three processes are real and separate (as in ``test_loop_lab``): the
agent (``oss-agent run``) is stopped dead by its own failpoint during the activation, the BSS
(``oss-bss run``) by the test after it accepted the order and before the bridge could carry it (the
bridge held with SIGSTOP meanwhile, so the point is the same every run)."""

from __future__ import annotations

import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import sessionmaker

from bss_bridge.storage.bridge_tables import BridgeRequestRow
from lab.pytest_plugin import LabHandle

from ...oss_agent.provisioning.conftest import Prov, baseline, clean, ping, prov  # noqa: F401 - fixtures
from .test_loop_lab import INET, ORDERING, PRODUCT_ORDERS, Loop, order_internet, product_of, running_loop

pytestmark = pytest.mark.lab
SERVICES = "/tmf-api/serviceInventory/v4/service"


def when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def carried_once(loop: Loop, order: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The product order's one service order on the agent and its product in the BSS, once the loop
    has ended; asserts that nothing was done twice on either side."""
    item = f"{order['id']}:1"
    product = loop.procs.wait_for(
        "the product out of its activation",
        lambda: (found := product_of(loop.bss, order["id"]))["status"] not in ("created", "pendingActive") and found,
    )
    (service_order,) = loop.agent.get(f"{ORDERING}/serviceOrder", params={"externalId": item}).json()
    service_order = loop.agent.get(f"{ORDERING}/serviceOrder/{service_order['id']}").json()
    # one service order in all on the agent, and one service for it: no second activation
    assert [o["externalId"] for o in loop.agent.get(f"{ORDERING}/serviceOrder").json()] == [item]
    services = [s for s in loop.agent.get(SERVICES).json() if s["state"] != "terminated"]
    ordered = service_order["serviceOrderItem"][0]["service"]["id"]
    assert [s["id"] for s in services] == ([ordered] if service_order["state"] == "completed" else [])
    # the BSS: one product, one request of the bridge for the item, done
    customer = order["relatedParty"][0]["id"]
    products = loop.bss.get("/tmf-api/productInventory/v4/product", params={"relatedParty.id": customer}).json()
    assert [p["id"] for p in products] == [product["id"]]
    engine = create_engine(f"sqlite:///{loop.bss_db}")

    def requests() -> list[tuple[str, str, str | None]]:
        with sessionmaker(engine)() as session:
            rows = session.execute(select(BridgeRequestRow.key, BridgeRequestRow.state, BridgeRequestRow.outcome))
            return [tuple(row) for row in rows]  # type: ignore[misc]

    try:
        loop.procs.wait_for("the bridge's request done", lambda: [r[1] for r in requests()] == ["done"])
        assert requests() == [(item, "done", service_order["state"])]
    finally:
        engine.dispose()
    return service_order, product


def charged(loop: Loop, account: str) -> list[str]:
    """A bill run for ``account`` as of now: the kinds of the lines it charged (none: no bill)."""
    body = {"asOf": datetime.now(UTC).isoformat().replace("+00:00", "Z"), "billingAccount": [{"id": account}]}
    run = loop.bss.post("/bss/v1/billRun", json=body)
    assert run.is_success, run.text
    bills = [b["billNo"] for b in run.json()["bills"] if b["billNo"]]
    if not bills:
        return []
    (bill,) = bills
    lines = loop.bss.get("/tmf-api/customerBillManagement/v4/appliedCustomerBillingRate", params={"bill.id": bill})
    return [str({c["name"]: c["value"] for c in line.get("characteristic", [])}.get("kind")) for line in lines.json()]


@pytest.mark.parametrize(
    ("failpoint", "outcome"),
    [
        ("decided", "completed"),  # every device prepared and checked, the commit decided, nothing confirmed
        ("prepared:pe1", "failed"),  # pe1 changed, its NETCONF commit pending, the decision not taken
    ],
)
def test_the_agent_killed_during_the_activation_finishes_it_on_restart_once(
    lab: LabHandle,
    prov: Prov,  # noqa: F811 - the agent fixture of the provisioning tests (imported above)
    clean: None,  # noqa: F811 - the lab put back after the test
    tmp_path: Path,
    failpoint: str,
    outcome: str,
) -> None:
    with running_loop(lab, tmp_path, {"OSS_AGENT_FAILPOINT": failpoint}) as loop:
        _, account, order = order_internet(loop.bss)
        loop.procs.killed("agent")  # stopped dead by its failpoint, in the middle of the activation
        assert product_of(loop.bss, order["id"])["status"] not in ("active", "aborted ")
        loop.procs.restart("agent", OSS_AGENT_FAILPOINT=None)
        service_order, product = carried_once(loop, order)
        # finished by the restarted agent's recovery, not activated again
        recovered = [line for line in loop.procs.log("agent").splitlines() if "recovered in-flight orders" in line]
        assert len(recovered) == 1 and service_order["id"] in recovered[0], loop.procs.logs()
        assert service_order["state"] == outcome, service_order
        assert loop.bss.get(f"{PRODUCT_ORDERS}/{order['id']}").json()["state"] == outcome
        kinds = charged(loop, account)
        if outcome == "completed":
            assert product["status"] == "active", product
            assert when(product["startDate"]) == when(service_order["completionDate"])
            assert ping(lab, "lan1", INET)
            assert kinds.count("oneTimeCharge") == 1, kinds  # the setup charged once
        else:
            assert product["status"] == "aborted ", product  # TMF637 v4 spells it with a trailing space
            assert not ping(lab, "lan1", INET)
            assert kinds == [], kinds  # nothing charged


def test_the_bss_killed_before_the_bridge_carried_the_order_loses_nothing(
    lab: LabHandle,
    prov: Prov,  # noqa: F811
    clean: None,  # noqa: F811
    tmp_path: Path,
) -> None:
    with running_loop(lab, tmp_path) as loop:
        bridge = loop.procs.process("bridge")
        bridge.send_signal(signal.SIGSTOP)  # held: the order cannot be carried before the BSS dies
        try:
            _, account, order = order_internet(loop.bss)
            loop.procs.process("bss").kill()
            loop.procs.killed("bss")
            assert loop.agent.get(f"{ORDERING}/serviceOrder").json() == []
            loop.procs.restart("bss")
            loop.procs.wait_for("the BSS again", lambda: loop.bss.get(f"{PRODUCT_ORDERS}/{order['id']}").is_success)
        finally:
            bridge.send_signal(signal.SIGCONT)
        service_order, product = carried_once(loop, order)
        assert service_order["state"] == "completed", service_order
        assert product["status"] == "active", product
        assert when(product["startDate"]) == when(service_order["completionDate"])
        assert ping(lab, "lan1", INET)
        assert charged(loop, account).count("oneTimeCharge") == 1  # the setup charged once
