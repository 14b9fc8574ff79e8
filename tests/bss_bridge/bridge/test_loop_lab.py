"""The loop on the lab, every part real and its own process: the agent (``oss-agent run``) on the
lab's devices, the BSS (``oss-bss run``) and the bridge (``oss-bss bridge run``) between them over
HTTP and the hubs. A product order placed on the BSS's TMF622 becomes one TMF641 service order on
the agent; once the agent has verified the service with traffic, the product is active from that
moment and the customer's LAN host reaches the Internet host; the traffic it sends becomes the
agent's TMF635 usage, carried by the bridge into billing and rated (bounded by the PE port's own
kernel counters); suspending the product makes the
service inactive (no traffic), resuming it active again; the customer's access link failing opens
one incident for that customer, resolved when the link returns; a delete order ends both."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from bss_bridge.entrypoints.demo_story import story
from bss_bridge.storage.incident_store import IncidentStore
from lab import faults
from lab.pytest_plugin import LabHandle

from ...oss_agent.provisioning.conftest import Prov, baseline, clean, ns, ping, prov  # noqa: F401 - fixtures
from ...ports import free_port, free_udp_port

pytestmark = pytest.mark.lab
BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[3]
ORDERING = "/tmf-api/serviceOrdering/v4"
PRODUCT_ORDERS = "/tmf-api/productOrderingManagement/v4/productOrder"
PRODUCTS = "/tmf-api/productInventory/v4/product"
INET = "198.18.4.10"  # the lab's Internet host
USAGE = "/tmf-api/usageManagement/v4/usage"
PINGS, PING_BYTES = 60, 1400  # the traffic sent through the service: this many ICMP payloads each way
FLOOD = ("-c", str(PINGS), "-s", str(PING_BYTES))


def octets(lab: LabHandle, device: str) -> dict[str, tuple[int, int]]:
    """The kernel's own counters of each interface of ``device``: name -> (octets in, octets out)."""
    out = subprocess.run(
        ["ip", "-n", ns(lab, device), "-s", "-j", "link", "show"], capture_output=True, check=True, timeout=10
    ).stdout
    return {i["ifname"]: (i["stats64"]["rx"]["bytes"], i["stats64"]["tx"]["bytes"]) for i in json.loads(out)}


NOISE = ("apscheduler.executors.default:", "INFO httpx: HTTP Request:")


def telling(log: str) -> str:
    return "\n".join(line for line in log.splitlines() if not any(noise in line for noise in NOISE))


class Processes:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.running: list[tuple[str, subprocess.Popen[bytes], Path]] = []
        self.gone: list[tuple[str, subprocess.Popen[bytes], Path]] = []  # killed, kept for their logs
        self.args: dict[str, tuple[list[str], dict[str, str]]] = {}

    def start(self, name: str, args: list[str], env: dict[str, str]) -> None:
        log = self.tmp_path / f"{name}-{len(self.gone)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
        self.running.append((name, process, log))
        self.args[name] = (args, env)

    def process(self, name: str) -> subprocess.Popen[bytes]:
        (process,) = [p for n, p, _ in self.running if n == name]
        return process

    def log(self, name: str) -> str:
        """The whole log of the running ``name``."""
        (log,) = [log for n, _, log in self.running if n == name]
        return log.read_text()

    def killed(self, name: str, timeout_s: float = 240) -> None:
        """Wait until ``name`` is dead of SIGKILL (its own failpoint's or the test's), then forget it."""
        entry = next(e for e in self.running if e[0] == name)
        try:
            code = entry[1].wait(timeout=timeout_s)
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(f"{name} not killed in {timeout_s} s:\n{self.logs()}") from exc
        assert code == -signal.SIGKILL, f"{name} exited {code}:\n{self.logs()}"
        self.running.remove(entry)
        self.gone.append(entry)

    def restart(self, name: str, **env: str | None) -> None:
        """Start ``name`` again as it was started, its environment changed by ``env`` (None: unset)."""
        args, before = self.args[name]
        changed = {k: v for k, v in before.items() if k not in env} | {k: v for k, v in env.items() if v is not None}
        self.start(name, args, changed)

    def logs(self) -> str:
        """The end of each process's log, without the lines every scheduled job and HTTP request adds."""
        every = [*self.gone, *self.running]
        return "\n".join(f"--- {name} ({log.name}):\n{telling(log.read_text())[-6000:]}" for name, _, log in every)

    def check(self) -> None:
        for name, process, _ in self.running:
            assert process.poll() is None, f"{name} exited:\n{self.logs()}"

    def wait_for(self, what: str, probe: Callable[[], Any], timeout_s: float = 240) -> Any:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.check()
            try:
                found = probe()
            except httpx.TransportError:
                found = None
            if found:
                return found
            time.sleep(0.3)
        raise AssertionError(f"timed out waiting for {what}:\n{self.logs()}")

    def stop(self) -> list[str]:
        """SIGTERM each (newest first); the names of those that did not stop cleanly."""
        unclean = []
        for name, process, _ in reversed(self.running):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            try:
                code = process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                code = -9
            if code != 0:
                unclean.append(f"{name} ({code})")
        return unclean


