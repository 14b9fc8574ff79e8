"""Each configuration syntax as a set of items, and the native change between two sets.

Three parts a device may have: ``frr`` (FRR's CLI: a line in its context), ``linux`` (an ``ip``/``tc``
line) and ``netconf`` (a leaf or list entry with its value). For each, :class:`ConfigModel` turns a
text (a running configuration, a snapshot, a rendering) into items, and a running configuration plus
items to remove and add into what the device is sent: CLI lines or an ``<edit-config>`` document,
with the resulting configuration and a diff for people.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Set
from dataclasses import dataclass
from typing import Any, Protocol

from adapters.cli import frrconf, linuxconf
from adapters.netconf import leaves

Item = Any  # a hashable: (path, line), a line, or (path, value)


@dataclass(frozen=True, slots=True)
class NativeChange:
    """What a device is sent (``payload``: CLI lines or one XML document), and the configuration after."""

    lines: tuple[str, ...]
    xml: str | None
    target: str
    diff: str

    @property
    def empty(self) -> bool:
        return not self.lines and not self.xml


class ConfigModel(Protocol):
    part: str

    def items(self, text: str) -> frozenset[Item]: ...
    def change(self, running: str, remove: Set[Item], add: Set[Item]) -> NativeChange: ...
    def same(self, a: str, b: str) -> bool: ...
    def encode(self, items: Set[Item]) -> list[Any]: ...
    def decode(self, stored: list[Any]) -> frozenset[Item]: ...


def _unified(before: str, after: str, label: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), f"{label} running", f"{label} candidate"
    )
    return "".join(lines)


class FrrModel:
    """FRR: an item is ``(context path, line)``; the change is FRR's own ``no`` lines and additions."""

    part = "cli"

    def items(self, text: str) -> frozenset[Item]:
        return frozenset((path, line) for path, lines in frrconf.parse(text).items() for line in lines)

    def change(self, running: str, remove: Set[Item], add: Set[Item]) -> NativeChange:
        current = frrconf.parse(running)
        target: frrconf.Tree = {
            path: [line for line in lines if (path, line) not in remove] for path, lines in current.items()
        }
        for path, line in sorted(add, key=lambda item: (len(item[0]), item)):
            for depth in range(1, len(path) + 1):
                target.setdefault(path[:depth], [])
            if line not in target[path]:
                target[path].append(line)
        lines = frrconf.commands(current, target)
        return NativeChange(
            tuple(lines), None, frrconf.render(target), _unified(frrconf.render(current), frrconf.render(target), "cli")
        )

    def same(self, a: str, b: str) -> bool:
        return frrconf.same(frrconf.parse(a), frrconf.parse(b))

    def encode(self, items: Set[Item]) -> list[Any]:
        return sorted([list(path), line] for path, line in items)

    def decode(self, stored: list[Any]) -> frozenset[Item]:
        return frozenset((tuple(path), line) for path, line in stored)


class LinuxModel:
    """A Linux CPE: an item is a canonical ``ip``/``tc`` line; removal is its inverse."""

    part = "cli"

    def items(self, text: str) -> frozenset[Item]:
        return frozenset(linuxconf.parse(text))

    def change(self, running: str, remove: Set[Item], add: Set[Item]) -> NativeChange:
        current = linuxconf.parse(running)
        target = sorted((set(current) - set(remove)) | set(add))
        lines = linuxconf.commands(current, target)
        before, after = linuxconf.render(current), linuxconf.render(target)
        return NativeChange(tuple(lines), None, after, _unified(before, after, "cli"))

    def same(self, a: str, b: str) -> bool:
        return linuxconf.parse(a) == linuxconf.parse(b)

    def encode(self, items: Set[Item]) -> list[Any]:
        return sorted(items)

    def decode(self, stored: list[Any]) -> frozenset[Item]:
        return frozenset(str(line) for line in stored)


class NetconfModel:
    """NETCONF: an item is ``(path, value)``; the change is one ``<config>`` for ``<edit-config>``."""

    part = "netconf"

    def items(self, text: str) -> frozenset[Item]:
        return frozenset(leaves.items(text).items())

    def change(self, running: str, remove: Set[Item], add: Set[Item]) -> NativeChange:
        current = leaves.items(running)
        added: dict[tuple[str, ...], str | None] = dict(add)
        gone = {path for path, _ in remove if path not in added}
        target = {path: value for path, value in current.items() if path not in gone} | added
        changed = {path: value for path, value in added.items() if current.get(path, ...) != value}
        xml = leaves.edit(gone, changed) if gone or changed else None
        before, after = leaves.render(current), leaves.render(target)
        return NativeChange(
            (), xml, json.dumps(sorted([list(p), v] for p, v in target.items())), _unified(before, after, "netconf")
        )

    def same(self, a: str, b: str) -> bool:
        return _netconf_items(a) == _netconf_items(b)

    def encode(self, items: Set[Item]) -> list[Any]:
        return sorted([list(path), value] for path, value in items)

    def decode(self, stored: list[Any]) -> frozenset[Item]:
        return frozenset((tuple(path), value) for path, value in stored)


def _netconf_items(text: str) -> dict[tuple[str, ...], str | None]:
    """Items of a NETCONF text: an XML document, or the JSON list a :class:`NativeChange` target holds."""
    stripped = text.strip()
    if stripped.startswith("["):
        return {tuple(path): value for path, value in json.loads(stripped)}
    return leaves.items(stripped)


FRR, LINUX, NETCONF = FrrModel(), LinuxModel(), NetconfModel()


def cli_model(platform: str) -> ConfigModel:
    if platform == "frr":
        return FRR
    if platform == "linux":
        return LINUX
    raise ValueError(f"no configuration model for platform {platform!r}")
