"""YAML loading that remembers where each value came from, so errors can name the line.

PyYAML silently keeps the last of two equal keys; here a duplicate key is an error, because in an
inventory it almost always means a copy-paste mistake that would otherwise lose a device's settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from oss_agent.errors import ConfigError, ConfigProblem

PathKey = tuple[str | int, ...]


def format_path(path: PathKey) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _walk(node: yaml.Node, path: PathKey, marks: dict[PathKey, int], source: str) -> None:
    marks[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                raise ConfigError(
                    [ConfigProblem(source, format_path((*path, key)), "duplicate key", key_node.start_mark.line + 1)]
                )
            seen.add(key)
            _walk(value_node, (*path, key), marks, source)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), marks, source)


class LocatedYaml:
    """Parsed YAML data plus the line of every mapping key and list item."""

    def __init__(self, data: Any, marks: dict[PathKey, int], source: str) -> None:
        self.data = data
        self.marks = marks
        self.source = source

    def line(self, path: PathKey) -> int | None:
        """The line of ``path``, or of its nearest located parent."""
        while path:
            if path in self.marks:
                return self.marks[path]
            path = path[:-1]
        return self.marks.get(())

    def problem(self, path: PathKey, message: str) -> ConfigProblem:
        return ConfigProblem(self.source, format_path(path), message, self.line(path))


def load_located(path: Path) -> LocatedYaml:
    """Read a YAML file; syntax errors and unreadable files become a :class:`ConfigError`."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([ConfigProblem(source, "", f"cannot read file: {exc.strerror}")]) from exc
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise ConfigError([ConfigProblem(source, "", f"YAML syntax error: {exc.problem}", line)]) from exc
    except yaml.YAMLError as exc:
        raise ConfigError([ConfigProblem(source, "", f"YAML error: {exc}")]) from exc
    marks: dict[PathKey, int] = {}
    if node is not None:
        _walk(node, (), marks, source)
    return LocatedYaml(data, marks, source)
