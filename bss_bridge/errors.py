"""The BSS's errors outside the domain, under the same root :class:`BssError`::

BssError
├── BssDomainError        (bss_bridge.domain.errors) rule violations, each naming its field
├── ConfigError           a settings or catalog file is wrong; names file, line and field
├── StorageError          the BSS database cannot be reached or migrated
│   └── DatabaseNotReadyError  it is missing or not at this version's schema (it was left as it was)
└── OssUnavailableError   the OSS's API did not answer a question an order depends on
"""

from __future__ import annotations

from typing import Literal

from bss_bridge.domain.errors import (
    BssDomainError,
    BssError,
    ConflictError,
    InvalidRequestError,
    InvalidTransitionError,
    NotFoundError,
    Problem,
)

__all__ = [
    "BssDomainError",
    "BssError",
    "ConfigError",
    "ConflictError",
    "DatabaseNotReadyError",
    "InvalidRequestError",
    "InvalidTransitionError",
    "NotFoundError",
    "OssUnavailableError",
    "Problem",
    "StorageError",
]


class ConfigError(BssError):
    """A configuration could not be loaded; ``problems`` are located ``file:line: field: message``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class StorageError(BssError):
    """The BSS database could not be reached, opened or migrated."""


class OssUnavailableError(BssError):
    """The OSS did not answer (down, refused, timed out, or an unexpected reply); nothing was stored."""


class DatabaseNotReadyError(StorageError):
    """The database is missing, or its schema is not this version's (empty, another program's, older
    or newer): it was looked at, not changed. ``fix`` is what would make it ready, ``"create"`` or
    ``"upgrade"`` (both what a migration does), or None when no migration of this version can (newer)."""

    def __init__(self, message: str, fix: Literal["create", "upgrade"] | None) -> None:
        super().__init__(message)
        self.fix = fix
