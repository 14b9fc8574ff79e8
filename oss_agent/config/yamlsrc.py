"""YAML loading for configuration files: values straight from libyaml's events, lines when an error needs them.

Why not ``yaml.safe_load`` and a composed node tree (what this did before):
- memory and time: a node tree keeps a node and two ``Mark`` objects per value, and PyYAML's
  constructor walks it again; here libyaml's C parser (PyYAML's ``CSafeLoader``) hands out events
  and each value is built once, in one loop. Line numbers are looked up only for the paths an error
  names, by a second pass over the events (:meth:`LocatedYaml.lines`), so a good file pays nothing.
- hostile input: an alias is shared, never copied, and what aliases would expand to is counted with
  go-yaml's rule (``allowed_alias_ratio``), so an alias bomb is refused at its first offending line
  instead of growing to gigabytes; nesting deeper than ``MAX_DEPTH`` is refused at its line instead of
  exhausting the stack; an alias of a node that contains it (a cycle) is refused.
- a duplicate key is an error: in an inventory it almost always means a copy-paste mistake that would
  otherwise silently lose a device's settings.
Scalars mean what they mean to ``yaml.safe_load`` (PyYAML's resolver and safe constructors);
merge keys (``<<: *base``) work as there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml
from yaml import events as ev

from oss_agent.errors import ConfigError, ConfigProblem

PathKey = tuple[str | int, ...]

MAX_DEPTH = 64  # an inventory needs about 5 levels
STR_TAG = "tag:yaml.org,2002:str"
MERGE_TAG = "tag:yaml.org,2002:merge"
MAP_TAGS = (None, "!", "tag:yaml.org,2002:map")
SEQ_TAGS = (None, "!", "tag:yaml.org,2002:seq")
_SCALAR_CACHE_MAX = 4096  # plain scalars met again (platforms, sites, ports) are resolved once and shared
_MERGE = object()
_MISSING = object()


def format_path(path: PathKey) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def allowed_alias_ratio(decoded: int) -> float:
    """The share of a document's values that may come from aliases (go-yaml v3's ``allowedAliasRatio``):
    nearly all for up to 400,000 values, sliding to 10 % at 4,000,000."""
    low, high = 400_000, 4_000_000
    if decoded <= low:
        return 0.99
    if decoded >= high:
        return 0.10
    return 0.99 - 0.89 * (decoded - low) / (high - low)


class _Frame:
    """A mapping or sequence being built."""

    __slots__ = ("anchor", "container", "key", "merges", "size")

    def __init__(self, container: dict[Any, Any] | list[Any], anchor: str | None) -> None:
        self.container = container
        self.anchor = anchor
        self.key: Any = _MISSING
        self.size = 1
        self.merges: list[Any] = []


class _Builder:
    def __init__(self, loader: yaml.CSafeLoader, source: str) -> None:
        self.loader = loader
        self.source = source
        # libyaml's events and marks, typed loosely by the stubs: Any in this module
        self.next_event: Callable[[], Any] = loader.get_event
        self.resolve: Callable[[type[yaml.Node], str, tuple[bool, bool]], str] = loader.resolve
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.cache: dict[str, Any] = {}
        self.decoded = 0
        self.aliased = 0
        self.stack: list[_Frame] = []  # the mappings and sequences being built, outermost first

    def fail(self, event: Any, message: str) -> ConfigError:
        return ConfigError([ConfigProblem(self.source, "", message, event.start_mark.line + 1)])

    def construct(self, event: Any, tag: str) -> Any:
        constructor = yaml.constructor.SafeConstructor.yaml_constructors.get(tag)
        if constructor is None:
            raise self.fail(event, f"unsupported YAML tag {tag}")
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark)
        try:
            return constructor(self.loader, node)
        except (yaml.YAMLError, ValueError, TypeError, AttributeError):
            # Neither the value nor the parser's words about it (which may quote it) are repeated: the
            # field may be a password or a community. Where it is says enough to find it.
            kind = tag.rsplit(":", 1)[-1]
            mark = event.start_mark
            raise ConfigError(
                [
                    ConfigProblem(
                        self.source,
                        format_path(self.path()),
                        f"cannot read the value as {kind} (put it in quotes if it is text)",
                        mark.line + 1,
                        mark.column + 1,
                    )
                ]
            ) from None

    def path(self) -> PathKey:
        """Where the value being read sits: the keys and indexes of the containers being built."""
        path: list[str | int] = []
        for frame in self.stack:
            if isinstance(frame.container, list):
                path.append(len(frame.container))
            elif frame.key is not _MISSING and frame.key is not _MERGE:
                path.append(frame.key if isinstance(frame.key, int) else str(frame.key))
        return tuple(path)

    def scalar(self, event: Any) -> Any:
        tag, value = event.tag, event.value
        if tag is None or tag == "!":
            if not event.implicit[0]:  # quoted, or a literal/folded block: a string
                return value
            found = self.cache.get(value, _MISSING)
            if found is not _MISSING:
                return found
            tag = self.resolve(yaml.ScalarNode, value, (True, False))
            found = _MERGE if tag == MERGE_TAG else (value if tag == STR_TAG else self.construct(event, tag))
            if len(self.cache) < _SCALAR_CACHE_MAX:
                self.cache[value] = found
            return found
        return value if tag == STR_TAG else self.construct(event, tag)

    def count_alias(self, event: Any, size: int) -> None:
        self.decoded += size
        self.aliased += size
        if (
            self.aliased > 100
            and self.decoded > 1000
            and self.aliased / self.decoded > allowed_alias_ratio(self.decoded)
        ):
            raise self.fail(
                event,
                f"excessive aliasing: the aliases so far expand to {self.aliased:,} values, "
                f"{self.aliased / self.decoded:.0%} of the document (an alias bomb?)",
            )

    def add(self, frame: _Frame, value: Any, size: int, event: Any) -> None:
        frame.size += size
        container = frame.container
        if isinstance(container, list):
            container.append(value)
            return
        key = frame.key
        if key is _MISSING:
            if isinstance(value, dict | list):
                raise self.fail(event, "a mapping key must be a scalar")
            if value is not _MERGE and value in container:
                raise self.fail(event, f"duplicate key {value!r}")
            frame.key = value
            return
        frame.key = _MISSING
        if key is _MERGE:
            merges = value if isinstance(value, list) else [value]
            if not all(isinstance(m, dict) for m in merges):
                raise self.fail(event, "a merge key (<<) takes a mapping or a list of mappings")
            frame.merges += reversed(merges)  # of a list, the first mapping wins (as in PyYAML)
            return
        container[key] = value

    def document(self) -> Any:
        get = self.next_event
        get()  # stream start
        if isinstance(get(), ev.StreamEndEvent):  # an empty file
            return None
        stack = self.stack
        root: Any = None
        while True:
            event = get()
            kind = type(event)
            if kind is ev.ScalarEvent:
                value, size, anchor = self.scalar(event), 1, event.anchor
                self.decoded += 1
            elif kind is ev.MappingStartEvent or kind is ev.SequenceStartEvent:
                mapping = kind is ev.MappingStartEvent
                if event.tag not in (MAP_TAGS if mapping else SEQ_TAGS):
                    raise self.fail(event, f"unsupported YAML tag {event.tag}")
                if len(stack) >= MAX_DEPTH:
                    raise self.fail(event, f"nested deeper than {MAX_DEPTH} levels")
                stack.append(_Frame({} if mapping else [], event.anchor))
                self.decoded += 1
                continue
            elif kind is ev.MappingEndEvent or kind is ev.SequenceEndEvent:
                frame = stack.pop()
                value, size, anchor = frame.container, frame.size, frame.anchor
                if frame.merges:
                    merged: dict[Any, Any] = {}
                    for part in frame.merges:
                        merged.update(part)
                    merged.update(value)
                    value = merged
            elif kind is ev.AliasEvent:
                if event.anchor not in self.anchors:
                    raise self.fail(event, f"alias *{event.anchor} names no complete anchor before it")
                value, size = self.anchors[event.anchor]
                anchor = None
                self.count_alias(event, size)
            elif kind is ev.DocumentEndEvent:
                break
            else:  # pragma: no cover - libyaml emits nothing else inside a document
                raise self.fail(event, f"unexpected YAML event {kind.__name__}")
            if anchor is not None:
                self.anchors[anchor] = (value, size)
            if stack:
                self.add(stack[-1], value, size, event)
            else:
                root = value
        following = get()
        if not isinstance(following, ev.StreamEndEvent):
            raise self.fail(following, "expected one YAML document, found another")
        return root


def _parse(text: str, source: str) -> Any:
    loader = yaml.CSafeLoader(text)
    try:
        return _Builder(loader, source).document()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise ConfigError([ConfigProblem(source, "", f"YAML syntax error: {exc.problem}", line)]) from exc
    except yaml.YAMLError as exc:
        raise ConfigError([ConfigProblem(source, "", f"YAML error: {exc}")]) from exc
    finally:
        loader.dispose()


def _locate(text: str, source: str, wanted: set[PathKey]) -> dict[PathKey, int]:
    """The line of each wanted path that is written in the text (a second pass over a parsed document).

    Keys are read as the first pass read them; an alias's contents are not followed (a path inside
    one is located at the alias).
    """
    loader = yaml.CSafeLoader(text)
    builder = _Builder(loader, source)
    get = builder.next_event
    found: dict[PathKey, int] = {}
    # per open collection: its path, whether it is a mapping, the next index or the pending key
    stack: list[list[Any]] = []
    try:
        get()
        if isinstance(get(), ev.StreamEndEvent):
            return found
        while True:
            event = get()
            kind = type(event)
            if kind is ev.DocumentEndEvent:
                return found
            if kind is ev.MappingEndEvent or kind is ev.SequenceEndEvent:
                stack.pop()
                if stack and stack[-1][1]:
                    stack[-1][2] = _MISSING  # the value of a key is done
                continue
            if not stack:
                path: PathKey = ()
            else:
                top = stack[-1]
                if top[1]:  # mapping
                    if top[2] is _MISSING:  # this node is a key: it locates the key's path
                        key: Any = builder.scalar(event) if kind is ev.ScalarEvent else None
                        top[2] = key
                        path = (*top[0], key)
                        if path in wanted:
                            found[path] = event.start_mark.line + 1
                        continue
                    path = (*top[0], top[2])
                    if kind is not ev.MappingStartEvent and kind is not ev.SequenceStartEvent:
                        top[2] = _MISSING
                else:
                    path = (*top[0], top[2])
                    top[2] += 1
            if path in wanted and path not in found:
                found[path] = event.start_mark.line + 1
            if kind is ev.MappingStartEvent:
                stack.append([path, True, _MISSING])
            elif kind is ev.SequenceStartEvent:
                stack.append([path, False, 0])
    finally:
        loader.dispose()


class LocatedYaml:
    """Parsed YAML data that can say on which line a path was written."""

    def __init__(self, data: Any, text: str, source: str) -> None:
        self.data = data
        self.text = text
        self.source = source

    def has(self, path: PathKey) -> bool:
        """Whether ``path`` is written in the document (through mappings and lists)."""
        value = self.data
        for part in path:
            listed = isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value)
            if not listed and not (isinstance(value, dict) and part in value):
                return False
            value = value[part]
        return True

    def lines(self, paths: Iterable[PathKey]) -> dict[PathKey, int | None]:
        """The line of each path, or of its nearest written parent; one pass for all of them."""
        chosen = list(paths)
        wanted = {p[:n] for p in chosen for n in range(len(p) + 1)}
        found = _locate(self.text, self.source, wanted)
        out: dict[PathKey, int | None] = {}
        for path in chosen:
            probe = path
            while probe not in found and probe:
                probe = probe[:-1]
            out[path] = found.get(probe)
        return out

    def line(self, path: PathKey) -> int | None:
        return self.lines([path])[path]

    def problem(self, path: PathKey, message: str) -> ConfigProblem:
        return ConfigProblem(self.source, format_path(path), message, self.line(path))

    def problems(self, found: Iterable[tuple[PathKey, str]]) -> list[ConfigProblem]:
        """Problems for many paths, located in one pass."""
        listed = list(found)
        lines = self.lines(path for path, _ in listed)
        return [ConfigProblem(self.source, format_path(path), message, lines[path]) for path, message in listed]


def load_located(path: Path) -> LocatedYaml:
    """Read a YAML file; syntax errors, hostile structure and unreadable files become a :class:`ConfigError`."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([ConfigProblem(source, "", f"cannot read file: {exc.strerror}")]) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError([ConfigProblem(source, "", f"not UTF-8 text (byte {exc.start})")]) from exc
    return LocatedYaml(_parse(text, source), text, source)
