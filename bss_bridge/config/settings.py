"""BSS settings: a YAML file validated by pydantic, each setting overridable by ``OSS_AGENT_BSS_<NAME>``.

The file: ``--config``, else ``$OSS_AGENT_BSS_CONFIG``, else ``/etc/oss-agent/bss.yaml``, else the
built-in defaults (``config/bss.yaml`` writes them out). The data directory is shared with the
agent: ``OSS_AGENT_BSS_DATA_DIR``, else ``OSS_AGENT_DATA_DIR``, else the agent's default; the BSS's
database is its own file there (``bss.db``) unless ``database_url`` names another. Relative paths in
the file are read from the file's directory.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

import secrecy
from bss_bridge.config.yamlfile import YamlFile, read_yaml
from bss_bridge.errors import ConfigError

PREFIX = "OSS_AGENT_BSS_"
SYSTEM_FILE = Path("/etc/oss-agent/bss.yaml")


def default_data_dir(environ: Mapping[str, str]) -> Path:
    if environ.get("OSS_AGENT_DATA_DIR"):
        return Path(environ["OSS_AGENT_DATA_DIR"])
    if os.geteuid() == 0:
        return Path("/var/lib/oss-agent")
    return Path(environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "oss-agent"


class BssSettings(BaseModel):
    """No value appears in a validation error (a mistyped ``postgres://user:password@...`` would be
    quoted in its text and traceback); the database URL, which may hold a password, is not in ``repr``."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    data_dir: Path
    database_url: str | None = Field(default=None, repr=False)
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8081, ge=1, le=65535)
    api_token: SecretStr | None = None
    public_url: str | None = None  # how clients reach the API (hrefs in hub notifications)
    # the console's session cookie is Secure on an HTTPS request; behind a TLS-terminating proxy that
    # uvicorn does not trust for X-Forwarded-Proto (it trusts loopback only) the request is plain HTTP:
    # true marks the cookie Secure always (then the console signs in over HTTPS only)
    console_secure_cookie: bool = False
    catalog_file: Path | None = None  # loaded at start: what it defines and the database lacks is created
    oss_url: str | None = "http://127.0.0.1:8080"  # the OSS's API; null: orders' sites and devices go unchecked
    oss_token: SecretStr | None = None
    oss_timeout_s: float = Field(default=5.0, gt=0)
    hub_retention_days: float = Field(default=7.0, gt=0)
    dunning_grace_days: int = Field(default=14, ge=0, le=365)  # unpaid this long after the due date: suspended
    dunning_every_s: float = Field(default=3600.0, gt=0)  # the scheduled dunning check in 'oss-bss run'
    bill_run_every_s: float = Field(default=3600.0, gt=0)  # the scheduled bill run (bills each period once)
    rate_usage_every_s: float = Field(default=300.0, gt=0)  # the scheduled rating pass over new usage
    usage_batch_max: int = Field(default=10000, ge=1, le=100000)  # records per bulk usage import
    # the largest request body the API reads (bytes): beyond, 413 before it is parsed. 10,000 usage
    # records take about 3.5 MB; raise it with usage_batch_max
    api_max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=64 * 1024)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # the bridge ('oss-bss bridge run'): its own process, carrying orders down and alarms and usage up
    bridge_host: str = "127.0.0.1"  # where it listens for the hubs' notifications
    bridge_port: int = Field(default=8082, ge=1, le=65535)
    bridge_public_url: str | None = None  # how the hubs reach it (null: http://bridge_host:bridge_port)
    bridge_poll_every_s: float = Field(default=10.0, gt=0)  # the safety net: both sides read again this often
    bridge_retry_base_s: float = Field(default=1.0, gt=0)  # a failed delivery is retried after this, doubling
    bridge_retry_max_s: float = Field(default=60.0, gt=0)  # ... up to this
    # the usage poll reads the OSS's records from this long before its previous poll began: at least the
    # OSS's usage interval plus its grace (a record is published up to that long after its usageDate)
    bridge_usage_lookback_s: float = Field(default=10800.0, gt=0)

    @model_validator(mode="after")
    def _remember_secrets(self) -> BssSettings:
        """The tokens kept out of every log record (``secrecy``); the database URL's password is
        remembered by the storage when it makes its engine."""
        secrecy.remember(*(token.get_secret_value() for token in (self.api_token, self.oss_token) if token is not None))
        return self

    @field_validator(
        "database_url",
        "api_token",
        "public_url",
        "catalog_file",
        "oss_url",
        "oss_token",
        "bridge_public_url",
        mode="before",
    )
    @classmethod
    def _unset(cls, value: Any) -> Any:
        """``OSS_AGENT_BSS_OSS_URL=`` (or ``null``) unsets a setting from the environment."""
        return None if isinstance(value, str) and value.strip().lower() in ("", "null", "none") else value

    @field_validator("api_host", "bridge_host")
    @classmethod
    def _ip(cls, value: str) -> str:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
            raise ValueError("only sqlite:/// and postgresql:// URLs are supported")
        if value is not None:
            try:  # now, not at the first connection; never quoted: the URL may hold a password
                make_url(value)
            except (ArgumentError, ValueError):
                raise ValueError("not a database URL SQLAlchemy can read (is its port a number?)") from None
        return value

    @field_validator("oss_url", "public_url", "bridge_public_url")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("not an http(s) URL")  # never quoted: a URL may carry user:password@
        if value is not None and "@" in urlsplit(value).netloc:
            # it would be shown wherever the URL is (logs, an unanswered call's 503): oss_token authenticates
            raise ValueError("no user:password@ in a URL: the BSS authenticates to the OSS with oss_token")
        return None if value is None else value.rstrip("/")

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'bss.db'}"

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.api_host}:{self.api_port}"

    @property
    def bridge_url(self) -> str:
        return self.bridge_public_url or f"http://{self.bridge_host}:{self.bridge_port}"


