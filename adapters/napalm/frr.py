"""A NAPALM driver for FRR, over netmiko and vtysh.

NAPALM's ``ios`` driver connects to vtysh but its getters and configuration workflow fail there
(they expect IOS's archive and SCP), so FRR gets its own :class:`FRRDriver`. vtysh over SSH is
all there is (``frr-reload.py`` needs a local vtysh), so the workflow is done here:

- the candidate is kept in the driver (a merge snippet, or a whole replacement configuration);
- ``compare_config`` diffs the running configuration against the candidate, as text;
- ``commit_config`` saves the running configuration, then sends the merge lines (or, for a
  replace, the commands :mod:`adapters.cli.frrconf` computes); a refused line restores the saved
  configuration and raises ``CommitError`` with FRR's message;
- ``rollback`` brings the running configuration back to what it was before the last commit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from napalm.base import NetworkDriver
from napalm.base.exceptions import CommitError, ConnectionException, MergeConfigException, ReplaceConfigException

from adapters.cli import frrconf
from adapters.cli.driver import apply_guarded, converge, running_config
from adapters.cli.session import send_show
from adapters.errors import ConfigurationRejectedError
from adapters.napalm import frr_getters


class FRRDriver(NetworkDriver):  # type: ignore[misc]  # napalm ships no type information
    """NAPALM NetworkDriver for FRRouting (vtysh as the SSH user's login shell)."""

    platform = "frr"

    def __init__(
        self,
        hostname: str,
        username: str,
        password: str,
        timeout: int = 60,
        optional_args: dict[str, Any] | None = None,
    ) -> None:
        self.hostname, self.username, self.password, self.timeout = hostname, username, password, timeout
        self.optional_args = dict(optional_args or {})
        self.device: Any = None
        self._candidate: str | None = None
        self._replace = False
        self._rollback_config: str | None = None

    # -- session -------------------------------------------------------------------------------
    def open(self) -> None:
        from netmiko import ConnectHandler

        args = {
            "device_type": "cisco_ios",
            "host": self.hostname,
            "username": self.username,
            "password": self.password,
            "port": int(self.optional_args.get("port", 22)),
            "conn_timeout": self.timeout,
            "auth_timeout": self.timeout,
            "banner_timeout": self.timeout,
            "timeout": self.timeout,
            "fast_cli": True,
            "allow_agent": False,
            "use_keys": bool(self.optional_args.get("key_file")),
            "key_file": self.optional_args.get("key_file"),
        }
        try:
            self.device = ConnectHandler(**args)
        except Exception as exc:
            from netmiko.exceptions import NetmikoTimeoutException

            if isinstance(exc, NetmikoTimeoutException):
                raise ConnectionException(f"cannot connect to {self.hostname}") from exc
            raise

    def close(self) -> None:
        if self.device is not None:
            self.device.disconnect()
            self.device = None

    def is_alive(self) -> dict[str, bool]:
        return {"is_alive": bool(self.device is not None and self.device.is_alive())}

    def _send(self, command: str) -> str:
        return send_show(self.device, command)

    def cli(self, commands: list[str], encoding: str = "text") -> dict[str, Any]:
        if encoding != "text":
            raise NotImplementedError("FRR's cli() returns text; ask for '... json' commands instead")
        return {command: self._send(command) for command in commands}

    # -- getters -------------------------------------------------------------------------------
    def get_facts(self) -> dict[str, Any]:
        return frr_getters.facts(
            self._send("show version"), self._send("show interface json"), running_config(self.device)
        )

    def get_interfaces(self) -> dict[str, dict[str, Any]]:
        return frr_getters.interfaces(self._send("show interface json"))

    def get_interfaces_ip(self) -> dict[str, dict[str, dict[str, dict[str, int]]]]:
        return frr_getters.interfaces_ip(self._send("show interface json"))

    def get_interfaces_counters(self) -> dict[str, dict[str, int]]:
        return frr_getters.interfaces_counters(self._send("show interface json"), self._send("show interface"))

    def get_bgp_neighbors(self) -> dict[str, dict[str, Any]]:
        summary = self._send("show bgp summary json")
        return frr_getters.bgp_neighbors(summary, self._send("show bgp neighbors json"))

    def get_config(
        self, retrieve: str = "all", full: bool = False, sanitized: bool = False, format: str = "text"
    ) -> dict[str, str]:
        running = running_config(self.device) if retrieve in ("all", "running") else ""
        candidate = ""
        if retrieve in ("all", "candidate") and self._candidate is not None:
            candidate = frrconf.render(self._target(frrconf.parse(running or running_config(self.device))))
        # FRR keeps no separate startup configuration vtysh can show.
        return {"running": running, "startup": "", "candidate": candidate}

    # -- configuration -------------------------------------------------------------------------
    @staticmethod
    def _read(filename: str | None, config: str | None) -> str:
        if filename is not None:
            return Path(filename).read_text(encoding="utf-8")
        if config is None:
            raise ValueError("give a filename or a config")
        return config

    def load_merge_candidate(self, filename: str | None = None, config: str | None = None) -> None:
        try:
            text = self._read(filename, config)
            frrconf.parse(text)
        except (OSError, ValueError) as exc:
            raise MergeConfigException(str(exc)) from exc
        self._candidate, self._replace = text, False

    def load_replace_candidate(self, filename: str | None = None, config: str | None = None) -> None:
        try:
            text = self._read(filename, config)
            frrconf.parse(text)
        except (OSError, ValueError) as exc:
            raise ReplaceConfigException(str(exc)) from exc
        self._candidate, self._replace = text, True

    def _target(self, running: frrconf.Tree) -> frrconf.Tree:
        assert self._candidate is not None
        change = frrconf.parse(self._candidate)
        return change if self._replace else frrconf.merge(running, change)

    def compare_config(self) -> str:
        if self._candidate is None:
            return ""
        running = frrconf.parse(running_config(self.device))
        return frrconf.diff(running, self._target(running))

    def commit_config(self, message: str = "", revert_in: int | None = None) -> None:
        if revert_in is not None:
            raise NotImplementedError("FRR has no commit confirm over vtysh")
        if self._candidate is None:
            return
        before = running_config(self.device)
        if self._replace:
            lines = frrconf.commands(frrconf.parse(before), frrconf.parse(self._candidate))
        else:
            lines = [line for line in self._candidate.splitlines() if line.strip()]
        try:
            apply_guarded(self.device, lines, self.hostname)
        except ConfigurationRejectedError as exc:
            raise CommitError(exc.device_message) from exc
        self._rollback_config, self._candidate = before, None

    def discard_config(self) -> None:
        self._candidate = None

    def rollback(self) -> None:
        if self._rollback_config is None:
            return
        if not converge(self.device, frrconf.parse(self._rollback_config)):
            raise CommitError("rollback did not restore the previous configuration")
        self._rollback_config = None
