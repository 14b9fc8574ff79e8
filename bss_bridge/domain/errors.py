"""Rule violations in the BSS domain. The BSS's one error root is :class:`BssError`; the domain's
part of the tree is defined here (stdlib only) and re-exported by the rest of the package.

    BssError
    ├── BssDomainError              a request broke a rule of the domain
    │   ├── InvalidMoneyError       an amount or currency that money cannot be
    │   ├── InvalidPriceError       a price component that cannot be rated
    │   ├── InvalidRequestError     fields that break the rules; each Problem names its field
    │   ├── NotFoundError           the object asked for does not exist
    │   ├── InvalidTransitionError  a state machine was asked for a change its rules forbid
    │   └── ConflictError           the request contradicts what is stored (a reused externalId...)
    └── (bss_bridge.errors)         ConfigError, StorageError, OssUnavailableError
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


class BssError(Exception):
    """Root of every error the BSS raises on purpose."""


class BssDomainError(BssError):
    """A request broke a rule of the BSS domain."""


class InvalidMoneyError(BssDomainError):
    """An amount that is not a finite decimal, or a currency that is not an ISO 4217 code."""


class InvalidPriceError(BssDomainError):
    """A price component whose terms contradict each other (unsorted tiers, a negative price...)."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a request: the field (a dotted path, ``productOrderItem[0].quantity``)
    and what is wrong with it."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


def join_field(prefix: str, field: str) -> str:
    """``join_field('item[0]', 'name') == 'item[0].name'``; an index joins without a dot."""
    if not prefix:
        return field
    if not field:
        return prefix
    return f"{prefix}{field}" if field.startswith("[") else f"{prefix}.{field}"


class InvalidRequestError(BssDomainError):
    """A request whose fields break the rules; ``problems`` names every field found wrong."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        if not self.problems:
            raise ValueError("an InvalidRequestError needs at least one problem")
        super().__init__("; ".join(str(p) for p in self.problems))

    @classmethod
    def one(cls, field: str, message: str) -> InvalidRequestError:
        return cls([Problem(field, message)])

    def within(self, prefix: str) -> InvalidRequestError:
        """The same problems, their fields placed under ``prefix``."""
        return InvalidRequestError(Problem(join_field(prefix, p.field), p.message) for p in self.problems)


class NotFoundError(BssDomainError):
    """The object asked for does not exist."""

    def __init__(self, kind: str, key: str) -> None:
        self.kind, self.key = kind, key
        super().__init__(f"no {kind} with id {key!r}")


def found(value: T | None, kind: str, key: str) -> T:
    """``value``, or the NotFoundError saying which ``kind`` of object ``key`` did not name."""
    if value is None:
        raise NotFoundError(kind, key)
    return value


class InvalidTransitionError(BssDomainError):
    """A state machine was asked for a change its rules forbid."""


class ConflictError(BssDomainError):
    """The request contradicts what is already stored (an externalId reused for another order...)."""
