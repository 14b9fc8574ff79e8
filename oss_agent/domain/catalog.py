"""The service catalog (TMF633): what a service specification declares, and how order values are checked.

A specification declares typed characteristics, the endpoints (sites) it spans, the pool resources
each endpoint draws, the templates that create its configuration per device role and platform, and
the checks that prove it works. Only the creation is written by hand: modify and delete are derived
from the stored renderings (:mod:`oss_agent.domain.ownership`).

Every value an order gives is parsed here before anything renders it: numbers are numbers, prefixes
are networks outside the special-purpose blocks (:mod:`oss_agent.domain.addressing`), and free text
is refused when it could carry configuration (a line break, a configuration keyword such as ``end``
or ``no router bgp``, XML markup or entities, shell metacharacters). Each refusal names the characteristic and says why.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from oss_agent.domain.addressing import special_purpose
from oss_agent.domain.errors import DomainError


class ValueType(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    IPV4_PREFIX = "ipv4-prefix"
    SITE = "site"
    ASN = "asn"


Value = str | int


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a request: where (a path into the request) and what."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class RequestRejectedError(DomainError):
    """A request that cannot be accepted; ``problems`` names every field at fault."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


# Free text may hold letters, digits, spaces and a few harmless marks; nothing that a CLI, an XML
# document or a shell gives meaning to.
_TEXT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.,:/@()+-]*$")
_CONFIG_WORDS = frozenset({"end", "exit", "quit", "configure", "write", "do", "exit-address-family", "commit"})
_NEGATION = re.compile(r"(?i)(^|\s)no\s+(router|interface|ip|ipv6|neighbor|network|route-map|bgp|service)\b")
_SITE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


def check_text(value: str, max_length: int = 64) -> str | None:
    """Why ``value`` may not be used as free text in a configuration, or None when it may."""
    if not value:
        return "must not be empty"
    if len(value) > max_length:
        return f"longer than {max_length} characters"
    if any(c in value for c in "\r\n\t\x00"):
        return "contains a line break or a control character (configuration injection)"
    if any(c in value for c in "<>&]\"'"):
        return "contains XML markup or an entity (configuration injection)"
    if any(c in value for c in ";|`$\\{}*?!#~"):
        return "contains a shell metacharacter (configuration injection)"
    words = {w.lower() for w in value.split()}
    if words & _CONFIG_WORDS:
        return f"contains the configuration keyword {sorted(words & _CONFIG_WORDS)[0]!r} (configuration injection)"
    if _NEGATION.search(value):
        return "contains a configuration negation such as 'no router' (configuration injection)"
    if not _TEXT.fullmatch(value):
        return "may hold only letters, digits, spaces and . , : / @ ( ) + - _, starting with a letter or digit"
    return None


@dataclass(frozen=True, slots=True)
class CharacteristicSpec:
    """A typed characteristic of a service specification."""

    name: str
    value_type: ValueType
    description: str = ""
    required: bool = True
    default: Value | None = None
    minimum: int | None = None
    maximum: int | None = None
    max_length: int = 64
    values: tuple[str, ...] = ()  # the allowed values, when it is a choice
    modifiable: bool = True

    def parse(self, raw: object) -> Value:
        """The value as the rest of the agent uses it; DomainError saying why it is not acceptable."""
        kind = self.value_type
        if kind in (ValueType.INTEGER, ValueType.ASN):
            number = _integer(raw)
            low, high = (1, 4_294_967_295) if kind is ValueType.ASN else (self.minimum, self.maximum)
            low = self.minimum if self.minimum is not None else low
            high = self.maximum if self.maximum is not None else high
            if (low is not None and number < low) or (high is not None and number > high):
                raise DomainError(f"must be between {low} and {high}, got {number}")
            return number
        if not isinstance(raw, str):
            raise DomainError(f"expected a {kind.value} as a string, got {type(raw).__name__}")
        if kind is ValueType.IPV4_PREFIX:
            try:
                network = ipaddress.IPv4Network(raw, strict=True)
            except ValueError as exc:
                raise DomainError(f"not an IPv4 prefix with its host bits zero ({exc})") from exc
            if network.prefixlen < 8 or network.prefixlen > 30:
                raise DomainError(f"a customer LAN is a /8 to a /30, got /{network.prefixlen}")
            reserved = special_purpose(network)
            if reserved is not None:
                raise DomainError(reserved)
            return str(network)
        if kind is ValueType.SITE:
            if not _SITE.fullmatch(raw):  # fullmatch: '$' alone lets a final line break through
                raise DomainError("a site name is letters, digits, '.', '_' or '-' (at most 63)")
            return raw
        problem = check_text(raw, self.max_length)
        if problem is not None:
            raise DomainError(problem)
        if self.values and raw not in self.values:
            raise DomainError(f"must be one of {', '.join(self.values)}")
        return raw


