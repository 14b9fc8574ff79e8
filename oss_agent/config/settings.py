"""Agent settings: a YAML file validated by pydantic, every field overridable by ``OSS_AGENT_<NAME>``.

The file is looked for in this order: the path given on the command line, ``$OSS_AGENT_CONFIG``,
``/etc/oss-agent/agent.yaml``; with none of them, the built-in defaults (the same values as
``config/agent.yaml`` in the repository) apply. Environment variables win over the file, so a
container or a test can change one setting without writing a file.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

import secrecy
from oss_agent.config.secrets import SecretRef, SecretResolutionError
from oss_agent.config.yamlsrc import LocatedYaml, load_located
from oss_agent.errors import ConfigError, ConfigProblem

ENV_PREFIX = "OSS_AGENT_"
SYSTEM_CONFIG = Path("/etc/oss-agent/agent.yaml")


def default_data_dir() -> Path:
    """Root keeps state under /var/lib like any daemon; a normal user under XDG data home."""
    if os.geteuid() == 0:
        return Path("/var/lib/oss-agent")
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "oss-agent"


PROBE_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.>:-]{0,63}$"


class LatencyProbeSettings(BaseModel):
    """A round trip the agent has a device measure periodically: ``source`` pings ``target`` (a device of
    the inventory, reached at its discovered loopback, or an address), ``count`` echoes a run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(min_length=1, max_length=64)
    target: str = Field(min_length=1, max_length=253, pattern=r"^[A-Za-z0-9][A-Za-z0-9.:_-]*$")
    name: str = Field(default="", pattern=rf"{PROBE_NAME}|^$")
    count: int = Field(default=3, ge=1, le=20)

    @property
    def label(self) -> str:
        return self.name or f"{self.source}>{self.target}"


