"""The alarm hub: outbox rows commit with the alarm change, and delivery survives a dead receiver and a restart.

The receiver is a real HTTP server on 127.0.0.1 that is not listening at first (connection refused).
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from oss_agent.bootstrap import Agent, bootstrap
from oss_agent.config import AgentSettings
from oss_agent.domain.alarm import Alarm, AlarmSpec, AlarmType, Severity
from oss_agent.domain.commands import AcknowledgeAlarms, ClearAlarm, RaiseAlarm
from oss_agent.domain.errors import NotFoundError
from oss_agent.fault.hub import Dispatcher, DispatcherSettings
from oss_agent.fault.hub.store import HubStore
from oss_agent.storage.engine import make_session_factory
from oss_agent.storage.hub_repository import Outbox
from oss_agent.storage.hub_tables import HubOutboxRow
from oss_agent.storage.orm import AlarmRow

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
FAST = DispatcherSettings(poll_interval_s=0.02, base_delay_s=0.05, max_delay_s=0.2, timeout_s=2.0)


def spec(n: int, severity: Severity = Severity.MAJOR) -> AlarmSpec:
    return AlarmSpec(f"r{n}|unreachable", f"r{n}", AlarmType.COMMUNICATIONS, "lossOfSignal", severity, "down")


@pytest.fixture
def agent(tmp_path: Path) -> Iterator[Agent]:
    agent = bootstrap(AgentSettings(data_dir=tmp_path, inventory_file=tmp_path / "i.yaml"), upgrade_schema=True)
    yield agent
    agent.close()


def counts(agent: Agent) -> tuple[int, int]:
    with Session(agent.engine) as session:
        alarms = session.scalar(select(func.count()).select_from(AlarmRow)) or 0
        rows = session.scalar(select(func.count()).select_from(HubOutboxRow)) or 0
    return alarms, rows


def test_an_alarm_change_and_its_outbox_row_commit_together(agent: Agent) -> None:
    asyncio.run(agent.bus.handle(RaiseAlarm(spec(1), T0)))
    assert counts(agent) == (1, 1)

    def refuse(_session: Session) -> None:
        raise RuntimeError("disk full")

    with agent.uow as uow, pytest.raises(RuntimeError):
        uow.alarms.add(Alarm.raise_new(spec(2), T0))
        event.listen(uow.session, "before_commit", refuse)
        uow.commit()
    assert counts(agent) == (1, 1)


def test_a_failing_outbox_write_stores_no_alarm(agent: Agent, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: Outbox, *args: Any) -> int:
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(Outbox, "record", broken)
    with pytest.raises(RuntimeError):
        asyncio.run(agent.bus.handle(RaiseAlarm(spec(1), T0)))
    assert counts(agent) == (0, 0)


def test_a_refused_batch_writes_no_event(agent: Agent) -> None:
    alarm_id = asyncio.run(agent.bus.handle(RaiseAlarm(spec(1), T0))).result
    with pytest.raises(NotFoundError):
        asyncio.run(agent.bus.handle(AcknowledgeAlarms((alarm_id, "nosuch"), "ann", T0)))
    assert counts(agent) == (1, 1)


class Receiver:
    """An HTTP callback on a fixed port that can be down (nothing listening) and then up."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.received: dict[str, list[dict[str, Any]]] = {}
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def up(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with receiver.lock:
                    receiver.received.setdefault(self.path.strip("/"), []).append(body)
                self.send_response(201)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def got(self, path: str) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.received.get(path, []))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


