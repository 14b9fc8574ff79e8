"""A listener's ``query``: which notifications it wants. ``eventType=ProductOrderStateChangeEvent&
event.productOrder.state=completed,failed`` keeps notifications of that type whose order is
completed or failed: keys are ANDed, comma-separated values ORed, a key is ``eventType`` or a dotted
path into the notification (list elements are searched). A query that cannot be applied (bad
syntax, an event type this API never sends) is refused when the listener registers, never ignored.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import parse_qsl

Query = dict[str, frozenset[str]]


class QueryError(ValueError):
    """A query that cannot be applied."""


def parse(query: str | None, event_types: Collection[str]) -> Query:
    if query is None or not query.strip():
        return {}
    try:
        pairs = parse_qsl(query.strip(), keep_blank_values=False, strict_parsing=True)
    except ValueError:
        raise QueryError(f"query {query!r} is not name=value pairs joined by '&'") from None
    parsed: dict[str, set[str]] = {}
    for key, value in pairs:
        options = {v.strip() for v in value.split(",") if v.strip()}
        if key == "eventType" and not options <= set(event_types):
            raise QueryError(f"eventType {value!r} is not sent by this API; it sends {', '.join(sorted(event_types))}")
        parsed.setdefault(key, set()).update(options)
    return {key: frozenset(options) for key, options in parsed.items()}


def _at(value: Any, path: list[str]) -> list[Any]:
    if not path:
        return value if isinstance(value, list) else [value]
    if isinstance(value, list):
        return [found for element in value for found in _at(element, path)]
    if isinstance(value, Mapping) and path[0] in value:
        return _at(value[path[0]], path[1:])
    return []


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def matches(query: Query, notification: Mapping[str, Any]) -> bool:
    return all(any(_text(v) in options for v in _at(notification, key.split("."))) for key, options in query.items())
