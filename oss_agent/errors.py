"""The agent's one exception root and its tree::

    OssAgentError
     ├── ConfigError          a settings or inventory file is wrong; carries every problem found
     ├── StorageError         the database cannot be reached or migrated
     └── (domain)             DomainError is kept in oss_agent.domain (standard library only) and
                              is re-exported here; the CLI handles both roots.

Southbound failures stay ``adapters.AdapterError``: the agent records them per device as data.
"""

from __future__ import annotations

from dataclasses import dataclass

from oss_agent.domain.errors import DomainError, InvalidTransitionError, NotFoundError

__all__ = [
    "ConfigError",
    "ConfigProblem",
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

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        field = f" {self.path}:" if self.path else ""
        return f"{where}:{field} {self.message}"


class ConfigError(OssAgentError):
    """A configuration could not be loaded; ``problems`` lists each one."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class StorageError(OssAgentError):
    """The database could not be reached, opened or migrated."""
