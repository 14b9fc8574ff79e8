"""The message bus: commands go to exactly one handler and fail loudly; events go to every
subscribed handler, and a failing event handler is logged and isolated so the others still run.

Handlers are coroutines (the agent's core is asyncio). Events raised while handling a message are
handled in turn, after the transaction that produced them committed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from oss_agent.domain.commands import Command
from oss_agent.domain.events import Event
from oss_agent.service_layer.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)

Message = Command | Event
CommandHandler = Callable[[Any], Awaitable[Any]]
EventHandler = Callable[[Any], Awaitable[None]]


@dataclass
class HandlingReport:
    """What handling one message did: the command's result and any event handler failures."""

    result: Any = None
    events_handled: int = 0
    event_failures: list[tuple[str, str, str]] = field(default_factory=list)


class MessageBus:
    def __init__(
        self,
        uow: UnitOfWork,
        command_handlers: Mapping[type[Command], CommandHandler],
        event_handlers: Mapping[type[Event], Sequence[EventHandler]],
    ) -> None:
        self.uow = uow
        self.command_handlers = dict(command_handlers)
        self.event_handlers = {kind: list(handlers) for kind, handlers in event_handlers.items()}

    def subscribe(self, event_type: type[Event], handler: EventHandler) -> None:
        self.event_handlers.setdefault(event_type, []).append(handler)

    async def handle(self, message: Message) -> HandlingReport:
        """Handle ``message`` and the events it causes; a command's failure is raised to the caller."""
        report = HandlingReport()
        queue: list[Message] = [message]
        while queue:
            current = queue.pop(0)
            if isinstance(current, Command):
                handler = self.command_handlers.get(type(current))
                if handler is None:
                    raise LookupError(f"no handler for command {type(current).__name__}")
                report.result = await handler(current)
            else:
                await self._handle_event(current, report)
            queue.extend(self.uow.collect_new_events())
        return report

    async def _handle_event(self, event: Event, report: HandlingReport) -> None:
        report.events_handled += 1
        for handler in self.event_handlers.get(type(event), []):
            try:
                await handler(event)
            except Exception as exc:
                name = getattr(handler, "__name__", repr(handler))
                logger.exception("event handler %s failed on %s", name, type(event).__name__)
                report.event_failures.append((type(event).__name__, name, f"{type(exc).__name__}: {exc}"))
