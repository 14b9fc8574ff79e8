"""YAML as the BSS reads it: decimals stay ``Decimal`` (``0.05`` is never a float), a key written
twice is an error, and every problem is reported as ``file:line: field: message``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from bss_bridge.errors import ConfigError

Path_ = tuple[str | int, ...]


class _UnreadableError(Exception):
    """A scalar no constructor could read (a date that is none, ``!!int x``): its node, so the error
    can say where it is. The constructor's words are dropped: they may quote a secret's value."""

    def __init__(self, node: yaml.Node) -> None:
        super().__init__()
        self.node = node


class _Loader(yaml.SafeLoader):
    """SafeLoader whose floats are Decimals, built from the text as written."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, ArithmeticError):
            raise _UnreadableError(node) from None


def _decimal(loader: yaml.SafeLoader, node: yaml.Node) -> Decimal:
    text = str(loader.construct_scalar(node))  # type: ignore[arg-type]
    return Decimal(text.replace("_", ""))


_Loader.add_constructor("tag:yaml.org,2002:float", _decimal)


def field_name(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass
class YamlFile:
    source: str
    data: Any
    lines: dict[Path_, int]

    def line(self, path: Path_) -> int | None:
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path)

    def problem(self, path: Path_ | str, message: str) -> str:
        """``file:line: field: message``, the line being that of ``path`` (or of its nearest parent)."""
        parts = _parse_field(path) if isinstance(path, str) else path
        line = self.line(parts)
        where = f"{self.source}:{line}" if line is not None else self.source
        name = field_name(parts)
        return f"{where}: {name}: {message}" if name else f"{where}: {message}"


def _parse_field(text: str) -> Path_:
    """``prices[0].oneTime`` -> ('prices', 0, 'oneTime')."""
    parts: list[str | int] = []
    for chunk in text.replace("[", ".[").split("."):
        if not chunk:
            continue
        parts.append(int(chunk[1:-1]) if chunk.startswith("[") and chunk[1:-1].isdigit() else chunk)
    return tuple(parts)


def _walk(node: yaml.Node, path: Path_, source: str) -> Iterator[tuple[Path_, yaml.Node]]:
    yield path, node
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value)
            if name in seen:
                raise ConfigError([f"{source}:{key.start_mark.line + 1}: {field_name((*path, name))}: written twice"])
            seen.add(name)
            yield from _walk(value, (*path, name), source)
    elif isinstance(node, yaml.SequenceNode):
        for n, item in enumerate(node.value):
            yield from _walk(item, (*path, n), source)


def read_yaml(path: Path) -> YamlFile:
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"{source}: cannot read it: {exc.strerror}"]) from exc
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else "?"
        raise ConfigError([f"{source}:{line}: YAML syntax error: {exc.problem}"]) from exc
    except yaml.YAMLError as exc:
        raise ConfigError([f"{source}: YAML error: {exc}"]) from exc
    except _UnreadableError as exc:
        raise ConfigError([_unreadable(source, node, exc.node)]) from None
    nodes = list(_walk(node, (), source)) if node is not None else []
    return YamlFile(source, data, {path: n.start_mark.line + 1 for path, n in nodes})


def _unreadable(source: str, root: yaml.Node | None, node: yaml.Node) -> str:
    """``file:line:column: field: ...`` for a value no constructor could read, without the value."""
    mark = node.start_mark
    nodes = _walk(root, (), source) if root is not None else iter(())
    at = (mark.line, mark.column)
    path = next((p for p, n in nodes if (n.start_mark.line, n.start_mark.column) == at), ())
    field = f" {field_name(path)}:" if path else ""
    kind = str(node.tag).rsplit(":", 1)[-1]
    where = f"{source}:{mark.line + 1}:{mark.column + 1}:{field}"
    return f"{where} cannot read the value as {kind} (put it in quotes if it is text)"
