"""What a driver needs to reach one device: its address, platform and per-protocol access.

Secrets are held in :class:`Secret`, whose ``repr`` and ``str`` never show the value, so a target can
be logged or put in an exception without leaking a password or community.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import secrecy
from adapters.models import Protocol


class Secret:
    """A secret value that prints as ``'***'``; read it with :meth:`reveal`."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        secrecy.remember(value)  # kept out of every log record from now on

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))


SnmpVersion = Literal["v1", "v2c", "v3"]
AuthProtocol = Literal["md5", "sha", "sha224", "sha256", "sha384", "sha512"]
# net-snmp's names: aes192/aes256 extend the key as the Blumenthal draft says (net-snmp, most agents);
# aes192c/aes256c as Cisco does (the Reeder draft; net-snmp's AES-192-C/AES-256-C)
PrivProtocol = Literal["des", "3des", "aes", "aes128", "aes192", "aes256", "aes192c", "aes256c"]


@dataclass(frozen=True, slots=True)
class SnmpAccess:
    """SNMP access: a community for v1/v2c, a USM user for v3."""

    version: SnmpVersion
    port: int = 161
    timeout_s: float = 2.0
    retries: int = 1
    community: Secret | None = None
    write_community: Secret | None = None
    user: str | None = None
    auth_protocol: AuthProtocol | None = None
    auth_key: Secret | None = None
    priv_protocol: PrivProtocol | None = None
    priv_key: Secret | None = None
    engine_id: str | None = None  # v3: the device's snmpEngineID in hex, needed to accept its v3 traps


@dataclass(frozen=True, slots=True)
class SshAccess:
    """SSH CLI access (also what NAPALM's CLI drivers use)."""

    username: str
    port: int = 22
    password: Secret | None = None
    key_file: str | None = None
    timeout_s: float = 10.0


@dataclass(frozen=True, slots=True)
class NetconfAccess:
    """NETCONF over SSH access."""

    username: str
    port: int = 830
    password: Secret | None = None
    key_file: str | None = None
    timeout_s: float = 10.0
    hostkey_verify: bool = False


@dataclass(frozen=True, slots=True)
class DeviceTarget:
    """One device as a driver sees it."""

    name: str
    host: str
    platform: str
    snmp: SnmpAccess | None = None
    ssh: SshAccess | None = None
    netconf: NetconfAccess | None = None

    def protocols(self) -> frozenset[Protocol]:
        """Protocols this target has access configured for."""
        found: set[Protocol] = set()
        if self.snmp is not None:
            found.add(Protocol.SNMP)
        if self.ssh is not None:
            found.update({Protocol.CLI, Protocol.NAPALM})
        if self.netconf is not None:
            found.add(Protocol.NETCONF)
        return frozenset(found)
