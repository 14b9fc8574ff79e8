"""Alarms up: an alarm on a resource reaches the customers whose services ride it (TMF638
supportingResource); one incident per customer for a root cause and its symptoms; the clear resolves
it; its outage interval reaches the SLA; the ticket seam is called once per incident state."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bss_bridge.bridge.alarms import Alarms
from bss_bridge.bridge.tickets import BssTicketDesk
from bss_bridge.domain.ticket import TicketStatus
from bss_bridge.storage.billing_tables import OutageRow
from bss_bridge.storage.incident_store import Incident

from .conftest import World
from .test_orders import internet


class Desk:
    """Records what the bridge asks of the TMF621 seam."""

    def __init__(self) -> None:
        self.opened: list[tuple[str, list[str]]] = []
        self.resolved: list[str] = []

    async def open(self, incident: Incident, services: list[str]) -> str:
        self.opened.append((incident.key, services))
        return f"tt-{incident.key}"

    async def resolve(self, incident: Incident, ticket_id: str) -> None:
        assert ticket_id == f"tt-{incident.key}"
        self.resolved.append(incident.key)


def customer_on(world: World, name: str, port: str) -> tuple[str, str]:
    customer, account = world.customer(name)
    order = world.order(customer, account, internet())
    world.hub_events("tmf622")
    world.send()
    so = world.oss.by_external(f"{order.id}:1")
    world.oss_event(world.oss.finish(so["id"], world.clock.now, resources=("pe1", port)))
    return customer, order.items[0].subscription_id or ""


def alarm(
    alarm_id: str, on: str, at: datetime, parent: str | None = None, cleared: datetime | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": alarm_id,
        "state": "cleared" if cleared else "raised",
        "alarmType": "communicationsAlarm",
        "perceivedSeverity": "cleared" if cleared else "major",
        "alarmedObject": {"id": on},
        "specificProblem": "linkDown",
        "alarmRaisedTime": at.isoformat(),
        "alarmChangedTime": (cleared or at).isoformat(),
        "parentAlarm": [{"id": parent}] if parent else [],
    }
    if cleared:
        body["alarmClearedTime"] = cleared.isoformat()
    return body


def notify(world: World, body: dict[str, Any]) -> None:
    world.oss.alarms[body["id"]] = body
    event = {
        "eventId": f"al-{body['id']}-{body['state']}",
        "eventType": "AlarmStateChangeEvent",
        "event": {"alarm": body},
    }
    world.bridge.inbox.receive("oss:tmf642", event)
    world.run(world.bridge.inbox.drain("oss:tmf642"))


def outages(world: World) -> list[tuple[str, datetime, datetime | None]]:
    with world.bss.session_factory() as session:
        rows = session.scalars(select(OutageRow).order_by(OutageRow.subscription_id))
        return [
            (
                r.subscription_id,
                r.start.replace(tzinfo=r.start.tzinfo or world.clock.now.tzinfo),
                r.end.replace(tzinfo=r.end.tzinfo or world.clock.now.tzinfo) if r.end else None,
            )
            for r in rows
        ]


def test_a_port_alarm_opens_one_incident_for_the_customer_riding_it_and_its_clear_resolves_it(world: World) -> None:
    desk = Desk()
    world.bridge.alarms = Alarms(world.bridge.ctx, desk)
    acme, acme_sub = customer_on(world, "ACME", "pe1:eth3")
    _, other_sub = customer_on(world, "Globex", "pe1:eth4")
    down = world.clock.now + timedelta(hours=1)
    world.clock.now = down + timedelta(seconds=2)
    notify(world, alarm("7", "pe1:eth3", down))
    (incident,) = world.bridge.alarms.incidents.incidents()
    assert (incident.customer_id, sorted(incident.outages), incident.resolved_at) == (acme, [acme_sub], None)
    assert desk.opened == [(incident.key, [acme_sub])] and incident.ticket_id == f"tt-{incident.key}"
    assert outages(world) == [(acme_sub, down, None)]
    up = down + timedelta(minutes=30)
    world.clock.now = up + timedelta(seconds=1)
    notify(world, alarm("7", "pe1:eth3", down, cleared=up))
    (resolved,) = world.bridge.alarms.incidents.incidents()
    assert resolved.resolved_at == up and resolved.ticket_id == f"tt-{incident.key}"
    assert desk.resolved == [incident.key] and {key for key, _ in desk.opened} == {incident.key}  # open is idempotent
    assert outages(world) == [(acme_sub, down, up)] and other_sub not in {o[0] for o in outages(world)}
    notify(world, alarm("7", "pe1:eth3", down))  # a late repeat of the raise after its clear: ignored
    world.run(world.bridge.alarms.poll())
    assert [i.resolved_at for i in world.bridge.alarms.incidents.incidents()] == [up]


def test_a_root_cause_and_its_symptoms_open_one_incident_per_customer(world: World) -> None:
    acme, _ = customer_on(world, "ACME", "pe1:eth3")
    globex, _ = customer_on(world, "Globex", "pe1:eth4")
    at = world.clock.now + timedelta(hours=1)
    world.clock.now = at
    notify(world, alarm("10", "pe1", at))  # the device
    notify(world, alarm("11", "pe1:eth3", at, parent="10"))  # a symptom of it
    notify(world, alarm("12", "pe1:eth4", at, parent="10"))
    incidents = world.bridge.alarms.incidents.incidents()
    assert sorted(i.customer_id for i in incidents) == sorted([acme, globex])
    assert {i.alarm_id for i in incidents} == {"10"}
    world.clock.now = at + timedelta(minutes=5)
    for alarm_id, on in (("11", "pe1:eth3"), ("12", "pe1:eth4"), ("10", "pe1")):
        notify(world, alarm(alarm_id, on, at, parent=None if alarm_id == "10" else "10", cleared=world.clock.now))
    assert all(i.resolved_at is not None for i in world.bridge.alarms.incidents.incidents())


def test_an_alarm_missed_by_the_hub_is_found_by_the_poll(world: World) -> None:
    acme, _ = customer_on(world, "ACME", "pe1:eth3")
    at = world.clock.now + timedelta(hours=1)
    world.oss.alarms["20"] = alarm("20", "pe1:eth3", at)
    world.run(world.bridge.poll())
    (incident,) = world.bridge.alarms.incidents.incidents()
    assert incident.customer_id == acme and incident.resolved_at is None
    world.oss.alarms["20"] = alarm("20", "pe1:eth3", at, cleared=at + timedelta(minutes=1))
    world.run(world.bridge.poll())  # not among the active alarms any more: asked for by id
    assert world.bridge.alarms.incidents.incidents()[0].resolved_at == at + timedelta(minutes=1)


def test_an_incident_opens_one_tmf621_ticket_and_its_clear_resolves_it(world: World) -> None:
    world.bridge.alarms = Alarms(world.bridge.ctx, BssTicketDesk(world.bss))
    acme, sub = customer_on(world, "ACME", "pe1:eth3")
    down = world.clock.now + timedelta(hours=1)
    world.clock.now = down + timedelta(seconds=5)
    notify(world, alarm("7", "pe1:eth3", down))
    notify(world, alarm("8", "pe1:eth3", down, parent="7"))  # a symptom: no second ticket
    (incident,) = world.bridge.alarms.incidents.incidents()
    with world.bss.uow() as uow:
        (ticket,) = uow.tickets.list()[0]
    assert (ticket.id, ticket.request.external_id) == (incident.ticket_id, incident.key)
    assert (ticket.request.customer_id, ticket.request.products, ticket.request.outage_start) == (acme, (sub,), down)
    assert ticket.status is TicketStatus.ACKNOWLEDGED
    up = down + timedelta(hours=2)
    world.clock.now = up + timedelta(seconds=5)
    for alarm_id, parent in (("8", "7"), ("7", None)):
        notify(world, alarm(alarm_id, "pe1:eth3", down, parent=parent, cleared=up))
    world.run(world.bridge.alarms.poll())  # again: nothing more
    with world.bss.uow() as uow:
        (ticket,) = uow.tickets.list()[0]
    assert ticket.status is TicketStatus.RESOLVED and ticket.resolution_date == up
    # the ticket's outage and the bridge's cover the same interval (the SLA counts overlapping ones once)
    assert outages(world) == [(sub, down, up), (sub, down, up)]
