"""kill -9 of the agent and of the BSS during an alarm storm on the lab, then a restart: every
impacted customer gets one ticket per incident, none twice, none lost, each resolved when its
alarms clear, and one SLA outage per incident and product.

The three processes are real and separate (``test_loop_lab.running_loop``). Two customers have a
live Internet access (customer1 behind pe1:eth3, customer2 behind pe2:eth3; a fault takes the PE's
port down, which the CE's uplink sees as an alarm: ce1:eth1, ce2:eth1), and a downstream
ticket desk (a small HTTP server here, as a CRM would be) listens to the BSS's TMF621 hub. The
storm, each kill at a named step:

1. customer1's access link fails: an incident and a ticket, as usual;
2. customer2's access link fails: the agent SIGKILLs itself right after committing the alarm of
   ce2:eth1 with its hub events (failpoint ``alarm-stored:ce2:eth1``), none delivered; while it is
   dead customer1's link comes back. Restarted, its outbox delivers the raise it owed and its first
   polls find the clear it missed;
3. customer1's link fails again (a new incident): the desk SIGKILLs the BSS when the BSS delivers
   the new ticket's creation to it, before the desk answers; while the BSS is dead both links come
   back and the bridge resolves the incidents and their tickets (it writes through the BSS's
   service layer, not its process). Restarted, the BSS's hub delivers what it owed, that
   notification again under the same ``eventId``.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import threading
from collections.abc import Callable, Iterator
from datetime import UTC
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import sessionmaker

from bss_bridge.storage.billing_tables import OutageRow
from bss_bridge.storage.bridge_tables import BridgeInboxRow
from bss_bridge.storage.incident_store import IncidentStore
from lab import faults
from lab.pytest_plugin import LabHandle
from lab.snmp_client import get, if_index, v2c

from ...oss_agent.provisioning.conftest import Prov, baseline, clean, prov  # noqa: F401 - fixtures
from ...ports import free_port
from .test_kill_sides_lab import when
from .test_loop_lab import ORDERING, Loop, order_internet, product_of, running_loop

pytestmark = pytest.mark.lab
TICKETS = "/tmf-api/troubleTicket/v4"
ALARMS = "/tmf-api/alarm/v4/alarm"
SITES = {"customer1": ("198.18.2.0/24", "pe1", "eth3"), "customer2": ("198.18.3.0/24", "pe2", "eth3")}
IF_OPER_STATUS = "1.3.6.1.2.1.2.2.1.8"
STORM = {
    "OSS_AGENT_POLL_INTERVAL_S": "3",  # links seen down and up within seconds
    "OSS_AGENT_POLL_JITTER_S": "1",
    "OSS_AGENT_FAILPOINT": "alarm-stored:ce2:eth1",
}


class TicketDesk:
    """A listener on the BSS's TMF621 hub that keeps every notification it is sent, and can SIGKILL
    a process when a notification it picks arrives (before answering it)."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.kill: tuple[Callable[[dict[str, Any]], bool], subprocess.Popen[bytes]] | None = None
        self.killed_on: dict[str, Any] | None = None

    def take(self, body: dict[str, Any]) -> None:
        with self.lock:
            self.received.append(body)
            if self.kill is not None and self.kill[0](body):
                process, self.kill, self.killed_on = self.kill[1], None, body
                process.kill()  # the BSS dies with the notification sent and not answered
                process.wait()

    def creations(self) -> dict[str, set[str]]:
        """Ticket id -> the event ids its creation was notified under."""
        with self.lock:
            notes = [n for n in self.received if n["eventType"] == "TroubleTicketCreateEvent"]
        found: dict[str, set[str]] = {}
        for note in notes:
            found.setdefault(note["event"]["troubleTicket"]["id"], set()).add(note["eventId"])
        return found

    def resolved(self) -> set[str]:
        with self.lock:
            notes = [n for n in self.received if n["eventType"] == "TroubleTicketResolvedEvent"]
        return {n["event"]["troubleTicket"]["id"] for n in notes}


