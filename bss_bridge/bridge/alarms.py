"""Alarms up: a TMF642 alarm on a resource reaches the customers whose services ride it.

For an active alarm of a kind that cuts service (``communicationsAlarm``, ``equipmentAlarm``) the
bridge asks the OSS's TMF638 inventory which active services list the alarmed resource among their
``supportingResource`` (a device alarm reaches every service on the device, an interface alarm the
services on that port), maps each service to its subscription and customer (the links the orders
left), and records the trouble per customer as an incident (see ``storage.incident_store``): one
per customer for a root cause and its symptoms. When the alarms clear, the incident is resolved.
Each incident then reaches the BSS: every subscription's outage interval for the SLA (idempotent
on ``<incident>/<subscription>``), and a customer-facing trouble ticket keyed by the incident when
a ticket desk is wired. An older state of an alarm arriving after a newer one is ignored.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Protocol

from bss_bridge.bridge.context import BridgeContext
from bss_bridge.domain import bridge as rules
from bss_bridge.domain.billing_commands import RecordOutage
from bss_bridge.storage.incident_store import Incident, IncidentStore

logger = logging.getLogger(__name__)
SERVICE_CUTTING = frozenset({"communicationsAlarm", "equipmentAlarm"})


class TicketDesk(Protocol):
    """Customer-facing trouble tickets (TMF621), opened and resolved idempotently on a key."""

    async def open(self, incident: Incident, services: list[str]) -> str:
        """Open (or find) the ticket for ``incident``; returns its id."""
        ...

    async def resolve(self, incident: Incident, ticket_id: str) -> None:
        """Resolve ticket ``ticket_id`` at ``incident.resolved_at`` (nothing when it is already)."""
        ...


class Alarms:
    def __init__(self, ctx: BridgeContext, tickets: TicketDesk | None = None) -> None:
        self.ctx = ctx
        self.incidents = IncidentStore(ctx.bss.session_factory)
        self.tickets = tickets

    async def judge(self, view: rules.AlarmView) -> None:
        """One alarm's state, from its hub or the poll."""
        async with self.ctx.lock("alarm"):
            if not self.incidents.is_news(view):
                return
            now = self.ctx.now()
            if not view.active:
                changed = self.incidents.clear(view, now)
            elif view.alarm_type in SERVICE_CUTTING and view.alarmed_object:
                impact = await self._impact(view.alarmed_object)
                text = f"{view.problem or 'fault'} on {view.alarmed_object} (alarm {view.id})"
                changed = self.incidents.attach(view, impact, text, now) if impact else []
                if not impact:
                    self.incidents.seen(view, now)
            else:
                self.incidents.seen(view, now)
                changed = []
            if changed:
                logger.info("alarm %s (%s): incident(s) %s", view.id, "active" if view.active else "cleared", changed)
                self.ctx.failpoints.reach("incident-opened")
        await self.sync()

    async def _impact(self, resource: str) -> dict[str, list[str]]:
        """Customer -> the active subscriptions whose service rides ``resource``."""
        services = await self.ctx.oss.services(supportingResource__id=resource, state="active", fields="id")
        ids = sorted({str(s["id"]) for s in services if s.get("id")})
        found: dict[str, list[str]] = defaultdict(list)
        for link in self.ctx.store.links(states=["active"], service_ids=ids) if ids else []:
            found[link.customer_id].append(link.subscription_id)
        return dict(found)

    async def sync(self) -> None:
        """Tell the BSS what changed in each incident: outages (and tickets), idempotently."""
        async with self.ctx.lock("incidents"):
            for incident in self.incidents.unsynced():
                for subscription_id, start in sorted(incident.outages.items()):
                    await self.ctx.bss.handle(
                        RecordOutage(
                            rules.outage_id(incident.key, subscription_id),
                            subscription_id,
                            start,
                            incident.resolved_at,
                            incident.description,
                        )
                    )
                ticket_id = await self._ticket(incident)
                self.ctx.failpoints.reach("ticket-opened")
                self.incidents.synced(incident.key, incident.version, ticket_id, self.ctx.now())

    async def _ticket(self, incident: Incident) -> str | None:
        if self.tickets is None:
            return None
        ticket_id = await self.tickets.open(incident, sorted(incident.outages))
        if incident.resolved_at is not None:
            await self.tickets.resolve(incident, ticket_id)
        return ticket_id

    async def poll(self) -> None:
        """The safety net: every active alarm judged, and every alarm held active checked."""
        active = await self.ctx.oss.alarms(state="raised,updated")
        seen = set()
        for body in active:
            view = rules.alarm_view(body)
            seen.add(view.id)
            await self.judge(view)
        for alarm_id in self.incidents.active_alarms():
            if alarm_id not in seen:
                found = await self.ctx.oss.alarm(alarm_id)
                if found is not None:
                    await self.judge(rules.alarm_view(found))
        await self.sync()
