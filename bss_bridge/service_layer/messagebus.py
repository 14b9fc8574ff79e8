"""The message bus: a command goes to its one handler and its failure is raised to the caller; an
event goes to every subscribed handler, and a failing event handler is logged and isolated.

Each message is handled in a unit of work of its own (handlers are coroutines and may wait on the
OSS; two requests never share a session), and the events it released after committing are
handled next.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from bss_bridge.domain.commands import Command
from bss_bridge.domain.events import Event
from bss_bridge.service_layer.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)

CommandHandler = Callable[[Any, UnitOfWork], Awaitable[Any]]
EventHandler = Callable[[Any, UnitOfWork], Awaitable[None]]


class MessageBus:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        command_handlers: Mapping[type[Command], CommandHandler],
        event_handlers: Mapping[type[Event], Sequence[EventHandler]] | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.command_handlers = dict(command_handlers)
        self.event_handlers = {kind: list(handlers) for kind, handlers in (event_handlers or {}).items()}
        self.event_failures: list[tuple[str, str, str]] = []

    def subscribe(self, event_type: type[Event], handler: EventHandler) -> None:
        self.event_handlers.setdefault(event_type, []).append(handler)

    async def handle(self, command: Command) -> Any:
        """Handle ``command`` and the events it causes; returns the command handler's result."""
        handler = self.command_handlers.get(type(command))
        if handler is None:
            raise LookupError(f"no handler for command {type(command).__name__}")
        uow = self.uow_factory()
        result = await handler(command, uow)
        queue = uow.take_released()
        while queue:
            event = queue.pop(0)
            for event_handler in self.event_handlers.get(type(event), []):
                event_uow = self.uow_factory()
                try:
                    await event_handler(event, event_uow)
                except Exception as exc:
                    name = getattr(event_handler, "__name__", repr(event_handler))
                    logger.exception("event handler %s failed on %s", name, type(event).__name__)
                    self.event_failures.append((type(event).__name__, name, f"{type(exc).__name__}: {exc}"))
                queue.extend(event_uow.take_released())
        return result
