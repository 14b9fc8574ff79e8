"""The one place that wires settings, storage, the message bus and the drivers together.

Entry points (the CLI, the daemon, the API) call :func:`bootstrap` once with loaded settings;
nothing here runs at import time, so tests can build as many isolated agents as they like.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

import secrecy
from adapters import DriverRegistry
from adapters.blocking import BlockingRunner
from adapters.redact import mask_message
from oss_agent.config import AgentSettings, Inventory, load_inventory
from oss_agent.domain.commands import Command
from oss_agent.domain.events import Event
from oss_agent.domain.model import DeviceSpec
from oss_agent.errors import ConfigError, ConfigProblem
from oss_agent.fault import handlers as fault_handlers
from oss_agent.metrics import AgentMetrics
from oss_agent.provisioning.context import ProvisioningContext
from oss_agent.service_layer import handlers, provisioning_handlers, usage_handlers
from oss_agent.service_layer.messagebus import CommandHandler, EventHandler, MessageBus
from oss_agent.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from oss_agent.storage import migrate
from oss_agent.storage.engine import make_engine, make_session_factory


@dataclass
class Agent:
    """A wired agent: what every entry point works with."""

    settings: AgentSettings
    engine: Engine
    uow: SqlAlchemyUnitOfWork
    bus: MessageBus
    registry: DriverRegistry = field(default_factory=DriverRegistry)
    metrics: AgentMetrics = field(default_factory=AgentMetrics)
    provisioning: ProvisioningContext | None = None

    def close(self) -> None:
        self.engine.dispose()


def bootstrap(
    settings: AgentSettings,
    *,
    registry: DriverRegistry | None = None,
    upgrade_schema: bool = False,
    require_schema: bool = False,
    runner: BlockingRunner | None = None,
) -> Agent:
    """Build an agent on ``settings``. With ``upgrade_schema`` the database is created or migrated
    first; with ``require_schema`` it must exist at this version's schema and is left as it is when
    not (:class:`~oss_agent.errors.DatabaseNotReadyError`): a mistyped URL is not an empty network.

    ``runner`` is the blocking runner behind ``registry``'s drivers: provisioning holds its per-device
    locks for the length of an activation.
    """
    if upgrade_schema and require_schema:
        raise ValueError("upgrade_schema or require_schema, not both")
    # every log record from now on without a secret this process knows, nor one of a configuration line
    secrecy.install(mask_message)
    if require_schema:
        migrate.require_head(settings.database)
    engine = make_engine(settings.database)
    if upgrade_schema:
        migrate.upgrade(engine)
    session_factory = make_session_factory(engine)
    uow = SqlAlchemyUnitOfWork(session_factory)
    registry = registry or DriverRegistry()
    provisioning = ProvisioningContext(settings, session_factory, registry, runner)
    every_handler: dict[type[Command], Callable[..., Awaitable[Any]]] = {**handlers.COMMAND_HANDLERS}
    every_handler |= provisioning_handlers.UOW_ONLY_HANDLERS
    command_handlers: dict[type[Command], CommandHandler] = {
        kind: functools.partial(handler, uow=uow) for kind, handler in every_handler.items()
    }
    command_handlers |= {  # the failpoints are the activations' (one ``OSS_AGENT_FAILPOINT`` per process)
        kind: functools.partial(handler, uow=uow, failpoints=provisioning.failpoints)
        for kind, handler in fault_handlers.COMMAND_HANDLERS.items()
    }
    command_handlers |= {
        kind: functools.partial(handler, uow=uow, provisioning=provisioning)
        for kind, handler in (provisioning_handlers.HANDLERS | usage_handlers.HANDLERS).items()
    }
    event_handlers: dict[type[Event], list[EventHandler]] = {
        kind: [functools.partial(h, uow=uow) for h in subscribed]
        for kind, subscribed in handlers.EVENT_HANDLERS.items()
    }
    bus = MessageBus(uow, command_handlers, event_handlers)
    return Agent(settings, engine, uow, bus, registry, provisioning=provisioning)


def read_inventory(settings: AgentSettings) -> Inventory:
    """The inventory the settings point at; a missing file says how to get one."""
    path = settings.inventory_path
    if not path.exists():
        raise ConfigError(
            [
                ConfigProblem(
                    str(path),
                    "inventory_file",
                    "no inventory file here: write one (see config/inventory.example.yaml), "
                    "set inventory_file / OSS_AGENT_INVENTORY_FILE, or run 'oss-agent lab up'",
                )
            ]
        )
    return load_inventory(path)


def device_specs(inventory: Inventory) -> tuple[DeviceSpec, ...]:
    return tuple(DeviceSpec(d.name, d.host, d.platform.value, d.site, d.role, tuple(d.tags)) for d in inventory.devices)
