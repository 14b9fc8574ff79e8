"""Reconciliation's comparison, pure: each kind of divergence, and what is not one."""

from __future__ import annotations

from bss_bridge.domain.reconcile import Divergence, NetworkService, Product, compare


def test_in_sync_inventories_have_no_divergence() -> None:
    products = [
        Product("p1", "active", "o1:1", "s1", "active"),
        Product("p2", "suspended", "o2:1", "s2", "inactive"),
        Product("p3", "terminated", "o3:1", "s3", "terminated"),
        Product("p4", "pendingActive", "o4:1", None, None),  # its order is on its way
    ]
    services = [
        NetworkService("s1", "active", "o1:1"),
        NetworkService("s2", "inactive", "o2:1"),
        NetworkService("s3", "terminated", "o3:1"),
        NetworkService("s4", "active", "o4:1"),  # made, the completion not heard of yet
        NetworkService("x", "active", "crm-42"),  # another client's: not ours to judge
    ]
    assert compare(products, services) == []


def test_each_divergence_is_named_with_both_sides_words() -> None:
    products = [
        Product("lost", "active", "o1:1", None, None),
        Product("gone", "active", "o2:1", "s2", "active"),
        Product("off", "active", "o3:1", "s3", "active"),
        Product("on", "suspended", "o4:1", "s4", "inactive"),
        Product("ended", "terminated", "o5:1", "s5", "terminated"),
    ]
    services = [
        NetworkService("s1", "active", "o1:1"),
        NetworkService("s2", "terminated", "o2:1"),
        NetworkService("s3", "inactive", "o3:1"),
        NetworkService("s4", "active", "o4:1"),
        NetworkService("s5", "active", "o5:1"),
    ]
    assert compare(products, services) == [
        Divergence("missing", "gone", "s2", "active", "no live service"),
        Divergence("unlinked", "lost", "s1", "active", "active"),
        Divergence("state", "off", "s3", "active: active", "inactive"),
        Divergence("state", "on", "s4", "suspended: inactive", "active"),
        Divergence("orphan", None, "s5", "no product wants it", "active"),
    ]
