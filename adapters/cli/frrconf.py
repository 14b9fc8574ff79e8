"""FRR configuration as a tree, and the commands that turn one configuration into another.

Over SSH we only have vtysh, so ``/usr/lib/frr/frr-reload.py`` (which needs a local vtysh) cannot
run; this module gives the same semantics as a pure function: parse both configurations into
contexts (``interface eth1``, ``router bgp 65000`` > ``address-family ipv4 unicast``), and emit
``no`` lines for what must go and plain lines for what must come. The CLI driver uses it to restore
the configuration after a rejected change, the FRR NAPALM driver for replace and rollback.

A tree maps a context path (``()`` for the top level) to its lines, in order.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable

Tree = dict[tuple[str, ...], list[str]]

_SKIP = re.compile(r"^(Building configuration\.\.\.|Current configuration:|frr version |frr defaults |end$)")
_CLOSERS = {"exit", "exit-address-family", "exit-vrf", "exit-vnc", "quit"}
_OPENERS = re.compile(
    r"^(interface |router |address-family |route-map |vrf |line vty|key chain |segment-routing|mpls |"
    r"bfd|peer |profile |srv6|locators|vni |l2vpn |pseudowire |nexthop-group |ip vrf)"
)
# Commands that hold one value per context: merging a new one replaces the old.
_SINGLE = (
    "description ",
    "hostname ",
    "bgp router-id ",
    "ospf router-id ",
    "ip ospf cost ",
    "mtu ",
    "bandwidth ",
    "log file ",
    "ip ospf hello-interval ",
    "ip ospf dead-interval ",
)
# Removing these whole contexts with ``no <header>`` is safe; others (interfaces) are emptied line by line.
_REMOVABLE = re.compile(r"^(router |route-map |key chain |nexthop-group |vrf |bfd|line vty)")


def parse(text: str) -> Tree:
    """Parse FRR configuration text (running-config output or an operator's snippet) into a tree."""
    lines = [raw.rstrip() for raw in text.splitlines()]
    meaningful = [(len(line) - len(line.lstrip()), line.strip()) for line in lines]
    meaningful = [(indent, line) for indent, line in meaningful if line and not line.startswith("!")]
    meaningful = [(indent, line) for indent, line in meaningful if not _SKIP.match(line)]
    tree: Tree = {(): []}
    stack: list[tuple[int, str]] = []
    for position, (indent, line) in enumerate(meaningful):
        if line in _CLOSERS:
            if stack:
                stack.pop()
            continue
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = tuple(header for _, header in stack)
        following = meaningful[position + 1][0] if position + 1 < len(meaningful) else -1
        if _OPENERS.match(line) or following > indent:
            key = (*path, line)
            tree.setdefault(key, [])
            stack.append((indent, line))
        else:
            tree.setdefault(path, []).append(line)
    return tree


def render(tree: Tree) -> str:
    """The tree as configuration text in FRR's own layout (contexts closed with ``exit``)."""
    out = list(tree.get((), []))
    for key in sorted((k for k in tree if k), key=_order(tree)):
        depth = len(key) - 1
        out.append(" " * depth + key[-1])
        out.extend(" " * (depth + 1) + line for line in tree[key])
        children = [k for k in tree if len(k) == len(key) + 1 and k[: len(key)] == key]
        if not children:
            out.append(" " * depth + "exit")
    return "\n".join(_close_parents(out, tree)) + "\n"


def _order(tree: Tree) -> Callable[[tuple[str, ...]], tuple[int, ...]]:
    keys = list(tree)

    def position(key: tuple[str, ...]) -> tuple[int, ...]:
        return tuple(keys.index(key[: i + 1]) if key[: i + 1] in tree else 0 for i in range(len(key)))

    return position


def _close_parents(out: list[str], tree: Tree) -> list[str]:
    # Parent contexts with children are closed once their last child is rendered.
    result: list[str] = []
    open_depths: list[int] = []
    for line in out:
        indent = len(line) - len(line.lstrip())
        while open_depths and indent <= open_depths[-1] and line.strip() != "exit":
            result.append(" " * open_depths.pop() + "exit")
        result.append(line)
        if line.strip() != "exit" and any(k and k[-1] == line.strip() and len(k) == indent + 1 for k in tree):
            key_children = [k for k in tree if len(k) == indent + 2 and k[indent] == line.strip()]
            if key_children:
                open_depths.append(indent)
    while open_depths:
        result.append(" " * open_depths.pop() + "exit")
    return result


def negate(line: str) -> str:
    """The command that undoes ``line``.

    Single-valued commands are undone by their keywords alone: FRR refuses ``no description TEXT``.
    """
    if line.startswith("no "):
        return line[3:]
    single = next((prefix for prefix in _SINGLE if line.startswith(prefix)), None)
    return f"no {single.strip()}" if single is not None else f"no {line}"


def _enter(path: tuple[str, ...], body: list[str]) -> list[str]:
    if not body:
        return []
    return [*path, *body, *(["exit"] * len(path))]


def commands(current: Tree, target: Tree) -> list[str]:
    """Configuration-mode commands that turn ``current`` into ``target``.

    Removals go first, deepest contexts first and lines in reverse order (so ``no neighbor X
    update-source`` comes before ``no neighbor X remote-as``), then additions, shallowest first.
    """
    out: list[str] = []
    for key in sorted(current, key=len, reverse=True):
        if key not in target:
            if key and len(key) == 1 and _REMOVABLE.match(key[0]):
                out.append(f"no {key[0]}")
            else:
                out += _enter(key, [negate(line) for line in reversed(current[key])])
        else:
            wanted = set(target[key])
            out += _enter(key, [negate(line) for line in reversed(current[key]) if line not in wanted])
    for key in sorted(target, key=len):
        have = set(current.get(key, []))
        body = [line for line in target[key] if line not in have]
        if key not in current and key and not body:
            out += [*key, *(["exit"] * len(key))]
        else:
            out += _enter(key, body)
    return _drop_removed_contexts(out, current, target)


def _drop_removed_contexts(out: list[str], current: Tree, target: Tree) -> list[str]:
    # Children of a context removed with ``no <header>`` vanish with it: skip their own removals.
    removed = {k[0] for k in current if k and len(k) == 1 and k not in target and _REMOVABLE.match(k[0])}
    if not removed:
        return out
    result: list[str] = []
    skipping = 0
    for line in out:
        if skipping:
            skipping += 1 if line in removed or (_OPENERS.match(line) and line != "exit") else 0
            skipping -= 1 if line == "exit" else 0
            continue
        if line in removed:
            skipping = 1
            continue
        result.append(line)
    return result


def merge(base: Tree, change: Tree) -> Tree:
    """``base`` with the lines of ``change`` applied as commands (``no X`` removes ``X...``)."""
    merged: Tree = {key: list(lines) for key, lines in base.items()}
    for key, lines in change.items():
        target = merged.setdefault(key, [])
        for line in lines:
            if line.startswith("no "):
                stem = line[3:]
                target[:] = [kept for kept in target if kept != stem and not kept.startswith(stem + " ")]
            elif line not in target:
                single = next((p for p in _SINGLE if line.startswith(p)), None)
                if single is not None:
                    target[:] = [kept for kept in target if not kept.startswith(single)]
                target.append(line)
    return merged


def same(a: Tree, b: Tree) -> bool:
    """Equal configurations, whatever the order of lines within a context."""
    keys = {k for k in a if a[k] or k} | {k for k in b if b[k] or k}
    return all(sorted(a.get(k, [])) == sorted(b.get(k, [])) and (k in a) == (k in b) for k in keys)


def diff(current: Tree, target: Tree) -> str:
    """A unified diff of the two configurations, for people to review."""
    lines = difflib.unified_diff(
        render(current).splitlines(keepends=True), render(target).splitlines(keepends=True), "running", "candidate"
    )
    return "".join(lines)