async def until(condition: Callable[[], bool], seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met before the deadline"
        await asyncio.sleep(0.02)


def outbox_order(agent: Agent) -> list[tuple[str, str, str]]:
    with Session(agent.engine) as session:
        rows = session.scalars(select(HubOutboxRow).order_by(HubOutboxRow.id))
        return [(r.event_id, r.resource_id, r.event_type) for r in rows]


async def raise_some(agent: Agent) -> None:
    for n in range(5):
        await agent.bus.handle(RaiseAlarm(spec(n, Severity.CRITICAL if n % 2 else Severity.MAJOR), T0))
    for n in range(5):
        await agent.bus.handle(RaiseAlarm(spec(n), T0 + timedelta(minutes=1)))
        await agent.bus.handle(ClearAlarm(f"r{n}|unreachable", T0 + timedelta(minutes=2)))


def check_each_once_in_order(agent: Agent, events: list[dict[str, Any]], kinds: set[str] | None = None) -> None:
    expected = [e for e in outbox_order(agent) if kinds is None or e[2] in kinds]
    assert len(events) == len(expected) and len({e["eventId"] for e in events}) == len(events)
    for alarm_id in {e[1] for e in expected}:
        wanted = [e[0] for e in expected if e[1] == alarm_id]
        assert [e["eventId"] for e in events if e["event"]["alarm"]["externalAlarmId"] == alarm_id] == wanted


def test_a_receiver_down_for_a_while_gets_every_event_once_in_order(agent: Agent, receiver: Receiver) -> None:
    store = HubStore(make_session_factory(agent.engine))
    everything = store.subscribe(receiver.url("all"))
    store.subscribe(receiver.url("created"), "eventType=AlarmCreateEvent&perceivedSeverity=critical")

    async def scenario() -> None:
        dispatcher = Dispatcher(store, FAST)
        dispatcher.start()
        try:
            await raise_some(agent)
            await until(lambda: store.failures(everything.id) >= 2)  # refused, retried, refused
            receiver.up()
            await until(lambda: store.backlog() == 0)
        finally:
            await dispatcher.stop()

    asyncio.run(scenario())
    check_each_once_in_order(agent, receiver.got("all"))
    created = receiver.got("created")
    assert len(created) == 2 and {e["eventType"] for e in created} == {"AlarmCreateEvent"}
    assert {e["event"]["alarm"]["perceivedSeverity"] for e in created} == {"critical"}
    kinds = [e["eventType"] for e in receiver.got("all")]
    assert kinds.count("AlarmCreateEvent") == 5 and kinds.count("AlarmStateChangeEvent") == 5


def test_an_alarm_later_found_a_symptom_is_published_with_its_parent(agent: Agent, receiver: Receiver) -> None:
    store = HubStore(make_session_factory(agent.engine))
    receiver.up()
    store.subscribe(receiver.url("all"))
    link = AlarmSpec("r1:eth1|linkDown", "r1:eth1", AlarmType.COMMUNICATIONS, "linkDown", Severity.MAJOR)

    async def scenario() -> None:
        await agent.bus.handle(RaiseAlarm(link, T0))
        with agent.uow as uow:  # the device then stops answering: its alarm becomes the root
            symptom = uow.alarms.active(link.reduction_key)
            assert symptom is not None
            root = Alarm.raise_new(spec(1, Severity.CRITICAL), T0 + timedelta(seconds=5))
            uow.alarms.add(root)
            symptom.mark_symptom_of(root)
            uow.commit()
        dispatcher = Dispatcher(store, FAST)
        dispatcher.start()
        try:
            await until(lambda: len(receiver.got("all")) == 3 and store.backlog() == 0)
        finally:
            await dispatcher.stop()

    asyncio.run(scenario())
    events = receiver.got("all")
    kinds = [e["eventType"] for e in events]
    assert kinds == ["AlarmCreateEvent", "AlarmCreateEvent", "AlarmAttributeValueChangeEvent"]
    change = events[2]
    assert change["fieldPath"] == "parentAlarm"
    assert change["event"]["alarm"]["parentAlarm"][0]["id"] == str(events[1]["event"]["alarm"]["id"])


async def deliver_pending(store: HubStore) -> None:
    dispatcher = Dispatcher(store, FAST)
    dispatcher.start()
    try:
        await until(lambda: store.backlog() == 0)
    finally:
        await dispatcher.stop()


def test_delivered_events_are_pruned_and_owed_ones_kept(agent: Agent, receiver: Receiver) -> None:
    store = HubStore(make_session_factory(agent.engine))
    receiver.up()
    store.subscribe(receiver.url("up"))

    async def deliver() -> None:
        dispatcher = Dispatcher(store, FAST)
        dispatcher.start()
        try:
            await raise_some(agent)
            await until(lambda: store.backlog() == 0)
        finally:
            await dispatcher.stop()

    asyncio.run(deliver())
    delivered = len(outbox_order(agent))
    assert delivered == 15 and len(receiver.got("up")) == 15
    down = store.subscribe("http://127.0.0.1:9/never")  # nothing listens there: its events stay owed
    asyncio.run(agent.bus.handle(RaiseAlarm(spec(9), T0)))
    store.fan_out()
    assert store.prune(datetime.now(UTC) - timedelta(days=1)) == (0, 0)  # nothing old enough yet
    assert store.prune(datetime.now(UTC) + timedelta(seconds=1)) == (15, 15)
    assert len(outbox_order(agent)) == 1 and store.backlog() == 2  # the new one, owed to both subscribers
    store.unsubscribe(down.id)
    assert store.prune(datetime.now(UTC) + timedelta(seconds=1)) == (0, 0)  # still owed to the one that is up
    asyncio.run(deliver_pending(store))
    assert len(receiver.got("up")) == 16
    assert store.prune(datetime.now(UTC) + timedelta(seconds=1)) == (1, 1)
    assert outbox_order(agent) == [] and store.backlog() == 0


def test_delivery_resumes_after_a_dispatcher_restart(tmp_path: Path, receiver: Receiver) -> None:
    settings = AgentSettings(data_dir=tmp_path, inventory_file=tmp_path / "i.yaml")
    first = bootstrap(settings, upgrade_schema=True)
    store = HubStore(make_session_factory(first.engine))
    sub = store.subscribe(receiver.url("all"))

    async def before_restart() -> None:
        dispatcher = Dispatcher(store, FAST)
        dispatcher.start()
        try:
            await raise_some(first)
            await until(lambda: store.failures(sub.id) >= 1)
        finally:
            await dispatcher.stop()

    try:
        asyncio.run(before_restart())
        assert store.backlog() > 0
    finally:
        first.close()

    receiver.up()
    second = bootstrap(settings)
    try:
        again = HubStore(make_session_factory(second.engine))
        asyncio.run(deliver_pending(again))
        check_each_once_in_order(second, receiver.got("all"))
    finally:
        second.close()


def test_logs_show_a_callback_by_its_origin_only(
    agent: Agent, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    """A callback's path may be its listener's secret (the bridge's carries a token): neither the
    dispatcher's lines nor httpx's request lines show more than its origin, whether it answers or not."""
    token = "cb-t0ken-5ecret"
    store = HubStore(make_session_factory(agent.engine))
    receiver.up()
    store.subscribe(receiver.url(f"listener/alarm/{token}"))
    refused = store.subscribe(f"http://127.0.0.1:9/listener/alarm/{token}")  # nothing listens there

    async def deliver() -> None:
        dispatcher = Dispatcher(store, FAST)
        dispatcher.start()
        try:
            await raise_some(agent)
            await until(lambda: store.failures(refused.id) >= 1 and len(receiver.got(f"listener/alarm/{token}")) == 15)
        finally:
            await dispatcher.stop()

    with caplog.at_level(logging.DEBUG):
        asyncio.run(deliver())
    said = "\n".join(record.getMessage() for record in caplog.records)
    assert token not in said
    assert f"http://127.0.0.1:{receiver.port}/..." in said  # httpx's line for the delivery, by origin
    assert f"callback http://127.0.0.1:9 of listener {refused.id} failed" in said