@dataclass
class Loop:
    """The three processes running on the lab, and clients of the agent's and the BSS's APIs."""

    procs: Processes
    agent: httpx.Client
    bss: httpx.Client
    agent_url: str
    bss_url: str
    bss_db: Path


@contextlib.contextmanager
def running_loop(
    lab: LabHandle, tmp_path: Path, agent_extra: dict[str, str] | None = None, bss_extra: dict[str, str] | None = None
) -> Iterator[Loop]:
    """The agent on the lab (discovered), the BSS and the bridge on both hubs; stopped cleanly after.
    ``agent_extra``: more of the agent's environment (a failpoint, faster polls); ``bss_extra``: more
    of the BSS's (and the bridge's)."""
    ports: list[int] = []
    while len(ports) < 3:  # three distinct ports (a port just freed may be handed out again)
        ports += [port for port in [free_port()] if port not in ports]
    agent_port, bss_port, bridge_port = ports
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OSS_AGENT_", "OSS_BSS_"))}
    agent_env = base | {
        "OSS_AGENT_DATA_DIR": str(tmp_path / "agent"),
        "OSS_AGENT_INVENTORY_FILE": str(lab.options.inventory_path),
        "OSS_AGENT_API_PORT": str(agent_port),
        "OSS_AGENT_POLL_INTERVAL_S": "10",  # the link fault is seen by polling (the lab's traps go elsewhere)
        "OSS_AGENT_TRAP_HOST": "127.0.0.1",  # the loop's traps are not the lab's: loopback is enough
        "OSS_AGENT_TRAP_PORT": str(free_udp_port()),
        # usage published per 30 s interval (and 30 s rate samples), as soon as the interval is observed
        "OSS_AGENT_USAGE_INTERVAL_S": "30",
        "OSS_AGENT_USAGE_RATE_INTERVAL_S": "30",
        "OSS_AGENT_USAGE_PUBLISH_EVERY_S": "2",
        "OSS_AGENT_USAGE_GRACE_S": "120",
    }
    agent_env |= agent_extra or {}
    bss_env = base | {
        "OSS_AGENT_BSS_DATA_DIR": str(tmp_path / "bss"),
        "OSS_AGENT_BSS_API_PORT": str(bss_port),
        "OSS_AGENT_BSS_CATALOG_FILE": str(REPO / "config" / "catalog.yaml"),
        "OSS_AGENT_BSS_OSS_URL": f"http://127.0.0.1:{agent_port}",
        "OSS_AGENT_BSS_BRIDGE_PORT": str(bridge_port),
        "OSS_AGENT_BSS_BRIDGE_POLL_EVERY_S": "5",
        "OSS_AGENT_BSS_RATE_USAGE_EVERY_S": "2",
    }
    bss_env |= bss_extra or {}
    (tmp_path / "agent").mkdir()
    (tmp_path / "bss").mkdir()
    procs = Processes(tmp_path)
    agent = httpx.Client(base_url=f"http://127.0.0.1:{agent_port}", timeout=30)
    bss = httpx.Client(base_url=f"http://127.0.0.1:{bss_port}", timeout=30)
    try:
        procs.start("agent", [str(BIN / "oss-agent"), "run"], agent_env)

        def linked() -> bool:  # the agent's first discovery has found the CE's uplink
            resources = agent.get("/tmf-api/resourceInventoryManagement/v4/resource", params={"name": "eth1"}).json()
            ports = [r for r in resources if r["id"] == "ce1:eth1"]
            return len(ports) == 1 and len(ports[0]["resourceRelationship"]) == 2

        procs.wait_for("the agent's discovery", linked)
        procs.start("bss", [str(BIN / "oss-bss"), "run"], bss_env)
        procs.wait_for("the BSS", lambda: bss.get("/tmf-api/productCatalogManagement/v4/productOffering").is_success)
        procs.start("bridge", [str(BIN / "oss-bss"), "bridge", "run"], bss_env)
        procs.wait_for(
            "the bridge on the agent's TMF641 and TMF635 hubs",
            lambda: all(
                any(f":{bridge_port}/" in h["callback"] for h in agent.get(f"{api}/hub").json())
                for api in (ORDERING, "/tmf-api/usageManagement/v4")
            ),
        )
        yield Loop(procs, agent, bss, str(agent.base_url), str(bss.base_url), tmp_path / "bss" / "bss.db")
    finally:
        agent.close()
        bss.close()
        unclean = procs.stop()
    logs = procs.logs()
    assert not unclean, logs
    assert "Traceback" not in logs, logs


