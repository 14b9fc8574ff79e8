"""A hub subscription's ``query``, for every API's hub: parsed once when subscribing (a query we
could not apply is refused, never silently ignored) and matched against each notification.

``eventType=ResourceStateChangeEvent&category=interface,device``: keys are ANDed, commas are ORed.
Attributes of the notification's subject (``alarm``, ``resource``) may be written plainly or under
``event.<subject>.``; ``eventType`` must be one of the API's event types.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from typing import Any
from urllib.parse import parse_qsl


class QueryError(ValueError):
    """A hub ``query`` we cannot apply (refused at subscription time, never silently ignored)."""


def parse_query(query: str | None, event_types: Set[str], subject: str) -> dict[str, set[str]]:
    if query is None or not query.strip():
        return {}
    try:
        pairs = parse_qsl(query.strip(), keep_blank_values=False, strict_parsing=True)
    except ValueError as exc:
        raise QueryError(f"query {query!r} is not name=value pairs joined by '&'") from exc
    out: dict[str, set[str]] = {}
    for key, value in pairs:
        key = key.removeprefix(f"event.{subject}.").removeprefix(f"{subject}.")
        options = {v.strip() for v in value.split(",") if v.strip()}
        if key == "eventType" and not options <= event_types:
            raise QueryError(f"unknown eventType in {value!r}; known: {', '.join(sorted(event_types))}")
        out.setdefault(key, set()).update(options)
    return out


def _values(item: Any, path: str) -> list[str]:
    values = [item]
    for part in path.split("."):
        found: list[Any] = []
        for value in values:
            for v in value if isinstance(value, list) else [value]:
                if isinstance(v, dict) and part in v:
                    found.append(v[part])
        values = found
    flat: list[Any] = []
    for v in values:
        flat += v if isinstance(v, list) else [v]
    return [str(v).lower() if isinstance(v, bool) else str(v) for v in flat]


def query_matches(parsed: Mapping[str, set[str]], event: Mapping[str, Any], subject: str) -> bool:
    """Whether a notification (``{eventType, event: {<subject>: ...}}``) passes a parsed query."""
    item = event["event"][subject]
    for key, options in parsed.items():
        found = [str(event["eventType"])] if key == "eventType" else _values(item, key)
        if not any(v in options for v in found):
            return False
    return True
