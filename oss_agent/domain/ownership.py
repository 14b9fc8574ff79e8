"""Who owns which configuration item on a device, and what a change may remove.

NSO's FASTMAP idea on our own terms: a service's creation is rendered per device into items (FRR
lines in their context, ``ip``/``tc`` lines, NETCONF leaves), and the rendering is stored. A change
of a service (modify, delete, suspend) is the difference between its stored rendering and the new
one; an item goes only if the service owned it: not if another live service renders it too (a
reference count), and not if it was on the device before the service first rendered it.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Set
from dataclasses import dataclass
from typing import Generic, TypeVar

I = TypeVar("I", bound=Hashable)  # noqa: E741 - the usual name for an item type


@dataclass(frozen=True, slots=True)
class Rendered(Generic[I]):
    """One service's items on a device: as stored (``old``), as wanted now (``new``), and those of
    ``old`` that were on the device before the service rendered them (``preexisting``)."""

    old: frozenset[I]
    new: frozenset[I]
    preexisting: frozenset[I] = frozenset()


@dataclass(frozen=True, slots=True)
class DeviceChange(Generic[I]):
    """What to remove from and add to a device, and per service the rendered items that were not its own."""

    remove: frozenset[I]
    add: frozenset[I]
    preexisting: Mapping[str, frozenset[I]]

    @property
    def empty(self) -> bool:
        return not self.remove and not self.add


def plan(services: Mapping[str, Rendered[I]], others: Set[I], running: Set[I]) -> DeviceChange[I]:
    """The change an order makes on one device whose configuration is ``running``.

    ``services`` are the order's services on the device; ``others`` the items that other live
    services render there. An item another service of the same order still wants stays.
    """
    wanted: set[I] = set().union(*(r.new for r in services.values())) if services else set()
    owned_before: set[I] = set().union(*(r.old for r in services.values())) if services else set()
    remove: set[I] = set()
    preexisting: dict[str, frozenset[I]] = {}
    for service_id, r in services.items():
        remove |= (set(r.old) - wanted - set(others) - set(r.preexisting)) & set(running)
        found = (set(r.new) - owned_before) & set(running) - set(others)
        preexisting[service_id] = frozenset((set(r.preexisting) & set(r.new)) | found)
    add = wanted - set(running)
    return DeviceChange(frozenset(remove), frozenset(add), preexisting)