def _file(explicit: Path | None, environ: Mapping[str, str]) -> Path | None:
    if explicit is not None:
        return explicit
    if environ.get(f"{PREFIX}CONFIG"):
        return Path(environ[f"{PREFIX}CONFIG"])
    return SYSTEM_FILE if SYSTEM_FILE.exists() else None


def _secret(value: Any, environ: Mapping[str, str]) -> Any:
    """``{env: NAME}`` or ``{file: PATH}`` (readable by its owner only) for a token; else the value."""
    if not isinstance(value, dict):
        return value
    if set(value) == {"env"}:
        if str(value["env"]) not in environ:
            raise ValueError(f"environment variable {value['env']} is not set")
        return environ[str(value["env"])]
    if set(value) == {"file"}:
        path = Path(str(value["file"]))
        if path.stat().st_mode & 0o077:
            raise ValueError(f"{path} is readable by others: chmod 600 it")
        return path.read_text().strip()
    raise ValueError("a secret is {env: NAME} or {file: PATH}")


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> BssSettings:
    env = os.environ if environ is None else environ
    file = _file(path, env)
    doc: YamlFile | None = read_yaml(file) if file is not None else None
    values: dict[str, Any] = {}
    if doc is not None and doc.data is not None:
        if not isinstance(doc.data, dict):
            raise ConfigError([doc.problem((), "a settings file is a mapping of setting: value")])
        values = dict(doc.data)
        for key in ("api_token", "oss_token"):
            try:
                values[key] = _secret(values.get(key), env)
            except (OSError, ValueError) as exc:
                raise ConfigError([doc.problem((key,), str(exc))]) from exc
        for key in ("catalog_file", "data_dir"):
            if isinstance(values.get(key), str) and not Path(values[key]).is_absolute():
                values[key] = str(file.resolve().parent / values[key])  # type: ignore[union-attr]
    for name in BssSettings.model_fields:
        if f"{PREFIX}{name.upper()}" in env:
            values[name] = env[f"{PREFIX}{name.upper()}"]
    values.setdefault("data_dir", default_data_dir(env))
    try:
        return BssSettings(**values)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else ""
            message = str(error["msg"]).removeprefix("Value error, ")  # pydantic's prefix to a validator's words
            message = "unknown setting" if error["type"] == "extra_forbidden" else message
            if f"{PREFIX}{name.upper()}" in env:
                problems.append(f"environment: {PREFIX}{name.upper()}: {message}")
            elif doc is not None:
                problems.append(doc.problem(tuple(error["loc"]), message))
            else:
                problems.append(f"settings: {name}: {message}")
        raise ConfigError(problems) from exc