def order_internet(
    bss: httpx.Client, site: str = "customer1", lan: str = "198.18.2.0/24", name: str = "ACME & Co"
) -> tuple[str, str, dict[str, Any]]:
    """A customer, its billing account and its product order for business internet on one of the
    lab's customer sites, placed on the BSS's APIs: (customer id, account id, the order as accepted)."""
    customer = bss.post("/tmf-api/customerManagement/v4/customer", json={"name": name}).json()["id"]
    account = bss.post(
        "/tmf-api/accountManagement/v4/billingAccount",
        json={
            "name": "main",
            "relatedParty": [{"id": customer, "role": "customer"}],
            "currency": "EUR",
            "taxRate": 20,
            "timeZone": "Europe/Paris",
        },
    ).json()["id"]
    characteristics = [{"name": "site", "value": site}, {"name": "lan", "value": lan}]
    ordered = bss.post(
        PRODUCT_ORDERS,
        json={
            "relatedParty": [{"id": customer, "role": "customer", "@referredType": "Customer"}],
            "billingAccount": {"id": account},
            "productOrderItem": [
                {
                    "id": "1",
                    "action": "add",
                    "productOffering": {"id": "bia-100"},
                    "product": {"productCharacteristic": characteristics},
                }
            ],
        },
    )
    assert ordered.status_code == 201, ordered.text
    return customer, account, ordered.json()


def product_of(bss: httpx.Client, order_id: str) -> dict[str, Any]:
    """The product of the first item of a product order, as the BSS's TMF637 shows it."""
    found = bss.get(f"{PRODUCT_ORDERS}/{order_id}").json()
    product_id = found["productOrderItem"][0]["product"]["id"]
    return bss.get(f"{PRODUCTS}/{product_id}").json()  # type: ignore[no-any-return]


