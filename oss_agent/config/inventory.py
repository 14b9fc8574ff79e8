"""The device inventory: a YAML file of devices, with defaults and groups so 500 devices are not 500 copies.

Each device is ``defaults``, then each of its ``groups`` in order, then its own keys, merged deeply;
a key set to ``null`` removes what an earlier layer gave (``ssh: null`` for a device without SSH).
Every problem is reported with the file, the line and the field, and nothing is half-loaded.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from adapters import DeviceTarget, NetconfAccess, Platform, Secret, SnmpAccess, SshAccess
from adapters.target import AuthProtocol, PrivProtocol
from oss_agent.config.secrets import SecretRef, SecretResolutionError
from oss_agent.config.yamlsrc import LocatedYaml, PathKey, format_path, load_located
from oss_agent.errors import ConfigError, ConfigProblem

_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
_DOTTED_NUMBERS = re.compile(r"^[0-9.]+$")
TOP_LEVEL_KEYS = frozenset({"defaults", "groups", "devices", "probes"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SnmpConfig(_Strict):
    version: Literal["v1", "v2c", "v3"] = "v2c"
    port: int = Field(default=161, ge=1, le=65535)
    timeout_s: float = Field(default=2.0, gt=0)
    retries: int = Field(default=1, ge=0, le=10)
    community: SecretRef | None = None
    write_community: SecretRef | None = None
    user: str | None = None
    auth_protocol: AuthProtocol | None = None
    auth_key: SecretRef | None = None
    priv_protocol: PrivProtocol | None = None
    priv_key: SecretRef | None = None
    # the device's snmpEngineID (hex, 5 to 32 octets, RFC 3411): v3 traps are accepted only with it
    engine_id: str | None = None

    @field_validator("engine_id")
    @classmethod
    def _engine_id(cls, value: str | None) -> str | None:
        if value is None:
            return None
        text = value.lower().removeprefix("0x").replace(":", "")
        if not re.fullmatch(r"(?:[0-9a-f]{2}){5,32}", text):
            raise ValueError(f"'engine_id' {value!r} is not 5 to 32 octets of hex")
        return text

    @model_validator(mode="after")
    def _complete(self) -> SnmpConfig:
        if self.version in ("v1", "v2c") and self.community is None:
            raise ValueError(f"SNMP {self.version} needs a 'community' reference")
        if self.version != "v3" and self.engine_id is not None:
            raise ValueError(f"'engine_id' is for SNMP v3, not {self.version}")
        if self.version == "v3":
            if not self.user:
                raise ValueError("SNMP v3 needs a 'user'")
            if (self.auth_protocol is None) != (self.auth_key is None):
                raise ValueError("SNMP v3 'auth_protocol' and 'auth_key' go together")
            if (self.priv_protocol is None) != (self.priv_key is None):
                raise ValueError("SNMP v3 'priv_protocol' and 'priv_key' go together")
            if self.priv_protocol is not None and self.auth_protocol is None:
                raise ValueError("SNMP v3 privacy needs authentication too")
        return self


class SshConfig(_Strict):
    username: str = Field(min_length=1)
    port: int = Field(default=22, ge=1, le=65535)
    password: SecretRef | None = None
    key_file: Path | None = None
    timeout_s: float = Field(default=10.0, gt=0)


class NetconfConfig(SshConfig):
    port: int = Field(default=830, ge=1, le=65535)
    hostkey_verify: bool = False


class DeviceConfig(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
    host: str
    platform: Platform
    site: str = ""
    role: str = ""
    tags: tuple[str, ...] = ()
    snmp: SnmpConfig | None = None
    ssh: SshConfig | None = None
    netconf: NetconfConfig | None = None

    @field_validator("host")
    @classmethod
    def _address(cls, value: str) -> str:
        try:
            ipaddress.ip_address(value)
            return value
        except ValueError:
            pass
        if _DOTTED_NUMBERS.fullmatch(value) or not _HOSTNAME.fullmatch(value):  # whole: '$' takes a final '\n'
            raise ValueError(f"{value!r} is neither an IP address nor a valid host name")
        return value

    def secret_refs(self) -> Iterator[tuple[str, SecretRef]]:
        for section in ("snmp", "ssh", "netconf"):
            block = getattr(self, section)
            if block is None:
                continue
            for key, value in block:
                if isinstance(value, SecretRef):
                    yield f"{section}.{key}", value


SECTIONS: dict[str, type[BaseModel]] = {"snmp": SnmpConfig, "ssh": SshConfig, "netconf": NetconfConfig}


class ProbeConfig(_Strict):
    """A machine a service's traffic checks run from or ping (a customer LAN host, the Internet side):
    reached over SSH with the defaults' access, never managed or polled as a device."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
    host: str
    address: str
    site: str = ""
    role: str = "customer"
    attached_to: str | None = None
    ssh: SshConfig

    @field_validator("host", "address")
    @classmethod
    def _ip(cls, value: str) -> str:
        try:
            ipaddress.ip_address(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not an IP address") from exc
        return value


@dataclass(frozen=True, slots=True)
class Inventory:
    """A validated inventory whose every secret reference resolved when it was loaded."""

    source: str
    devices: tuple[DeviceConfig, ...]
    secrets: Mapping[SecretRef, Secret]
    probes: tuple[ProbeConfig, ...] = ()
    by_name: Mapping[str, DeviceConfig] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # a lookup per device over tens of thousands of devices must not be a scan each
        object.__setattr__(self, "by_name", {d.name: d for d in self.devices})

    def names(self) -> list[str]:
        return [d.name for d in self.devices]

    def get(self, name: str) -> DeviceConfig:
        return self.by_name[name]

    def target(self, name: str) -> DeviceTarget:
        """What a driver needs for ``name``, secrets resolved."""
        return _target(self.get(name), self.secrets)

    def probe_target(self, probe: ProbeConfig) -> DeviceTarget:
        """An SSH target for a probe (platform linux), secrets resolved."""
        ssh = probe.ssh
        key = str(ssh.key_file) if ssh.key_file else None
        access = SshAccess(ssh.username, ssh.port, _secret(ssh.password, self.secrets), key, ssh.timeout_s)
        return DeviceTarget(probe.name, probe.host, Platform.LINUX.value, None, access, None)


def _secret(ref: SecretRef | None, secrets: Mapping[SecretRef, Secret]) -> Secret | None:
    return None if ref is None else secrets[ref]


def _target(d: DeviceConfig, secrets: Mapping[SecretRef, Secret]) -> DeviceTarget:
    snmp = ssh = netconf = None
    if d.snmp is not None:
        s = d.snmp
        snmp = SnmpAccess(
            s.version,
            s.port,
            s.timeout_s,
            s.retries,
            _secret(s.community, secrets),
            _secret(s.write_community, secrets),
            s.user,
            s.auth_protocol,
            _secret(s.auth_key, secrets),
            s.priv_protocol,
            _secret(s.priv_key, secrets),
            s.engine_id,
        )
    if d.ssh is not None:
        key = str(d.ssh.key_file) if d.ssh.key_file else None
        ssh = SshAccess(d.ssh.username, d.ssh.port, _secret(d.ssh.password, secrets), key, d.ssh.timeout_s)
    if d.netconf is not None:
        n = d.netconf
        key = str(n.key_file) if n.key_file else None
        netconf = NetconfAccess(n.username, n.port, _secret(n.password, secrets), key, n.timeout_s, n.hostkey_verify)
    return DeviceTarget(d.name, d.host, d.platform.value, snmp, ssh, netconf)


def _merge(base: dict[str, Any], layer: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in layer.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(dict(out[key]), value)
        else:
            out[key] = value
    return out


def _message(error: Mapping[str, Any]) -> str:
    message = str(error["msg"])
    if error["type"] == "enum" and error["loc"] and error["loc"][-1] == "platform":
        return f"unknown platform {error['input']!r}; known: {', '.join(p.value for p in Platform)}"
    if error["type"] == "missing":
        return "missing required field"
    if error["type"] == "extra_forbidden":
        return "unknown field"
    return message.removeprefix("Value error, ")


class _Loader:
    """One inventory file to devices. Problems are collected (every one is reported, not just the
    first) and located in the file together at the end: a good file never pays for line numbers."""

    def __init__(self, doc: LocatedYaml, environ: Mapping[str, str] | None) -> None:
        self.doc = doc
        self.environ = environ
        # (where, message, where the thing it clashes with was first written)
        self.found: list[tuple[PathKey, str, PathKey | None]] = []
        self.groups_of: dict[int, list[str]] = {}
        # defaults + groups, merged once per distinct list of groups, with its sections validated once
        self.bases: dict[tuple[str, ...], tuple[dict[str, Any], dict[str, Any]]] = {}

    def fail(self, path: PathKey, message: str, first: PathKey | None = None) -> None:
        self.found.append((path, message, first))

    def error(self) -> ConfigError:
        refs = [first for _, _, first in self.found if first is not None]
        lines = self.doc.lines([*(path for path, _, _ in self.found), *refs])
        problems = []
        for path, message, first in self.found:
            text = message if first is None else f"{message} (first defined at line {lines[first]})"
            problems.append(ConfigProblem(self.doc.source, format_path(path), text, lines[path]))
        return ConfigError(problems)

    def mapping(self, value: Any, path: PathKey) -> dict[str, Any] | None:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(path, f"must be a mapping, got {type(value).__name__}")
            return None
        return value

    def load(self) -> Inventory:
        data = self.doc.data
        if not isinstance(data, dict):
            self.fail((), "an inventory must be a mapping with a 'devices' list")
            raise self.error()
        for key in sorted(set(data) - TOP_LEVEL_KEYS, key=str):
            self.fail((key,), f"unknown top-level key; expected one of {sorted(TOP_LEVEL_KEYS)}")
        defaults = self.mapping(data.get("defaults"), ("defaults",)) or {}
        groups = self.mapping(data.get("groups"), ("groups",)) or {}
        raw_devices = data.get("devices")
        if not isinstance(raw_devices, list):
            self.fail(("devices",), "missing required list of devices")
            raise self.error()
        devices = self.devices(raw_devices, defaults, groups)
        probes = self.probes(data.get("probes"), defaults, {d.name for _, d in devices})
        secrets = self.resolve(devices)
        for index, probe in probes:
            ref = probe.ssh.password
            if ref is not None and ref not in secrets:
                try:
                    secrets[ref] = ref.resolve(self.environ)
                except SecretResolutionError as exc:
                    self.fail(("probes", index, "ssh", "password"), f"secret reference resolves to nothing: {exc}")
        if self.found:
            raise self.error()
        return Inventory(self.doc.source, tuple(d for _, d in devices), secrets, tuple(p for _, p in probes))

    def probes(self, raw: Any, defaults: dict[str, Any], device_names: set[str]) -> list[tuple[int, ProbeConfig]]:
        """The ``probes`` list: each entry takes the defaults' ``ssh`` unless it gives its own."""
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.fail(("probes",), "must be a list of probes")
            return []
        out: list[tuple[int, ProbeConfig]] = []
        seen: set[str] = set()
        for index, entry in enumerate(raw):
            path: PathKey = ("probes", index)
            mapping = self.mapping(entry, path)
            if mapping is None:
                continue
            merged = _merge({"ssh": defaults.get("ssh")}, mapping)
            try:
                probe = ProbeConfig(**merged)
            except ValidationError as exc:
                for error in exc.errors():
                    self.fail((*path, *error["loc"]), f"probe {mapping.get('name')!r}: " + _message(error))
                continue
            if probe.name in seen or probe.name in device_names:
                self.fail((*path, "name"), f"probe name {probe.name!r} is taken")
                continue
            seen.add(probe.name)
            out.append((index, probe))
        return out

    def origin(self, index: int, member_of: list[str], attribute: PathKey) -> PathKey:
        """Where a merged value was written: the device itself, its last group that sets it, or defaults."""
        candidates: list[PathKey] = [("devices", index, *attribute)]
        candidates += [("groups", group, *attribute) for group in reversed(member_of)]
        candidates.append(("defaults", *attribute))
        for candidate in candidates:
            if self.doc.has(candidate):
                return candidate
        return ("devices", index, *attribute)

    def base(
        self, member_of: tuple[str, ...], defaults: dict[str, Any], groups: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Defaults and the groups, merged, and each access section of that merge validated (or not:
        a section that fails is left to each device's validation, which reports it where it applies)."""
        cached = self.bases.get(member_of)
        if cached is None:
            merged = dict(defaults)
            for group in member_of:
                merged = _merge(merged, groups[group] or {})
            sections: dict[str, Any] = {}
            for name, model in SECTIONS.items():
                value = merged.get(name)
                if isinstance(value, Mapping):
                    with contextlib.suppress(ValidationError):
                        sections[name] = model.model_validate(value)
            cached = self.bases[member_of] = (merged, sections)
        return cached

    def devices(
        self, raw_devices: list[Any], defaults: dict[str, Any], groups: dict[str, Any]
    ) -> list[tuple[int, DeviceConfig]]:
        out: list[tuple[int, DeviceConfig]] = []
        first_seen: dict[str, int] = {}
        for index, raw in enumerate(raw_devices):
            path: PathKey = ("devices", index)
            entry = self.mapping(raw, path)
            if entry is None:
                continue
            member_of = entry.get("groups", [])
            if not isinstance(member_of, list):
                self.fail((*path, "groups"), "must be a list of group names")
                member_of = []
            known = []
            for group in member_of:
                if isinstance(group, str) and group in groups:
                    known.append(group)
                else:
                    self.fail((*path, "groups"), f"unknown group {group!r}")
            base, sections = self.base(tuple(known), defaults, groups)
            merged = _merge(base, {k: v for k, v in entry.items() if k != "groups"})
            for name, validated in sections.items():
                if name not in entry:  # as the defaults and groups wrote it: validated once for all
                    merged[name] = validated
            try:
                device = DeviceConfig(**merged)
            except ValidationError as exc:
                label = f"device {entry.get('name')!r}: " if entry.get("name") else ""
                for error in exc.errors():
                    self.fail((*path, *error["loc"]), label + _message(error))
                continue
            if device.name in first_seen:
                self.fail(
                    (*path, "name"),
                    f"duplicate device name {device.name!r}",
                    ("devices", first_seen[device.name]),
                )
                continue
            first_seen[device.name] = index
            self.groups_of[index] = known
            out.append((index, device))
        return out

    def resolve(self, devices: list[tuple[int, DeviceConfig]]) -> dict[SecretRef, Secret]:
        """Resolve each distinct reference once (a shared file is read once for 500 devices), and
        report a failing one once, at the line where it is written, naming the devices that use it."""
        resolved: dict[SecretRef, Secret] = {}
        failed: dict[tuple[SecretRef, PathKey], tuple[str, list[str]]] = {}
        for index, device in devices:
            for field_path, ref in device.secret_refs():
                if ref not in resolved:
                    try:
                        resolved[ref] = ref.resolve(self.environ)
                        continue
                    except SecretResolutionError as exc:
                        where = self.origin(index, self.groups_of.get(index, []), tuple(field_path.split(".")))
                        failed.setdefault((ref, where), (str(exc), []))[1].append(device.name)
        for (_, where), (reason, users) in failed.items():
            shown = ", ".join(users[:3]) + (f" and {len(users) - 3} more" if len(users) > 3 else "")
            self.fail(where, f"secret reference resolves to nothing: {reason} (used by {shown})")
        return resolved


def load_inventory(path: Path, environ: Mapping[str, str] | None = None) -> Inventory:
    """Load, validate and resolve an inventory file, or raise :class:`ConfigError` listing every problem."""
    return inventory_from(load_located(path), environ)


def inventory_from(doc: LocatedYaml, environ: Mapping[str, str] | None = None) -> Inventory:
    """:func:`load_inventory` of a file already read."""
    return _Loader(doc, environ).load()


def looks_like_inventory(data: Any) -> bool:
    """A guess from the shape alone (a top-level ``devices``, ``defaults`` or ``groups``), for a file
    whose role nothing else tells."""
    return isinstance(data, dict) and bool(set(data) & TOP_LEVEL_KEYS)
