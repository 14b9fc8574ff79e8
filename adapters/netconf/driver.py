"""NETCONF driver (ncclient): state reads, candidate workflow, confirmed commit, notifications.

Configuration goes through the candidate datastore, locked from ``load_candidate`` to
``commit``/``discard``. An rpc-error becomes :class:`ConfigurationRejectedError` carrying the
device's message, raised inside the worker so the session survives it.

yuma123 workaround: ``<validate><source><candidate/>`` followed by ``<commit>`` answers ok and
leaves running unchanged (measured on the lab). :meth:`NetconfDriver.validate` therefore validates
a copy of the candidate's contents sent inline (``<source><config>``), which leaves the candidate
untouched, and :meth:`commit` re-reads running and candidate to prove the commit took effect.
"""

from __future__ import annotations

import difflib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

from lxml import etree

from adapters.blocking import BlockingRunner, DeviceSession
from adapters.contract import BaseDriver, Capability
from adapters.errors import AdapterError, UnsupportedOperationError
from adapters.models import (
    CommitResult,
    ConfigDiff,
    InterfaceCounters,
    InterfaceInfo,
    Protocol,
    RunningConfig,
)
from adapters.netconf import parse, session
from adapters.netconf.notify import Notification, Subscription
from adapters.target import DeviceTarget


def _config_element(config: str) -> str:
    """``config`` wrapped in ``<config>`` unless it already is."""
    stripped = config.strip()
    if stripped.startswith("<config") or stripped.startswith("<nc:config"):
        return stripped
    return f'<config xmlns="{parse.NC_NS}">{stripped}</config>'


def _diff(old: str, new: str) -> str:
    lines = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True), "running", "candidate")
    return "".join(lines)