def test_a_product_order_becomes_a_verified_service_and_an_active_subscription(
    lab: LabHandle,
    prov: Prov,  # noqa: F811 - the agent fixture of the provisioning tests (imported above)
    clean: None,  # noqa: F811 - the lab put back after the test
    tmp_path: Path,
) -> None:
    with running_loop(lab, tmp_path) as loop:
        procs, agent, bss = loop.procs, loop.agent, loop.bss
        before = octets(lab, "pe1")  # ground truth: the PE's counters before the service exists
        customer, account, order = order_internet(bss)

        def product() -> dict[str, Any]:
            return product_of(bss, order["id"])

        active = procs.wait_for("the active product", lambda: product()["status"] == "active" and product())
        assert bss.get(f"{PRODUCT_ORDERS}/{order['id']}").json()["state"] == "completed"
        (service_order,) = agent.get(f"{ORDERING}/serviceOrder", params={"externalId": f"{order['id']}:1"}).json()
        service_order = agent.get(f"{ORDERING}/serviceOrder/{service_order['id']}").json()
        assert service_order["state"] == "completed"
        # billing starts when the service was verified, not when it was ordered
        verified = datetime.fromisoformat(service_order["completionDate"].replace("Z", "+00:00"))
        assert datetime.fromisoformat(active["startDate"].replace("Z", "+00:00")) == verified
        assert ping(lab, "lan1", INET)

        # usage up: traffic through the service becomes the agent's usage, imported and rated in the BSS
        service_id = service_order["serviceOrderItem"][0]["service"]["id"]
        riding = agent.get(f"/tmf-api/serviceInventory/v4/service/{service_id}").json()["supportingResource"]
        (port,) = [r["id"].split(":")[1] for r in riding if r["id"].startswith("pe1:")]  # the PE's port to ce1

        def published() -> list[dict[str, Any]]:
            params = {"usageType": "volume", "usageCharacteristic.value": service_id}
            return agent.get(USAGE, params=params).json()  # type: ignore[no-any-return]

        # once a first interval is published, the meter's start (where a poll sample counts only pro rata)
        # lies behind: the traffic below falls in later records whole
        earlier = {u["id"] for u in procs.wait_for("the service's first usage record", published, timeout_s=180)}
        sent = subprocess.run(
            ["ip", "netns", "exec", ns(lab, "lan1"), "ping", "-n", "-q", "-i", "0.05", "-W", "2", *FLOOD, INET],
            capture_output=True,
            check=False,
            timeout=60,
        )
        replies = int(sent.stdout.split(b" received")[0].rsplit(b" ", 1)[-1])
        assert replies >= PINGS // 2, sent.stdout

        def rated() -> tuple[int, int] | None:
            records = bss.get(USAGE, params={"productId": active["id"], "usageType": "volume"}).json()
            if not records or any(r["status"] != "rated" for r in records):
                return None
            values = [{c["name"]: c["value"] for c in r["usageCharacteristic"]} for r in records]
            total = (sum(v["inboundOctets"] for v in values), sum(v["outboundOctets"] for v in values))
            later = [v for r, v in zip(records, values, strict=True) if r["id"] not in earlier]
            traffic = min(sum(v["inboundOctets"] for v in later), sum(v["outboundOctets"] for v in later))
            return total if traffic >= replies * PING_BYTES else None

        inbound, outbound = procs.wait_for("the traffic rated as usage in the BSS", rated, timeout_s=240)
        after = octets(lab, "pe1")[port]
        # the customer's inbound is what the PE port sent, its outbound what the port received
        assert inbound <= after[1] - before[port][1] and outbound <= after[0] - before[port][0]
        in_bss = [u["id"] for u in bss.get(USAGE, params={"productId": active["id"], "usageType": "volume"}).json()]
        assert len(in_bss) == len(set(in_bss)) and set(in_bss) <= {u["id"] for u in published()}  # once, the agent's

        # suspension down: the product suspended, its service made inactive (verified: no traffic); resumed

        def service_state() -> str:
            return str(agent.get(f"/tmf-api/serviceInventory/v4/service/{service_id}").json()["state"])

        for status, state in (("suspended", "inactive"), ("active", "active")):
            moved = bss.patch(f"{PRODUCTS}/{active['id']}", json={"status": status})
            assert moved.status_code == 200, moved.text
            procs.wait_for(f"the service {state}", lambda state=state: service_state() == state)
            assert ping(lab, "lan1", INET) is (state == "active")

        # alarms up: the customer's access link fails; its alarm opens one incident for the customer (and
        # an SLA outage), resolved when the link returns
        incidents = IncidentStore(sessionmaker(create_engine(f"sqlite:///{loop.bss_db}")))
        faults.link_down(lab.options, "pe1", port)
        try:
            (incident,) = procs.wait_for("the incident", incidents.incidents, timeout_s=180)
        finally:
            faults.link_up(lab.options, "pe1", port, wait=False)
        assert (incident.customer_id, sorted(incident.outages)) == (customer, [active["id"]])
        procs.wait_for(
            "the incident resolved",
            lambda: [i.resolved_at is not None for i in incidents.incidents()] == [True],
            timeout_s=180,
        )
        faults.wait_converged(lab.options)
        procs.wait_for("lan1 reaching the Internet host again", lambda: ping(lab, "lan1", INET))

        ended = bss.post(
            PRODUCT_ORDERS,
            json={
                "relatedParty": [{"id": customer, "role": "customer", "@referredType": "Customer"}],
                "billingAccount": {"id": account},
                "productOrderItem": [{"id": "1", "action": "delete", "product": {"id": active["id"]}}],
            },
        )
        assert ended.status_code == 201, ended.text
        procs.wait_for("the terminated product", lambda: product()["status"] == "terminated")
        assert not ping(lab, "lan1", INET)
        orders = agent.get(f"{ORDERING}/serviceOrder").json()
        expected = [f"{order['id']}:1", f"{active['id']}:state:1", f"{active['id']}:state:2", f"{ended.json()['id']}:1"]
        assert sorted(o["externalId"] for o in orders) == sorted(expected)  # each change ordered once