def _integer(raw: object) -> int:
    if isinstance(raw, bool):
        raise DomainError("expected an integer, got a boolean")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and re.fullmatch(r"[0-9]{1,10}", raw.strip()):
        return int(raw)
    raise DomainError(f"expected an integer, got {raw!r}")


@dataclass(frozen=True, slots=True)
class EndpointSpec:
    """One place a service reaches: a site (a characteristic naming it) and that site's LAN prefix."""

    name: str
    site: str
    lan: str


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """A check that proves the service works; its parameters are templates rendered per endpoint.

    ``kind``: ``interface-up``, ``bgp-established``, ``route`` (a prefix present on a device) or
    ``traffic`` (pings from a probe). ``role`` names the device role it runs on; ``per_peer`` expands
    it once for every other endpoint (``peer`` in its parameters).
    """

    kind: str
    role: str = ""
    params: tuple[tuple[str, str], ...] = ()
    per_peer: bool = False


CHECK_KINDS = frozenset({"interface-up", "bgp-established", "route", "traffic"})


@dataclass(frozen=True, slots=True)
class UsageSpec:
    """How a service's usage is measured (:mod:`oss_agent.domain.usage`): ``measure`` names its
    customer-facing interface (``pe``: each endpoint's access port on the PE; ``ce``: the CE's
    uplink), ``rate_samples`` asks for 5-minute rate samples beside the volumes (burstable billing)."""

    measure: str = "pe"
    rate_samples: bool = False


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    """A service specification of the catalog."""

    id: str
    name: str
    description: str
    version: str
    characteristics: tuple[CharacteristicSpec, ...]
    endpoints: tuple[EndpointSpec, ...]
    pools: tuple[tuple[str, str], ...]  # (purpose, pool): drawn once per endpoint
    templates: Mapping[str, Mapping[str, str]]  # role -> platform -> template file
    checks: tuple[CheckSpec, ...] = ()
    category: str = ""
    constants: Mapping[str, Value] = field(default_factory=dict)  # fixed values the templates may use
    usage: UsageSpec = UsageSpec()

    def characteristic(self, name: str) -> CharacteristicSpec | None:
        return next((c for c in self.characteristics if c.name == name), None)

    def values(
        self, given: Mapping[str, object], where: str, *, base: Mapping[str, Value] | None = None
    ) -> tuple[dict[str, Value], list[Problem]]:
        """Parse ``given`` over ``base`` (a modify keeps the stored values it does not change).

        Returns the complete values and every problem, each named ``{where}[{name}]``.
        """
        problems: list[Problem] = []
        out: dict[str, Value] = dict(base or {})
        for name in given:
            if self.characteristic(name) is None:
                known = ", ".join(c.name for c in self.characteristics)
                problems.append(Problem(f"{where}[{name}]", f"unknown characteristic of {self.id} (known: {known})"))
        for spec in self.characteristics:
            if spec.name in given:
                if base is not None and spec.name in base and not spec.modifiable:
                    try:
                        same = spec.parse(given[spec.name]) == base[spec.name]
                    except DomainError:
                        same = False
                    if not same:
                        problems.append(Problem(f"{where}[{spec.name}].value", "cannot be changed by a modify"))
                        continue
                try:
                    out[spec.name] = spec.parse(given[spec.name])
                except DomainError as exc:
                    problems.append(Problem(f"{where}[{spec.name}].value", str(exc)))
            elif spec.name not in out:
                if spec.default is not None:
                    out[spec.name] = spec.default
                elif spec.required:
                    problems.append(Problem(f"{where}[{spec.name}]", "is required"))
        sites = [out.get(e.site) for e in self.endpoints]
        if not problems and len(set(sites)) != len(sites):
            problems.append(
                Problem(f"{where}[{self.endpoints[-1].site}].value", "the endpoints must be different sites")
            )
        return out, problems


class OrderRejectedError(RequestRejectedError):
    """A service order refused and stored as rejected under ``order_id``."""

    def __init__(self, order_id: str, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.order_id = order_id
