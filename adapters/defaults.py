"""The registry every entry point uses: each driver package registers itself here.

Kept apart from ``registry.py`` so the contract does not import the (heavy) driver libraries;
this module is imported only when an agent is wired (``oss_agent.bootstrap``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from adapters import cli, napalm, netconf, snmp
from adapters.blocking import BlockingRunner
from adapters.contract import Capability
from adapters.models import Protocol
from adapters.registry import DriverRegistry


def build_registry(
    runner: BlockingRunner, preferences: Mapping[Capability, Sequence[Protocol]] | None = None
) -> DriverRegistry:
    """A registry with every driver this project ships, blocking ones sharing ``runner``."""
    registry = DriverRegistry(preferences)
    # Each driver package adds one line here: ``<package>.register(registry, runner)``.
    snmp.register(registry, runner)
    netconf.register(registry, runner)
    cli.register(registry, runner)
    napalm.register(registry, runner)
    return registry
