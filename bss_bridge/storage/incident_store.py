"""Incidents: per customer, the trouble alarms caused, in the BSS's database (the bridge's tables).

An incident is one customer's open trouble. An alarm that hurts a customer joins the customer's
open incident when that incident already covers the alarm's correlation group (its root cause) or
one of the same subscriptions; otherwise it opens one, keyed by the group and the customer. So a
root cause and its symptoms, or both ends of one broken link, make one incident per customer. It is
resolved when every alarm in it has cleared; each subscription's outage runs from the first alarm
that hurt it to the resolution. ``version`` counts changes and ``synced_version`` what the BSS has
(ticket and outages), so the BSS is told each change at least once and idempotently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bss_bridge.domain.bridge import AlarmView, incident_key, parse_instant
from bss_bridge.storage.bridge_tables import BridgeAlarmLinkRow, BridgeAlarmRow, BridgeIncidentRow


@dataclass(frozen=True, slots=True)
class Incident:
    key: str
    customer_id: str
    alarm_id: str
    outages: dict[str, datetime]  # subscription id -> when its outage began
    description: str
    opened_at: datetime
    resolved_at: datetime | None
    ticket_id: str | None
    version: int


def _incident(row: BridgeIncidentRow) -> Incident:
    outages = {sub: parse_instant(start) for sub, start in row.subscriptions.items()}
    return Incident(
        row.key,
        row.customer_id,
        row.alarm_id,
        {sub: start for sub, start in outages.items() if start is not None},
        row.description,
        row.opened_at,
        row.resolved_at,
        row.ticket_id,
        row.version,
    )


class IncidentStore:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def is_news(self, view: AlarmView) -> bool:
        """Whether ``view`` is newer than what was judged of that alarm (a late repeat is not)."""
        with self.session_factory() as session:
            row = session.get(BridgeAlarmRow, view.id)
        if row is None:
            return True
        if view.changed_at != row.changed_at:
            return view.changed_at > row.changed_at
        return row.active and not view.active  # the same instant: a clear wins over a raise

    def judged(self, session: Session, view: AlarmView, now: datetime) -> None:
        row = session.get(BridgeAlarmRow, view.id)
        if row is None:
            session.add(BridgeAlarmRow(alarm_id=view.id, active=view.active, changed_at=view.changed_at, judged_at=now))
        else:
            row.active, row.changed_at, row.judged_at = view.active, view.changed_at, now

    def attach(self, view: AlarmView, impact: Mapping[str, list[str]], description: str, now: datetime) -> list[str]:
        """Record that the active alarm ``view`` hurts these customers' subscriptions (customer ->
        subscription ids); returns the incidents opened or changed."""
        changed: list[str] = []
        with self.session_factory() as session, session.begin():
            for customer_id, subscriptions in sorted(impact.items()):
                incident = self._open_incident(session, customer_id, view, subscriptions)
                opened = incident is None
                if incident is None:
                    key = incident_key(view.group, customer_id)
                    if session.get(BridgeIncidentRow, key) is not None:  # that group's incident was resolved
                        key = f"{key}:{view.id}"
                    incident = BridgeIncidentRow(
                        key=key,
                        customer_id=customer_id,
                        alarm_id=view.group,
                        subscriptions={},
                        description=description,
                        opened_at=view.raised_at,
                        resolved_at=None,
                        ticket_id=None,
                        version=0,
                        synced_version=-1,
                        created_at=now,
                        updated_at=now,
                    )
                    session.add(incident)
                before = dict(incident.subscriptions)
                outages = dict(before)
                for sub in subscriptions:
                    outages.setdefault(sub, view.raised_at.isoformat())
                link = session.get(BridgeAlarmLinkRow, (view.id, incident.key))
                if link is None:
                    session.add(
                        BridgeAlarmLinkRow(
                            alarm_id=view.id, incident=incident.key, active=True, raised_at=view.raised_at
                        )
                    )
                if opened or link is None or outages != before:
                    incident.subscriptions = outages
                    incident.version += 1
                    incident.updated_at = now
                    changed.append(incident.key)
                session.flush()
            self.judged(session, view, now)
        return changed

    def _open_incident(
        self, session: Session, customer_id: str, view: AlarmView, subscriptions: list[str]
    ) -> BridgeIncidentRow | None:
        open_ones = list(
            session.scalars(
                select(BridgeIncidentRow)
                .where(BridgeIncidentRow.customer_id == customer_id, BridgeIncidentRow.resolved_at.is_(None))
                .order_by(BridgeIncidentRow.opened_at, BridgeIncidentRow.key)
            )
        )
        if not open_ones:
            return None
        keys = [i.key for i in open_ones]
        alarms: dict[str, set[str]] = {}
        for link in session.scalars(select(BridgeAlarmLinkRow).where(BridgeAlarmLinkRow.incident.in_(keys))):
            alarms.setdefault(link.incident, set()).add(link.alarm_id)
        group = {view.id, view.group}
        for incident in open_ones:
            if alarms.get(incident.key, set()) & group or incident.alarm_id in group:
                return incident
        for incident in open_ones:
            if set(incident.subscriptions) & set(subscriptions):
                return incident
        return None

    def clear(self, view: AlarmView, now: datetime) -> list[str]:
        """The alarm ``view`` cleared: incidents with no active alarm left are resolved (at the last
        clear). Returns the incidents changed."""
        changed: list[str] = []
        cleared_at = view.cleared_at or view.changed_at
        with self.session_factory() as session, session.begin():
            links = list(
                session.scalars(
                    select(BridgeAlarmLinkRow).where(
                        BridgeAlarmLinkRow.alarm_id == view.id, BridgeAlarmLinkRow.active.is_(True)
                    )
                )
            )
            for link in links:
                link.active, link.cleared_at = False, cleared_at
            session.flush()
            for key in sorted({link.incident for link in links}):
                incident = session.get(BridgeIncidentRow, key)
                if incident is None or incident.resolved_at is not None:
                    continue
                rest = session.scalars(select(BridgeAlarmLinkRow).where(BridgeAlarmLinkRow.incident == key)).all()
                if any(r.active for r in rest):
                    continue
                ends = [r.cleared_at for r in rest if r.cleared_at is not None]
                incident.resolved_at = max([cleared_at, *ends])
                incident.version += 1
                incident.updated_at = now
                changed.append(key)
            self.judged(session, view, now)
        return changed

    def seen(self, view: AlarmView, now: datetime) -> None:
        """Judged, with nothing to record (an alarm hurting no customer)."""
        with self.session_factory() as session, session.begin():
            self.judged(session, view, now)

    def active_alarms(self) -> list[str]:
        """Alarms the bridge holds as active in some incident (the poll checks each still is)."""
        with self.session_factory() as session:
            return sorted(
                set(session.scalars(select(BridgeAlarmLinkRow.alarm_id).where(BridgeAlarmLinkRow.active.is_(True))))
            )

    def unsynced(self) -> list[Incident]:
        with self.session_factory() as session:
            rows = session.scalars(
                select(BridgeIncidentRow)
                .where(BridgeIncidentRow.synced_version < BridgeIncidentRow.version)
                .order_by(BridgeIncidentRow.opened_at, BridgeIncidentRow.key)
            )
            return [_incident(r) for r in rows]

    def synced(self, key: str, version: int, ticket_id: str | None, now: datetime) -> None:
        with self.session_factory() as session, session.begin():
            values: dict[str, Any] = {"synced_version": version, "updated_at": now}
            if ticket_id is not None:
                values["ticket_id"] = ticket_id
            session.execute(update(BridgeIncidentRow).where(BridgeIncidentRow.key == key).values(**values))

    def incidents(self, customer_id: str | None = None, open_only: bool = False) -> list[Incident]:
        query = select(BridgeIncidentRow).order_by(BridgeIncidentRow.opened_at, BridgeIncidentRow.key)
        if customer_id is not None:
            query = query.where(BridgeIncidentRow.customer_id == customer_id)
        if open_only:
            query = query.where(BridgeIncidentRow.resolved_at.is_(None))
        with self.session_factory() as session:
            return [_incident(r) for r in session.scalars(query)]

    def alarms_of(self, key: str) -> list[tuple[str, bool]]:
        with self.session_factory() as session:
            rows = session.scalars(select(BridgeAlarmLinkRow).where(BridgeAlarmLinkRow.incident == key))
            return sorted((r.alarm_id, r.active) for r in rows)
