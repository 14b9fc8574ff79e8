"""One device during an activation: read it, change it, confirm or undo the change, and prove the undo.

A device has a CLI part (FRR's vtysh, or a Linux CPE's shell) and may have a NETCONF part. The CLI
part is changed at once (all of its lines, or none: the driver restores the configuration when a
line is refused) and undone from the snapshot; the NETCONF part is changed with a confirmed commit
carrying a persist id, so that it can be confirmed or cancelled from any later session, also after
the agent restarted, and reverts by itself if nobody does either in time.

Drivers are kept per device (:class:`DriverPool`), so an agent reuses its SSH and NETCONF sessions
from one order to the next.
"""

from __future__ import annotations

import contextlib
from typing import Any

from adapters import AdapterError, ConfigurationRejectedError, DeviceTarget, DriverRegistry, Protocol
from oss_agent.provisioning.configmodels import NETCONF, ConfigModel, cli_model


class DriverPool:
    """One driver per (device, protocol), created on first use and reused."""

    def __init__(self, registry: DriverRegistry) -> None:
        self.registry = registry
        self._drivers: dict[tuple[str, Protocol], Any] = {}

    def get(self, target: DeviceTarget, protocol: Protocol) -> Any:
        key = (target.name, protocol)
        driver = self._drivers.get(key)
        if driver is None or driver.target != target:
            driver = self._drivers[key] = self.registry.create(target, protocol)
        return driver

    async def close(self) -> None:
        for driver in list(self._drivers.values()):
            with contextlib.suppress(Exception):
                await driver.close()
        self._drivers.clear()


class DeviceHandle:
    def __init__(self, target: DeviceTarget, drivers: DriverPool, netconf: bool) -> None:
        self.name = target.name
        self.target = target
        self.model: ConfigModel = cli_model(target.platform)
        self.cli = drivers.get(target, Protocol.CLI)
        self.netconf = drivers.get(target, Protocol.NETCONF) if netconf and target.netconf is not None else None

    async def read_cli(self) -> str:
        return str((await self.cli.get_config()).text)

    async def read_netconf(self) -> str | None:
        if self.netconf is None:
            return None
        return str(await self.netconf.get_config_xml("running"))

    async def apply_cli(self, lines: list[str], before: str | None = None) -> None:
        """All the lines, or none (the driver restores ``before``, or what it reads first, and raises
        with the device's message)."""
        if lines:
            await self.cli.send_config(lines, before)

    async def _through_candidate(self, xml: str, persist_id: str | None = None, timeout_s: int = 0) -> None:
        """Lock the candidate, edit it, commit (confirmed with ``persist_id`` when given), unlock;
        on a refusal the candidate is discarded, so the next order finds it clean."""
        assert self.netconf is not None
        await self.netconf.lock("candidate")
        try:
            await self.netconf.edit_config(xml)
            if persist_id is None:
                await self.netconf.commit()
            else:
                await self.netconf.commit(confirmed=True, confirm_timeout_s=timeout_s, persist=persist_id)
        except AdapterError:
            with contextlib.suppress(AdapterError):
                await self.netconf.discard()
            raise
        finally:
            with contextlib.suppress(AdapterError):
                await self.netconf.unlock("candidate")

    async def prepare_netconf(self, xml: str, persist_id: str, timeout_s: int) -> None:
        """Candidate, edit, confirmed commit: the change is live but reverts unless confirmed in time."""
        await self._through_candidate(xml, persist_id, timeout_s)

    async def confirm_netconf(self, persist_id: str) -> None:
        assert self.netconf is not None
        await self.netconf.confirm(persist_id=persist_id)

    async def cancel_netconf(self, persist_id: str) -> None:
        """Revert a pending confirmed commit; nothing pending (already reverted or never made) is fine."""
        assert self.netconf is not None
        with contextlib.suppress(ConfigurationRejectedError):
            await self.netconf.cancel_commit(persist_id=persist_id)

    async def commit_netconf(self, xml: str) -> None:
        """A plain commit (a restore, or completing a change after its confirmed commit timed out)."""
        await self._through_candidate(xml)

    async def restore_cli(self, snapshot: str) -> bool:
        ok: bool = await self.cli.restore(snapshot)
        return ok

    async def restore_netconf(self, snapshot: str) -> bool:
        """Bring NETCONF back to the snapshot with one edit; True once a read-back equals it."""
        model = NETCONF
        current = await self.read_netconf() or ""
        if model.same(current, snapshot):
            return True
        change = model.change(
            current, model.items(current) - model.items(snapshot), model.items(snapshot) - model.items(current)
        )
        if change.xml:
            await self.commit_netconf(change.xml)
        return model.same(await self.read_netconf() or "", snapshot)
