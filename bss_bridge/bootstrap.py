"""The one place that wires the BSS: settings, its database, the unit of work with the hubs'
publisher, the message bus and its handlers, and the OSS's inventory client.

Entry points (the API process, the CLI) call :func:`bootstrap` once with loaded settings; nothing
runs at import time, so tests build as many isolated BSSs as they like (with their own clock and
their own OSS inventory, a real one over HTTP or an in-process ASGI transport).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

import secrecy
from bss_bridge.config.settings import BssSettings
from bss_bridge.domain.commands import Command
from bss_bridge.domain.events import Event
from bss_bridge.hub.store import HubStore
from bss_bridge.oss.tmf639 import Tmf639Inventory, UncheckedInventory
from bss_bridge.service_layer import (
    billing_handlers,
    billing_listeners,
    catalog_handlers,
    order_handlers,
    party_handlers,
    payment_handlers,
    ticket_handlers,
    usage_handlers,
)
from bss_bridge.service_layer.deps import Deps, utc_now
from bss_bridge.service_layer.messagebus import CommandHandler, EventHandler, MessageBus
from bss_bridge.service_layer.ports import ResourceInventory
from bss_bridge.service_layer.unit_of_work import UnitOfWork
from bss_bridge.storage import migrate
from bss_bridge.storage.engine import engine_for, sessions
from bss_bridge.tmf.events import EVENT_TYPES, Publisher

TMF639_PATH = "/tmf-api/resourceInventoryManagement/v4"


@dataclass
class Bss:
    """A wired BSS: what every entry point works with."""

    settings: BssSettings
    engine: Engine
    session_factory: sessionmaker[Session]
    bus: MessageBus
    hub: HubStore
    deps: Deps
    uow_factory: Callable[[], UnitOfWork]

    async def handle(self, command: Command) -> Any:
        return await self.bus.handle(command)

    def uow(self) -> UnitOfWork:
        return self.uow_factory()

    def close(self) -> None:
        self.engine.dispose()


def oss_inventory(settings: BssSettings) -> ResourceInventory:
    if settings.oss_url is None:
        return UncheckedInventory()
    token = settings.oss_token.get_secret_value() if settings.oss_token is not None else None
    return Tmf639Inventory(f"{settings.oss_url}{TMF639_PATH}", token, settings.oss_timeout_s)


def bootstrap(
    settings: BssSettings,
    *,
    upgrade_schema: bool = False,
    require_schema: bool = False,
    inventory: ResourceInventory | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> Bss:
    """A BSS on ``settings``. With ``upgrade_schema`` its database is created or migrated first; with
    ``require_schema`` it must exist at this version's schema and is left as it is when not
    (:class:`~bss_bridge.errors.DatabaseNotReadyError`): a mistyped URL is not an empty BSS."""
    if upgrade_schema and require_schema:
        raise ValueError("upgrade_schema or require_schema, not both")
    secrecy.install()  # every log record from now on without a secret this process knows
    if require_schema:
        migrate.require_head(settings.database)
    engine = engine_for(settings.database)
    if upgrade_schema:
        migrate.upgrade(engine)
    session_factory = sessions(engine)
    publisher = Publisher(settings.base_url, clock)

    def uow_factory() -> UnitOfWork:
        return UnitOfWork(session_factory, publisher, EVENT_TYPES)

    deps = Deps(inventory or oss_inventory(settings), clock, dunning_grace_days=settings.dunning_grace_days)
    modules = (
        party_handlers,
        catalog_handlers,
        order_handlers,
        usage_handlers,
        billing_handlers,
        payment_handlers,
        ticket_handlers,
    )
    handlers: dict[type[Command], CommandHandler] = {
        kind: functools.partial(handler, deps=deps) for module in modules for kind, handler in module.HANDLERS.items()
    }
    listeners: dict[type[Event], list[EventHandler]] = {
        kind: [functools.partial(h, deps=deps) for h in found]
        for kind, found in billing_listeners.EVENT_HANDLERS.items()
    }
    bus = MessageBus(uow_factory, handlers, listeners)
    return Bss(settings, engine, session_factory, bus, HubStore(session_factory, EVENT_TYPES), deps, uow_factory)