class NetconfDriver(BaseDriver):
    """One device over NETCONF; every call runs in the shared pool under the device's lock."""

    protocol: ClassVar[Protocol] = Protocol.NETCONF
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.INTERFACES, Capability.COUNTERS, Capability.CONFIG_READ, Capability.CONFIG_WRITE}
    )

    def __init__(
        self,
        target: DeviceTarget,
        runner: BlockingRunner,
        timeout_s: float | None = None,
        tick_s: float | None = session.DEFAULT_TICK_S,
    ) -> None:
        super().__init__(target)
        if target.netconf is None:
            raise UnsupportedOperationError("no NETCONF access configured", device=target.name)
        self._runner = runner
        self._tick_s = tick_s
        self._timeout_s = timeout_s or target.netconf.timeout_s * 2
        self._translate = session.translator(target)
        self._session: DeviceSession[Any] = DeviceSession(
            target.name,
            runner,
            self._timeout_s,
            lambda: session.connect(target, tick_s),
            session.alive,
            session.disconnect,
            self._translate,
        )
        self._locked = False
        self._before_commit: str | None = None

    @property
    def connects(self) -> int:
        return self._session.connects

    async def _call(self, operation: str, func: Callable[[Any], Any], timeout_s: float | None = None) -> Any:
        device = self.target.name

        def guarded(manager: Any) -> Any:
            from ncclient.operations.rpc import RPCError

            try:
                return func(manager)
            except RPCError as exc:  # the session is fine: keep it, report the device's message
                raise session.rejected(exc, device, operation) from exc

        return await self._session.call(operation, guarded, timeout_s)

    async def open(self) -> None:
        await self._call("open", lambda m: None)

    async def close(self) -> None:
        await self._session.close()

    async def server_capabilities(self) -> list[str]:
        """The capability URIs the device announced in its hello."""
        caps: list[str] = await self._call("capabilities", lambda m: sorted(m.server_capabilities))
        return caps

    async def get(self, subtree_filter: str | None = None) -> str:
        """``<get>`` (state and configuration), optionally with a subtree filter; the reply's XML."""
        filt = ("subtree", subtree_filter) if subtree_filter else None
        xml: str = await self._call("get", lambda m: m.get(filter=filt).xml)
        return xml

    async def get_config_xml(self, source: str = "running", subtree_filter: str | None = None) -> str:
        filt = ("subtree", subtree_filter) if subtree_filter else None
        xml: str = await self._call("get_config", lambda m: m.get_config(source=source, filter=filt).xml)
        return xml

    async def get_interfaces(self) -> list[InterfaceInfo]:
        return parse.interfaces(await self.get(parse.INTERFACES_STATE_FILTER))

    async def get_interface_counters(self) -> list[InterfaceCounters]:
        read_at = datetime.now(UTC)
        return parse.counters(await self.get(parse.INTERFACES_STATE_FILTER), read_at)

    async def get_config(self) -> RunningConfig:
        return RunningConfig(parse.pretty(await self.get_config_xml("running")), format="xml")

    async def lock(self, target: str = "candidate") -> None:
        await self._call("lock", lambda m: m.lock(target))
        if target == "candidate":
            self._locked = True

    async def unlock(self, target: str = "candidate") -> None:
        await self._call("unlock", lambda m: m.unlock(target))
        if target == "candidate":
            self._locked = False

    async def edit_config(
        self, config: str, *, target: str = "candidate", default_operation: str | None = None
    ) -> None:
        """``<edit-config>`` (yuma123 refuses the running datastore: use the candidate)."""
        element = _config_element(config)
        await self._call(
            "edit_config", lambda m: m.edit_config(target=target, config=element, default_operation=default_operation)
        )

    async def validate(self) -> None:
        """Validate the candidate's contents, sent inline (see the module docstring for why)."""

        def work(manager: Any) -> None:
            data = manager.get_config(source="candidate").data_ele
            config = etree.Element(f"{{{parse.NC_NS}}}config")
            for child in list(data):
                config.append(child)
            manager.validate(source=config)

        await self._call("validate", work)

    async def load_candidate(self, config: str, *, replace: bool = False) -> ConfigDiff:
        """Lock the candidate, reset it to running, apply ``config``; the diff is running vs candidate."""
        element = _config_element(config)
        lock_needed = not self._locked

        def work(manager: Any) -> tuple[str, str]:
            if lock_needed:
                manager.lock("candidate")
            manager.discard_changes()
            if replace:
                change = parse.replacement(element, manager.get_config(source="running").xml)
                manager.edit_config(target="candidate", config=change)
            else:
                manager.edit_config(target="candidate", config=element, default_operation="merge")
            running = parse.pretty(manager.get_config(source="running").xml)
            return running, parse.pretty(manager.get_config(source="candidate").xml)

        self._locked = True
        try:
            running, candidate = await self._call("load_candidate", work)
        except AdapterError:
            await self.discard()
            raise
        return ConfigDiff(_diff(running, candidate))

    async def commit(
        self, *, message: str = "", confirmed: bool = False, confirm_timeout_s: int = 600, persist: str | None = None
    ) -> CommitResult:
        """Commit the candidate; with ``confirmed`` the device reverts unless :meth:`confirm` follows in time."""
        device = self.target.name

        def work(manager: Any) -> tuple[str, str]:
            before = parse.pretty(manager.get_config(source="running").xml)
            if confirmed:
                manager.commit(confirmed=True, timeout=str(confirm_timeout_s), persist=persist)
            else:
                manager.commit()
            after = parse.pretty(manager.get_config(source="running").xml)
            candidate = parse.pretty(manager.get_config(source="candidate").xml)
            if after != candidate:
                raise AdapterError(
                    "commit answered ok but running differs from the candidate", device=device, operation="commit"
                )
            return before, after

        before, after = await self._call("commit", work)
        self._before_commit = before
        if self._locked and not confirmed:
            await self.unlock()
        diff = _diff(before, after)
        return CommitResult(committed=True, diff=ConfigDiff(diff), message=message, rollback_id="previous")

    async def confirm(self, persist_id: str | None = None) -> None:
        """Make a confirmed commit permanent (a plain ``<commit>`` within the timeout); with ``persist_id``
        from any session, also one opened after the session that committed is gone."""
        await self._call("confirm", lambda m: m.commit(persist_id=persist_id))
        if self._locked:
            await self.unlock()

    async def cancel_commit(self, persist_id: str | None = None) -> None:
        """Revert a pending confirmed commit now."""
        await self._call("cancel_commit", lambda m: m.cancel_commit(persist_id=persist_id))
        if self._locked:
            await self.unlock()

    async def discard(self) -> None:
        """``<discard-changes>`` and release the candidate lock."""
        locked = self._locked

        def work(manager: Any) -> None:
            manager.discard_changes()
            if locked:
                manager.unlock("candidate")

        self._locked = False
        await self._call("discard", work)

    async def rollback(self) -> CommitResult:
        """Put back the running configuration saved before this driver's last commit."""
        if self._before_commit is None:
            return CommitResult(committed=False, diff=ConfigDiff(""), message="nothing to roll back")
        previous = self._before_commit
        await self.load_candidate(previous, replace=True)
        result = await self.commit(message="rollback")
        self._before_commit = None
        return CommitResult(True, result.diff, "rolled back")

    async def copy_running_to_startup(self) -> None:
        await self._call("copy_config", lambda m: m.copy_config(source="running", target="startup"))

    async def subscribe(
        self, *, stream: str | None = None, subtree_filter: str | None = None, poll_s: float = 1.0
    ) -> Subscription:
        """An active notification subscription (RFC 5277) on a session of its own.

        It returns once the device accepted ``<create-subscription>``, so an event caused after
        this call is delivered. Use ``async with`` or call ``aclose()``.
        """
        subscription = Subscription(self._runner, self.target.name, self._translate, self._timeout_s, poll_s)
        target, tick = self.target, self._tick_s
        await subscription.start(lambda: session.connect(target, tick), stream, subtree_filter)
        return subscription

    async def notifications(
        self, *, stream: str | None = None, subtree_filter: str | None = None, poll_s: float = 1.0
    ) -> AsyncIterator[Notification]:
        """Notifications as they come (subscribes on first iteration; closing the iterator unsubscribes)."""
        async with await self.subscribe(stream=stream, subtree_filter=subtree_filter, poll_s=poll_s) as sub:
            async for notification in sub:
                yield notification
