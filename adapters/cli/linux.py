"""A Linux CPE over SSH (netmiko ``linux``): its configuration as ``ip``/``tc`` lines, changed all or nothing.

The configuration is read back from the box's state (:mod:`adapters.cli.linuxconf`); a change is a
list of ``ip``/``tc`` lines, each parsed before anything is sent (so nothing but those commands can
reach the shell), run as one ``&&`` chain; when one fails, the configuration captured before is
restored and read back, and :class:`ConfigurationRejectedError` carries the device's message.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from adapters.blocking import BlockingRunner, DeviceSession
from adapters.cli import linuxconf, session
from adapters.contract import BaseDriver, Capability
from adapters.errors import AdapterError, ConfigurationRejectedError, UnsupportedOperationError
from adapters.models import Protocol, RunningConfig
from adapters.target import DeviceTarget

RESTORE_ATTEMPTS = 3
_RC = re.compile(r"__rc=(\d+)\s*$")


def shell(connection: Any, command: str) -> tuple[int, str]:
    """Run a shell command; its exit status and output (the status is echoed by the shell itself)."""
    prompt = getattr(connection, "base_prompt", "")
    expect = rf"{re.escape(prompt)}[$#]" if prompt else None
    text: str = connection.send_command(f'{command}; echo "__rc=$?"', expect_string=expect)
    match = _RC.search(text.rstrip())
    if match is None:
        raise AdapterError(f"no exit status in the answer to {command[:60]!r}", operation="shell")
    return int(match.group(1)), text[: match.start()].rstrip()


def running_config(connection: Any) -> str:
    status, text = shell(connection, linuxconf.SHOW_COMMAND)
    if status != 0:
        raise AdapterError(f"reading the configuration failed: {text[-200:]}", operation="get_config")
    return linuxconf.from_state(text)


def _apply(connection: Any, lines: Sequence[str]) -> tuple[int, str]:
    if not lines:
        return 0, ""
    return shell(connection, " && ".join(lines))


def converge(connection: Any, target: list[str]) -> bool:
    """Bring the box to ``target`` (canonical lines); True once a read-back matches it."""
    for _ in range(RESTORE_ATTEMPTS):
        current = linuxconf.parse(running_config(connection))
        if current == target:
            return True
        for command in linuxconf.commands(current, target):  # one by one: a failure must not stop the rest
            shell(connection, command)
    return linuxconf.parse(running_config(connection)) == target


def checked(lines: Sequence[str]) -> list[str]:
    """Each line in its canonical form (``add`` or ``del``); LineError names the first one that is not managed."""
    out = []
    for line in lines:
        if not line.strip():
            continue
        verb, text = linuxconf.parse_line(line)
        out.append(text if verb == "add" else linuxconf.inverse(text))
    return out


class LinuxShellDriver(BaseDriver):
    """One Linux box over SSH; calls run in the shared pool under the device's lock."""

    protocol: ClassVar[Protocol] = Protocol.CLI
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.CONFIG_READ, Capability.CONFIG_WRITE, Capability.CLI}
    )

    def __init__(self, target: DeviceTarget, runner: BlockingRunner, timeout_s: float | None = None) -> None:
        super().__init__(target)
        if target.ssh is None:
            raise UnsupportedOperationError("no SSH access configured", device=target.name)
        self._session: DeviceSession[Any] = session.device_session(target, runner, timeout_s)

    @property
    def connects(self) -> int:
        return self._session.connects

    async def _call(self, operation: str, func: Callable[[Any], Any], timeout_s: float | None = None) -> Any:
        return await self._session.call(operation, func, timeout_s)

    async def open(self) -> None:
        await self._call("open", lambda c: None)

    async def close(self) -> None:
        await self._session.close()

    async def run_command(self, command: str) -> str:
        """A shell command's output (the caller builds it: never pass untrusted text)."""
        _, text = await self._call("run_command", lambda c: shell(c, command))
        return str(text)

    async def run(self, command: str, timeout_s: float | None = None) -> tuple[int, str]:
        """A shell command's exit status and output."""
        result: tuple[int, str] = await self._call("run", lambda c: shell(c, command), timeout_s)
        return result

    async def get_config(self) -> RunningConfig:
        return RunningConfig(await self._call("get_config", running_config))

    async def send_config(self, lines: Sequence[str], before: str | None = None) -> str:
        """Apply ``lines`` now: all of them, or none (the configuration from before, or ``before``,
        which the caller read and has held the device since, is restored)."""
        try:
            commands = checked(lines)
        except linuxconf.LineError as exc:
            raise ConfigurationRejectedError(
                "refused before sending", device_message=str(exc), device=self.target.name, operation="configure"
            ) from exc
        device = self.target.name

        def work(connection: Any) -> str:
            previous = linuxconf.parse(running_config(connection) if before is None else before)
            status, output = _apply(connection, commands)
            if status == 0:
                return output
            restored = converge(connection, previous)
            message = output.strip().splitlines()[-1] if output.strip() else f"exit status {status}"
            what = "configuration restored" if restored else "the configuration could NOT be fully restored"
            raise ConfigurationRejectedError(
                f"change refused; {what}", device_message=message, device=device, operation="configure"
            )

        text: str = await self._call("configure", work)
        return text

    async def restore(self, config: str) -> bool:
        """Bring the configuration back to ``config`` (a :meth:`get_config` text); True when it matches."""
        target = linuxconf.parse(config)
        ok: bool = await self._call("restore", lambda c: converge(c, target))
        return ok
