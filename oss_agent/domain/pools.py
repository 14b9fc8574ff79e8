"""Resource pools: IPv4 prefixes cut into equal blocks, or ranges of integers (ASNs, VNIs).

A pool only enumerates its values in order; who holds which value is stored, and a database
constraint on (pool, value) makes sure no two services ever hold the same one, whatever the timing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass

from oss_agent.domain.errors import DomainError


@dataclass(frozen=True, slots=True)
class PoolSpec:
    """``ipv4``: ``prefix`` cut into /``size`` blocks; ``integer``: ``first``..``last``."""

    name: str
    kind: str
    prefix: str = ""
    size: int = 0
    first: int = 0
    last: int = 0
    description: str = ""

    def __post_init__(self) -> None:
        if self.kind == "ipv4":
            network = ipaddress.IPv4Network(self.prefix)
            if not network.prefixlen <= self.size <= 32:
                raise DomainError(f"pool {self.name}: blocks of /{self.size} do not fit in {self.prefix}")
        elif self.kind == "integer":
            if not 0 <= self.first <= self.last:
                raise DomainError(f"pool {self.name}: the range {self.first}..{self.last} is empty")
        else:
            raise DomainError(f"pool {self.name}: kind must be ipv4 or integer, not {self.kind!r}")

    @property
    def capacity(self) -> int:
        if self.kind == "ipv4":
            return int(2 ** (self.size - ipaddress.IPv4Network(self.prefix).prefixlen))
        return self.last - self.first + 1

    def values(self) -> Iterator[str]:
        """Every value of the pool, lowest first, as stored (``198.19.128.0/31``, ``65001``)."""
        if self.kind == "ipv4":
            yield from (str(block) for block in ipaddress.IPv4Network(self.prefix).subnets(new_prefix=self.size))
        else:
            yield from (str(number) for number in range(self.first, self.last + 1))


def describe(pool: PoolSpec, value: str) -> dict[str, str | int]:
    """A pool value as the templates see it: an IPv4 block with its first and second host (the two
    ends of a point-to-point link), or the integer."""
    if pool.kind == "integer":
        return {"value": int(value)}
    network = ipaddress.IPv4Network(value)
    first, second = network[0], network[1] if network.num_addresses > 1 else network[0]
    return {
        "value": value,
        "prefix": str(network),
        "prefixlen": network.prefixlen,
        "first": str(first),
        "second": str(second),
    }