@contextlib.contextmanager
def ticket_desk(bss: httpx.Client) -> Iterator[TicketDesk]:
    desk = TicketDesk()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            desk.take(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        callback = f"http://127.0.0.1:{server.server_port}/tickets"
        assert bss.post(f"{TICKETS}/hub", json={"callback": callback}).status_code == 201
        yield desk
    finally:
        server.shutdown()
        server.server_close()


def access_port(loop: Loop, order_id: str) -> tuple[str, str]:
    """The PE port the product order's service rides (device, interface)."""
    (service_order,) = loop.agent.get(f"{ORDERING}/serviceOrder", params={"externalId": f"{order_id}:1"}).json()
    service_order = loop.agent.get(f"{ORDERING}/serviceOrder/{service_order['id']}").json()
    service_id = service_order["serviceOrderItem"][0]["service"]["id"]
    riding = loop.agent.get(f"/tmf-api/serviceInventory/v4/service/{service_id}").json()["supportingResource"]
    (port,) = [r["id"] for r in riding if r["id"].startswith("pe") and ":" in r["id"]]
    device, interface = port.split(":")
    return device, interface


def oper_up(lab: LabHandle, device: str, ifname: str) -> bool:
    """Whether the device's own SNMP agent shows the interface up (as the OSS agent's poll will)."""
    host, auth = lab.host(device), v2c(lab.secrets.snmp_ro)
    (status,) = get(host, auth, f"{IF_OPER_STATUS}.{if_index(host, auth, ifname)}").values()
    return int(status) == 1


def tickets_of(loop: Loop, customer: str) -> list[dict[str, Any]]:
    found = loop.bss.get(f"{TICKETS}/troubleTicket", params={"relatedParty.id": customer})
    assert found.is_success, found.text
    return found.json()  # type: ignore[no-any-return]


def test_the_agent_and_the_bss_killed_in_an_alarm_storm_lose_no_ticket_and_open_none_twice(
    lab: LabHandle,
    prov: Prov,  # noqa: F811 - the agent fixture of the provisioning tests (imported above)
    clean: None,  # noqa: F811 - the lab put back after the test
    tmp_path: Path,
) -> None:
    with running_loop(lab, tmp_path, STORM) as loop, ticket_desk(loop.bss) as desk:
        procs = loop.procs
        customers: dict[str, str] = {}  # site -> customer id
        products: dict[str, str] = {}  # site -> product id
        for number, (site, (lan, device, interface)) in enumerate(SITES.items(), start=1):
            customer, _, order = order_internet(loop.bss, site, lan, f"Customer {number}")
            product = procs.wait_for(
                f"{site}'s product out of its activation",
                lambda order=order: (
                    (p := product_of(loop.bss, order["id"]))["status"] not in ("created", "pendingActive") and p
                ),
            )
            assert product["status"] == "active", f"{product}\n{procs.logs()}"
            assert access_port(loop, order["id"]) == (device, interface)  # the port the faults take down
            customers[site], products[site] = customer, product["id"]
        engine = create_engine(f"sqlite:///{loop.bss_db}")
        incidents = IncidentStore(sessionmaker(engine))

        def incidents_of(site: str) -> list[Any]:
            return incidents.incidents(customers[site])

        def ticketed(site: str, count: int, resolved: int) -> bool:
            tickets = tickets_of(loop, customers[site])
            return len(tickets) == count and sum(t["status"] == "resolved" for t in tickets) == resolved

        try:
            # 1. customer1's access link fails
            faults.link_down(lab.options, "pe1", "eth3")
            procs.wait_for("customer1's ticket", lambda: ticketed("customer1", 1, 0), timeout_s=120)
            # 2. customer2's fails: the agent dies with ce2:eth1's alarm stored and not delivered
            faults.link_down(lab.options, "pe2", "eth3")
            procs.killed("agent", timeout_s=120)
            faults.link_up(lab.options, "pe1", "eth3", wait=False)  # cleared while the agent is dead
            procs.wait_for("ce1 showing eth1 up over SNMP", lambda: oper_up(lab, "ce1", "eth1"), timeout_s=60)
            procs.restart("agent", OSS_AGENT_FAILPOINT=None)  # its first poll of ce1 must clear that alarm
            procs.wait_for("customer1's ticket resolved", lambda: ticketed("customer1", 1, 1), timeout_s=120)
            procs.wait_for("customer2's ticket", lambda: ticketed("customer2", 1, 0), timeout_s=120)
            procs.wait_for("the desk told of both", lambda: len(desk.creations()) == 2, timeout_s=60)
            # 3. customer1's fails again; the BSS dies delivering the new ticket's creation to the desk
            known = set(desk.creations())
            desk.kill = (
                lambda note: (
                    note["eventType"] == "TroubleTicketCreateEvent"
                    and note["event"]["troubleTicket"]["id"] not in known
                ),
                procs.process("bss"),
            )
            faults.link_down(lab.options, "pe1", "eth3")
            procs.killed("bss", timeout_s=120)
            for device in ("pe1", "pe2"):
                faults.link_up(lab.options, device, "eth3", wait=False)
            procs.wait_for(
                "every incident resolved and told to the BSS, the BSS dead",
                lambda: (
                    len(incidents.incidents()) == 3
                    and not incidents.incidents(open_only=True)
                    and not incidents.unsynced()
                ),
                timeout_s=120,
            )
            procs.restart("bss")
            procs.wait_for("the desk told of every resolution", lambda: len(desk.resolved()) == 3, timeout_s=120)
        finally:
            for device in ("pe1", "pe2"):
                faults.link_up(lab.options, device, "eth3", wait=False)
        faults.wait_converged(lab.options)

        # the outbox delivered, after the restart, the raise the agent owed when it died
        (owed,) = [a for a in loop.agent.get(ALARMS).json() if a["alarmedObject"]["id"] == "ce2:eth1"]
        with sessionmaker(engine)() as session:
            inbox = session.scalars(select(BridgeInboxRow).where(BridgeInboxRow.source == "oss:tmf642")).all()
            created = [r for r in inbox if r.event_type == "AlarmCreateEvent"]
            assert [r.body["event"]["alarm"]["id"] for r in created].count(owed["id"]) == 1
            outages = session.scalars(select(OutageRow)).all()
        # every alarm of the storm cleared on the agent
        assert [a["id"] for a in loop.agent.get(ALARMS).json() if a["state"] != "cleared"] == []

        # per customer: one ticket per incident, keyed by it, resolved when the incident was
        every = incidents.incidents()
        assert sorted(i.customer_id for i in every) == sorted([customers["customer1"]] * 2 + [customers["customer2"]])
        for site, customer in customers.items():
            mine = incidents_of(site)
            tickets = {t["id"]: t for t in tickets_of(loop, customer)}
            assert sorted(tickets) == sorted(str(i.ticket_id) for i in mine), (tickets, mine)
            for incident in mine:
                ticket = tickets[str(incident.ticket_id)]
                assert ticket["externalId"] == incident.key and ticket["status"] == "resolved"
                assert incident.resolved_at is not None
                assert when(ticket["resolutionDate"]) == incident.resolved_at.replace(tzinfo=UTC)
                assert sorted(incident.outages) == [products[site]]
        # one SLA outage per incident and product, from its first alarm to the incident's resolution,
        # recorded by the bridge and again by the ticket's resolution (the SLA merges the two)
        spans = {o.id: (o.start.replace(tzinfo=UTC), o.end and o.end.replace(tzinfo=UTC)) for o in outages}
        expected = {}
        for incident in every:
            assert incident.resolved_at is not None
            for product, start in incident.outages.items():
                span = (start.replace(tzinfo=UTC), incident.resolved_at.replace(tzinfo=UTC))
                expected |= {f"{incident.key}/{product}": span, f"tt-{incident.ticket_id}-{product}": span}
        assert spans == expected
        # the desk: every ticket's creation notified under one event id; the one the BSS died on again
        creations = desk.creations()
        assert sorted(creations) == sorted(str(i.ticket_id) for i in every)
        assert all(len(ids) == 1 for ids in creations.values()), creations
        assert desk.killed_on is not None
        repeated = [n for n in desk.received if n["eventId"] == desk.killed_on["eventId"]]
        assert len(repeated) == 2, repeated  # sent, the BSS killed before the answer; sent again after
        engine.dispose()
