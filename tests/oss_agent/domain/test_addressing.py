"""Customer LANs: special-purpose blocks refused by the type, and the provider's or another site's
addresses refused wherever they are held (the same site's own LAN is not a conflict)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from oss_agent.config import load_inventory
from oss_agent.domain.addressing import Claim, conflict
from oss_agent.domain.catalog import CharacteristicSpec, ValueType, check_text
from oss_agent.domain.discovery import AddressState
from oss_agent.domain.errors import DomainError
from oss_agent.provisioning.sites import Resolver

LAN = CharacteristicSpec("lan", ValueType.IPV4_PREFIX)


@pytest.mark.parametrize(
    "prefix",
    [
        "0.0.0.0/8",
        "127.0.0.0/8",
        "127.0.0.0/30",
        "169.254.1.0/24",
        "224.0.0.0/8",
        "239.255.0.0/16",
        "240.0.0.0/8",
        "255.255.255.0/24",
    ],
)
def test_a_special_purpose_block_is_never_a_customer_lan(prefix: str) -> None:
    with pytest.raises(DomainError, match="never a customer LAN"):
        LAN.parse(prefix)


@pytest.mark.parametrize("prefix", ["10.0.0.0/8", "198.18.2.0/24", "203.0.113.0/24", "223.255.255.0/24"])
def test_ordinary_lans_pass(prefix: str) -> None:
    assert LAN.parse(prefix) == prefix


@pytest.mark.parametrize(
    ("kind", "value"),
    [(ValueType.SITE, "customer1\n"), (ValueType.STRING, "ACME\n")],
)
def test_a_final_line_break_is_not_part_of_a_name(kind: ValueType, value: str) -> None:
    with pytest.raises(DomainError):
        CharacteristicSpec("x", kind).parse(value)
    assert check_text("ACME\n") is not None


def test_a_lan_may_overlap_only_its_own_sites_claims() -> None:
    claims = [
        Claim(ipaddress.IPv4Network("198.19.128.0/23"), "the pool"),
        Claim(ipaddress.IPv4Network("198.18.3.0/24"), "a LAN at customer2", "customer2"),
    ]
    assert conflict("198.18.3.0/24", "customer2", claims) is None
    assert "a LAN at customer2" in (conflict("198.18.3.128/25", "customer1", claims) or "")
    assert "the pool" in (conflict("198.19.129.0/24", "customer2", claims) or "")
    assert conflict("198.18.2.0/24", "customer1", claims) is None


def test_the_inventorys_management_addresses_belong_to_no_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PW", "x")
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(
        "defaults:\n  ssh: {username: oss, password: {env: PW}}\n"
        "devices:\n"
        "  - {name: pe1, host: 198.51.100.11, platform: frr, role: pe}\n"
        "  - {name: ce1, host: 198.51.100.21, platform: linux, role: cpe, site: customer1}\n"
        "  - {name: ce2, host: ce2.lab.example, platform: linux, role: cpe, site: customer2}\n"
        "probes:\n"
        "  - {name: lan1, host: 198.51.100.31, address: 198.18.2.10, attached_to: ce1}\n"
    )
    claims = Resolver(load_inventory(inventory), []).claims()
    assert "management address of pe1" in (conflict("198.51.100.0/24", "customer1", claims) or "")
    assert "management address of probe lan1" in (conflict("198.51.100.24/29", "customer1", claims) or "")
    assert conflict("198.18.2.0/24", "customer1", claims) is None  # its own probe, in its own LAN
    assert "probe lan1" in (conflict("198.18.2.0/24", "customer2", claims) or "")


def test_a_cpes_discovered_addresses_are_its_sites_but_its_management_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PW", "x")
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(
        "defaults:\n  ssh: {username: oss, password: {env: PW}}\n"
        "devices:\n"
        "  - {name: pe1, host: 198.51.100.11, platform: frr, role: pe}\n"
        "  - {name: ce1, host: 198.51.100.21, platform: linux, role: cpe, site: customer1}\n"
    )
    found = {
        "ce1": [AddressState("mgmt0", "198.51.100.21/24"), AddressState("eth2", "198.18.2.1/24")],
        "pe1": [AddressState("lo", "10.255.0.1/32")],
        "gone": [AddressState("lo", "10.255.0.9/32")],  # no longer in the inventory
    }
    claims = Resolver(load_inventory(inventory), [], found).claims()
    assert conflict("198.51.100.128/25", "customer1", claims) == (
        "198.51.100.128/25 overlaps 198.51.100.0/24, the address 198.51.100.21/24 of ce1 interface mgmt0"
    )
    assert conflict("198.18.2.0/24", "customer1", claims) is None
    assert "of ce1 interface eth2" in (conflict("198.18.2.0/24", "customer2", claims) or "")
    assert "of pe1 interface lo" in (conflict("10.255.0.0/24", "customer1", claims) or "")
    assert conflict("10.255.0.8/29", "customer1", claims) is None
