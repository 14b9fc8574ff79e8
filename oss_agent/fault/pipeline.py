"""From the trap receiver to alarms: decoded notifications are drained in batches, classified, and
applied in one transaction per batch. The receiver never waits for the database: it queues, and the
pipeline catches up, so a burst is absorbed by the 4 MiB socket buffer and the queue, not lost.

One notification never costs its neighbours: one that cannot be classified is dropped alone and
counted, and a batch the storage refuses is split by the handler down to the signal refused.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from adapters.snmp.traps import REFUSAL_REASONS, Notification, TrapReceiver
from oss_agent.domain.commands import ProcessFaultSignals
from oss_agent.fault import signals
from oss_agent.metrics import AgentMetrics, TrapCounts
from oss_agent.service_layer.messagebus import MessageBus
from oss_agent.service_layer.unit_of_work import SqlAlchemyUnitOfWork

logger = logging.getLogger(__name__)
_ERRORS_KEPT = 20


class InterfaceNames:
    """ifIndex -> name per device, from the poller's readings and the stored inventory."""

    def __init__(self, uow: SqlAlchemyUnitOfWork | None = None) -> None:
        self.known: dict[tuple[str, int], str] = {}
        self._uow = uow
        self._loaded = False

    def learn(self, device: str, index: int, name: str) -> None:
        self.known[(device, index)] = name

    def __call__(self, device: str, index: int) -> str | None:
        name = self.known.get((device, index))
        if name is None and not self._loaded and self._uow is not None:
            self._loaded = True
            with self._uow as uow:
                for stored in uow.devices.list():
                    for interface in stored.interfaces.values():
                        if interface.index is not None:
                            self.known.setdefault((stored.name, interface.index), interface.name)
            name = self.known.get((device, index))
        return name


@dataclass
class PipelineStats:
    notifications: int = 0
    batches: int = 0
    alarms_raised: int = 0
    alarms_updated: int = 0
    alarms_cleared: int = 0
    unprocessable: int = 0  # notifications not classified, or signals the storage refused: each alone
    storage_unavailable: int = 0  # notifications of batches lost because the database was unavailable
    errors: list[str] = field(default_factory=list)  # the first ones, for the operator

    def error(self, text: str) -> None:
        """Keep and log the first ones (a flood of bad notifications is not a flood of log lines)."""
        if len(self.errors) < _ERRORS_KEPT:
            self.errors.append(text)
            logger.warning("%s", text)


class FaultPipeline:
    def __init__(
        self,
        bus: MessageBus,
        receiver: TrapReceiver,
        devices_by_address: dict[str, str],
        names: InterfaceNames,
        metrics: AgentMetrics | None = None,
        batch_max: int = 5000,
        linger_s: float = 0.05,
    ) -> None:
        self.bus, self.receiver, self.names = bus, receiver, names
        self.devices_by_address = devices_by_address
        self.metrics = metrics
        self.batch_max = batch_max
        self.linger_s = linger_s
        self.stats = PipelineStats()
        if metrics is not None:
            metrics.watch_traps(self.counts)

    def counts(self) -> TrapCounts:
        """The receiver's and the pipeline's counts, for ``/metrics``."""
        received = self.receiver.counts()
        return TrapCounts(
            datagrams=received["datagrams"],
            refused={reason: received[reason] for reason in REFUSAL_REASONS},
            dropped={
                "queue_full": received["dropped_queue_full"],
                "unprocessable": self.stats.unprocessable,
                "storage_unavailable": self.stats.storage_unavailable,
            },
            internal_errors=received["internal_errors"],
            informs_acknowledged=received["informs_acknowledged"],
        )

    def device(self, note: Notification) -> str:
        """The inventory name of the sender, or its address when it is not in the inventory."""
        return self.devices_by_address.get(note.source, note.source)

    async def process(self, batch: list[Notification]) -> None:
        found = []
        for note in batch:
            try:
                found.append(
                    signals.classify(note, self.device(note), datetime.fromtimestamp(note.received_at, UTC), self.names)
                )
            except Exception as exc:  # an absurd notification: dropped alone
                self.stats.unprocessable += 1
                exc_said = f"{type(exc).__name__}: {str(exc)[:300]}"
                self.stats.error(f"a {note.version} notification from {note.source} not classified: {exc_said}")
        report = await self.bus.handle(ProcessFaultSignals(tuple(found)))
        result = report.result
        self.stats.notifications += len(batch)
        self.stats.batches += 1
        self.stats.alarms_raised += result.raised
        self.stats.alarms_updated += result.updated
        self.stats.alarms_cleared += result.cleared
        self.stats.unprocessable += result.dropped
        self.stats.errors += result.errors[: _ERRORS_KEPT - len(self.stats.errors)]  # logged by the handler
        if self.metrics is not None:
            self.metrics.notifications.inc(len(batch))

    async def run(self, stop: asyncio.Event) -> None:
        """Drain and apply until ``stop`` is set; whatever is queued then is applied before returning."""
        while True:
            try:
                first = await self.receiver.get(0.5)
            except TimeoutError:
                if stop.is_set():
                    return
                continue
            batch = [first, *self.receiver.drain(self.batch_max - 1)]
            # Linger briefly while traps keep coming: one transaction for a burst, not one per trap.
            deadline = asyncio.get_running_loop().time() + self.linger_s
            while len(batch) < self.batch_max and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.005)
                more = self.receiver.drain(self.batch_max - len(batch))
                if not more:
                    break
                batch += more
            try:
                await self.process(batch)
            except Exception:  # the database is unavailable (the handler splits anything else)
                self.stats.storage_unavailable += len(batch)
                logger.exception("a batch of %d notifications could not be applied", len(batch))