def test_the_demo_story_tells_the_whole_loop_with_its_effect_on_both_sides(
    lab: LabHandle,
    prov: Prov,  # noqa: F811
    clean: None,  # noqa: F811
    tmp_path: Path,
) -> None:
    """``oss-bss demo-story`` (what ``./dev demo`` runs) on the lab: each step's evidence checked."""
    told: list[str] = []
    with running_loop(lab, tmp_path) as loop:
        found = asyncio.run(story(loop.agent_url, loop.bss_url, lab.options.prefix, told.append))
        customer, product, service = found["customer"], found["product"], found["service"]
        # ordered through the BSS, activated by the OSS, reached from the customer's LAN
        assert product["status"] == "active" and service["state"] == "active"
        assert found["service_order"]["externalId"].endswith(":1") and found["reached"] >= 1
        # the story ends with the termination: the agent's inventory says so now, the product too
        assert loop.agent.get(f"/tmf-api/serviceInventory/v4/service/{service['id']}").json()["state"] == "terminated"
        assert loop.bss.get(f"/tmf-api/productInventory/v4/product/{product['id']}").json()["status"] == "terminated"
        # traffic became the agent's usage and the BSS's rated usage of that product, each record once
        published = {u["id"] for u in found["published"]}
        in_bss = [u["id"] for u in found["usage"]]
        assert in_bss and len(in_bss) == len(set(in_bss)) and set(in_bss) <= published
        # the first invoice; the fault's alarm on the agent, the ticket for this customer in the BSS, both closed
        first, second = found["first_bill"], found["second_bill"]
        assert first["billNo"] and "oneTimeCharge" in first["kinds"]
        assert found["alarm"]["state"] == "cleared" and found["alarm"]["alarmClearedTime"]
        ticket = found["ticket"]
        assert ticket["status"] == "resolved" and ticket["relatedParty"][0]["id"] == customer
        tickets = loop.bss.get("/tmf-api/troubleTicket/v4/troubleTicket", params={"relatedParty.id": customer}).json()
        assert [t["id"] for t in tickets] == [ticket["id"]]  # one ticket for the fault
        assert found["reached_again"]
        # the next invoice: this period's usage and the SLA credit, a credit (negative)
        assert second["billNo"] != first["billNo"]
        assert "usageCharge" in second["kinds"] and "slaCredit" in second["kinds"]
        (credit,) = [r for r, kind in zip(second["rates"], second["kinds"], strict=True) if kind == "slaCredit"]
        assert Decimal(str(credit["taxExcludedAmount"]["value"])) < 0
        # the termination: both sides, and the port free for the next story
        assert found["terminated"]["status"] == "terminated" and found["terminated"]["id"] == product["id"]
        assert found["service_after"]["state"] == "terminated"
    assert [line[:2] for line in told if line[:1].isdigit()] == ["1.", "2.", "3.", "4.", "5.", "6.", "7."]
