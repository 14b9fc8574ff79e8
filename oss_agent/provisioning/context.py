"""What provisioning needs from the agent, loaded on first use: the catalog, the inventory, the activator.

An agent that never provisions (a poller, ``oss-agent alarms``) never reads the catalog; one that
does reads it once. The activator is made once per process, so its driver sessions and its device
queue are shared by every order the process runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy.orm import Session, sessionmaker

from adapters import DriverRegistry
from adapters.blocking import BlockingRunner
from oss_agent.config import AgentSettings
from oss_agent.config.inventory import Inventory, load_inventory
from oss_agent.errors import ConfigError, ConfigProblem
from oss_agent.provisioning.catalog import Catalog, default_catalog_dir, load_catalog
from oss_agent.provisioning.engine import ActivationSettings, Activator
from oss_agent.provisioning.failpoints import Failpoints
from oss_agent.provisioning.sites import Resolver
from oss_agent.service_layer.unit_of_work import SqlAlchemyUnitOfWork, UnitOfWork
from oss_agent.storage.pool_repository import PoolStore
from oss_agent.storage.provisioning_repository import LeaseStore


@dataclass
class ProvisioningContext:
    settings: AgentSettings
    session_factory: sessionmaker[Session]
    registry: DriverRegistry
    runner: BlockingRunner | None = None
    failpoints: Failpoints = field(default_factory=Failpoints)

    def uow(self) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self.session_factory)

    @cached_property
    def catalog(self) -> Catalog:
        return load_catalog(self.settings.catalog_dir or default_catalog_dir())

    @cached_property
    def inventory(self) -> Inventory:
        path = self.settings.inventory_path
        if not path.exists():
            raise ConfigError([ConfigProblem(str(path), "inventory_file", "no inventory file: provisioning needs one")])
        return load_inventory(path)

    @cached_property
    def pools(self) -> PoolStore:
        return PoolStore(self.session_factory)

    def resolver(self, uow: UnitOfWork) -> Resolver:
        return Resolver(self.inventory, uow.links.list(), uow.discovery.all_addresses())

    @cached_property
    def activator(self) -> Activator:
        settings = ActivationSettings(
            confirm_timeout_s=self.settings.provisioning_confirm_timeout_s,
            check_timeout_s=self.settings.provisioning_check_timeout_s,
        )
        return Activator(
            self.uow,
            self.pools,
            LeaseStore(self.session_factory),
            self.catalog,
            self.inventory,
            self.registry,
            settings,
            self.runner,
            self.failpoints,
        )

    async def close(self) -> None:
        if "activator" in self.__dict__:
            await self.activator.close()
