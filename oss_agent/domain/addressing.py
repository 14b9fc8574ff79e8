"""Which customer LANs an order may name: not an address block the Internet or a host gives special
meaning to, and not one that already belongs to someone else.

A LAN becomes a static route and a BGP ``network`` on the PE. A LAN over the provider's own
addresses (its pools, a device's management address, the addresses discovery found on its devices'
interfaces such as core links and loopbacks, a probe) or over another site's LAN would pull that
traffic to this customer's CE: it is refused like an injected line, naming the characteristic.
The same LAN at the same site is allowed (one site's LAN may be carried by two services).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

# RFC 6890's blocks no router may route to a customer: "this network", loopback, link-local,
# multicast, and the reserved block up to the limited broadcast address.
SPECIAL_PURPOSE: tuple[tuple[ipaddress.IPv4Network, str], ...] = tuple(
    (ipaddress.IPv4Network(block), meaning)
    for block, meaning in (
        ("0.0.0.0/8", "'this network'"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved (and the broadcast address)"),
    )
)


def special_purpose(network: ipaddress.IPv4Network) -> str | None:
    """Why ``network`` cannot be a customer LAN because of what it overlaps, or None."""
    for block, meaning in SPECIAL_PURPOSE:
        if network.overlaps(block):
            return f"overlaps {block}, {meaning} addresses, which are never a customer LAN"
    return None


@dataclass(frozen=True, slots=True)
class Claim:
    """An address block somebody holds: ``what`` says who, for the refusal; ``site`` is the customer
    site a LAN is at (empty for the provider's own addresses, which no site may overlap)."""

    network: ipaddress.IPv4Network
    what: str
    site: str = ""


def conflict(lan: str, site: str, claims: Iterable[Claim]) -> str | None:
    """Why ``lan`` (a parsed IPv4 prefix) at ``site`` may not be used, or None."""
    network = ipaddress.IPv4Network(lan)
    for claim in claims:
        if network.overlaps(claim.network) and not (claim.site and claim.site == site):
            return f"{network} overlaps {claim.network}, {claim.what}"
    return None


def host_claim(address: str, what: str) -> Claim | None:
    """A single address as a claim (None when it is a host name, or not IPv4)."""
    try:
        return Claim(ipaddress.IPv4Network(address), what)
    except ValueError:
        return None
