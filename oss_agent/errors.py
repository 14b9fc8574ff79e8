"""The agent's one exception root and its tree::

    OssAgentError
     ├── ConfigError          a settings or inventory file is wrong; carries every problem found
     ├── StorageError         the database cannot be reached or migrated
     │    └── DatabaseNotReadyError  it is missing or not at this version's schema (left as it was)
     └── (domain)             DomainError is kept in oss_agent.domain (standard library only) and
                              is re-exported here; the CLI handles both roots.

Southbound failures stay ``adapters.AdapterError``: the agent records them per device as data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from oss_agent.domain.errors import DomainError, InvalidTransitionError, NotFoundError

__all__ = [
    "ConfigError",
    "ConfigProblem",
    "DatabaseNotReadyError",
    "DomainError",
    "InvalidTransitionError",
    "NotFoundError",
    "OssAgentError",
    "StorageError",
]


class OssAgentError(Exception):
    """Root of the agent's own errors."""


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One thing wrong in a configuration file, located as precisely as the parser allows."""

    source: str
    path: str
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        where += f":{self.column}" if self.line is not None and self.column is not None else ""
        field = f" {self.path}:" if self.path else ""
        return f"{where}:{field} {self.message}"


class ConfigError(OssAgentError):
    """A configuration could not be loaded; ``problems`` lists each one."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class StorageError(OssAgentError):
    """The database could not be reached, opened or migrated."""


class DatabaseNotReadyError(StorageError):
    """The database is missing, or its schema is not this version's (empty, another program's, older
    or newer): it was looked at, not changed. ``fix`` is what would make it ready, ``"create"`` or
    ``"upgrade"`` (both what a migration does), or None when no migration of this version can (newer)."""

    def __init__(self, message: str, fix: Literal["create", "upgrade"] | None) -> None:
        super().__init__(message)
        self.fix = fix