class AgentSettings(BaseModel):
    """Everything the agent process is configured with.

    A value never appears in a validation error (``hide_input_in_errors``: a mistyped
    ``postgres://user:password@...`` would otherwise be quoted in the error's text and traceback),
    and the database URL, which may hold a password, is left out of ``repr``.
    """

    model_config = ConfigDict(extra="forbid", validate_default=True, frozen=True, hide_input_in_errors=True)

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = Field(default=None, repr=False)
    inventory_file: Path | None = None
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8080, ge=1, le=65535)
    api_token: SecretStr | None = None
    # the BSS console's address, linked from the agent's console (null: no link); oss-bss run --with-agent sets it
    bss_console_url: str | None = Field(default=None, pattern=r"^https?://[^\s\"'<>]+$")
    # the console's session cookie is Secure on an HTTPS request; behind a TLS-terminating proxy that
    # uvicorn does not trust for X-Forwarded-Proto (it trusts loopback only) the request is plain HTTP:
    # true marks the cookie Secure always (then the console signs in over HTTPS only)
    console_secure_cookie: bool = False
    trap_host: str = "0.0.0.0"  # noqa: S104 - a trap receiver listens on every address by default
    trap_port: int = Field(default=162, ge=1, le=65535)
    poll_interval_s: float = Field(default=60.0, ge=1.0)
    poll_jitter_s: float = Field(default=5.0, ge=0.0)
    # how long a device's agent may answer from its counter cache (net-snmp: 3 s); see performance/rates.py
    counter_cache_s: float = Field(default=5.0, ge=0.0, le=300.0)
    discovery_interval_s: float = Field(default=3600.0, ge=10.0)
    discovery_crawl_subnets: list[str] = Field(default_factory=list)
    device_timeout_s: float = Field(default=10.0, gt=0.0)
    max_concurrent_polls: int = Field(default=64, ge=1, le=4096)
    worker_threads: int = Field(default=16, ge=1, le=512)
    hub_retention_days: float = Field(default=7.0, gt=0.0)  # delivered hub events are kept this long
    catalog_dir: Path | None = None  # the service catalog; None: /etc/oss-agent/services, else config/services
    provisioning_confirm_timeout_s: int = Field(default=120, ge=10, le=86_400)
    provisioning_check_timeout_s: float = Field(default=30.0, gt=0.0)
    # TMF635 usage (oss_agent/domain/usage.py): volumes per interval and rate samples, both aligned to
    # UTC and dividing a day; an interval is published once observed past its end, or grace_s after it
    usage_interval_s: int = Field(default=3600, ge=1, le=86_400)
    usage_rate_interval_s: int = Field(default=300, ge=1, le=86_400)
    usage_grace_s: float = Field(default=3600.0, ge=0.0)
    usage_publish_every_s: float = Field(default=60.0, ge=1.0)
    latency_probes: list[LatencyProbeSettings] = Field(default_factory=list)
    latency_interval_s: float = Field(default=60.0, ge=5.0)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @model_validator(mode="after")
    def _remember_secrets(self) -> AgentSettings:
        """The tokens kept out of every log record (``secrecy``); the database URL's password is
        remembered by the storage when it makes its engine."""
        secrecy.remember(*(token.get_secret_value() for token in (self.api_token,) if token is not None))
        return self

    @field_validator("api_host", "trap_host")
    @classmethod
    def _ip_address(cls, value: str) -> str:
        try:
            ipaddress.ip_address(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not an IP address") from exc
        return value

    @field_validator("usage_interval_s", "usage_rate_interval_s")
    @classmethod
    def _divides_a_day(cls, value: int) -> int:
        if 86_400 % value:
            raise ValueError(f"must divide a day (86400 s) into whole intervals (3600, 900, 300...), got {value}")
        return value

    @field_validator("discovery_crawl_subnets", mode="before")
    @classmethod
    def _subnets(cls, value: Any) -> Any:
        """A list in YAML, or ``10.0.0.0/8,192.168.0.0/16`` from the environment; each a valid network."""
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list | tuple):
            for item in value:
                try:
                    ipaddress.ip_network(str(item), strict=False)
                except ValueError as exc:
                    raise ValueError(f"{item!r} is not a subnet (e.g. 198.51.100.0/24)") from exc
            return [str(ipaddress.ip_network(str(item), strict=False)) for item in value]
        return value

    @field_validator("latency_probes", mode="before")
    @classmethod
    def _probes(cls, value: Any) -> Any:
        """A list of mappings in YAML, or ``pe1>pe2,pe1>198.19.255.3`` (source>target) from the environment."""
        if isinstance(value, str):
            probes = []
            for part in (p.strip() for p in value.split(",") if p.strip()):
                source, sep, target = part.partition(">")
                if not sep:
                    raise ValueError(f"{part!r} is not source>target (e.g. pe1>pe2)")
                probes.append({"source": source.strip(), "target": target.strip()})
            return probes
        return value

    @field_validator("latency_probes")
    @classmethod
    def _unique_probes(cls, value: list[LatencyProbeSettings]) -> list[LatencyProbeSettings]:
        labels = [p.label for p in value]
        twice = sorted({label for label in labels if labels.count(label) > 1})
        if twice:
            raise ValueError(f"probe names must be unique; twice: {', '.join(twice)}")
        return value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
            raise ValueError("only sqlite:/// and postgresql:// URLs are supported")
        if value is not None:
            try:  # now, not at the first connection; never quoted: the URL may hold a password
                make_url(value)
            except (ArgumentError, ValueError):
                raise ValueError("not a database URL SQLAlchemy can read (is its port a number?)") from None
        return value

    @property
    def database(self) -> str:
        """The database URL in use: the configured one, else a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'oss-agent.db'}"

    @property
    def inventory_path(self) -> Path:
        return self.inventory_file or self.data_dir / "inventory.yaml"


def find_settings_file(explicit: Path | None, environ: Mapping[str, str]) -> Path | None:
    if explicit is not None:
        return explicit
    if environ.get("OSS_AGENT_CONFIG"):
        return Path(environ["OSS_AGENT_CONFIG"])
    return SYSTEM_CONFIG if SYSTEM_CONFIG.exists() else None


def _settings_problems(
    exc: ValidationError, doc: LocatedYaml | None, environ: Mapping[str, str]
) -> list[ConfigProblem]:
    problems = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        env_name = f"{ENV_PREFIX}{field.upper()}"
        message = str(error["msg"]).removeprefix("Value error, ")  # pydantic's prefix to a validator's words
        message = "unknown setting" if error["type"] == "extra_forbidden" else message
        if env_name in environ:
            problems.append(ConfigProblem("environment", env_name, message))
        elif doc is not None:
            problems.append(doc.problem(tuple(error["loc"]), message))
        else:
            problems.append(ConfigProblem("settings", field, message))
    return problems


def _reference_problems(exc: ValidationError) -> str:
    """What is wrong with a secret reference, field by field, never quoting a value (what was written
    in place of a reference may be the secret itself)."""
    parts = []
    for error in exc.errors():
        field = ".".join(str(p) for p in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        message = "unknown key" if error["type"] == "extra_forbidden" else message
        parts.append(f"{field}: {message}" if field else message)
    return "; ".join(parts) + " (a secret reference is {env: NAME} or {file: PATH})"


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> AgentSettings:
    """Load and validate settings; every problem is reported with its file, line and field."""
    env = os.environ if environ is None else environ
    file = find_settings_file(path, env)
    doc: LocatedYaml | None = None
    values: dict[str, Any] = {}
    if file is not None:
        doc = load_located(file)
        if doc.data is None:
            doc.data = {}
        if not isinstance(doc.data, dict):
            raise ConfigError([doc.problem((), "the settings file must be a mapping of setting: value")])
        values = dict(doc.data)
        token = values.get("api_token")
        if isinstance(token, dict):
            try:
                values["api_token"] = SecretRef(**token).resolve(env).reveal()
            except ValidationError as exc:  # a reference's problems, by field, without what was written
                raise ConfigError([doc.problem(("api_token",), _reference_problems(exc))]) from None
            except (SecretResolutionError, TypeError) as exc:
                raise ConfigError([doc.problem(("api_token",), str(exc))]) from exc
    # The environment overrides the file, field by field.
    for name in AgentSettings.model_fields:
        env_name = f"{ENV_PREFIX}{name.upper()}"
        if env_name in env:
            values[name] = env[env_name]
    try:
        return AgentSettings(**values)
    except ValidationError as exc:
        raise ConfigError(_settings_problems(exc, doc, env)) from exc
