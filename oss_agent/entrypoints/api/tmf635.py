"""TMF635 Usage Management: the usage this agent publishes (read-only), and its hub.

The list answers TMF630 filters on any attribute it renders; those the database can apply (``id``,
``usageType``, ``usageDate`` with ``.gt/.gte/.lt/.lte``) are applied there, paging included, so a
listener catching up (``usageDate.gte=...``) never makes the agent render every record it holds.
A date alone on ``usageDate`` (rendered in UTC) is its UTC date there too: a half-open range of
instants (``usageDate=2026-03-01``: from its midnight UTC to the next, excluded).
Records are listed in publication order. The usage itself is made by the daemon
(``oss_agent.service_layer.usage_handlers``), never by a client: there is no ``POST /usage``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from oss_agent.entrypoints.api.hubs import hub_router, subscription_input
from oss_agent.entrypoints.api.tmf import (
    FIELDS,
    LIMIT,
    OFFSET,
    Condition,
    Filterable,
    TmfError,
    day_range,
    is_day,
    matches,
    page,
    parse_fields,
    select_fields,
)
from oss_agent.performance.tmf635 import BASE, EVENT_TYPES, USAGE_HUB, render
from oss_agent.storage.usage_repository import Span, UsageRepository, Where

router = APIRouter(prefix=BASE, tags=["TMF635 usage"])
hub = hub_router(
    BASE, USAGE_HUB, "TMF635 event hub", subscription_input("UsageEventSubscriptionInput", EVENT_TYPES, "usage")
)

USAGE_FILTERS = Filterable(
    strings=frozenset(
        {"id", "href", "usageType", "description", "@type", "usageCharacteristic.name", "usageCharacteristic.value"}
    ),
    dates=frozenset({"usageDate"}),
)
# TMF attribute -> column of usage_records, for the conditions the database applies
PUSHED = {"id": "usage_id", "usageType": "kind", "usageDate": "usage_date"}


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _pushed(condition: Condition) -> Where:
    """A condition as the database applies it: a date alone becomes the span of its UTC instants."""
    column = PUSHED[condition.path]
    if not any(is_day(v) for v in condition.values):
        return Where(column, condition.op, condition.values)
    values: list[Any] = []  # equal to an instant, or within a date's span
    for value in condition.values:  # with an operator, one: a date alone
        if not is_day(value):
            values.append(value)
        elif (span := day_range(condition.op, value)) is not None:  # none is after 9999-12-31
            values.append(Span(*span))
    return Where(column, None, tuple(values))


def _where(conditions: list[Condition]) -> tuple[list[Where], list[Condition]]:
    """The conditions the database applies, and those left to apply to the rendered records."""
    pushed = [_pushed(c) for c in conditions if c.path in PUSHED]
    return pushed, [c for c in conditions if c.path not in PUSHED]


@router.get(
    "/usage",
    summary="List or find Usage objects (in publication order)",
    openapi_extra={"parameters": USAGE_FILTERS.parameters()},
)
def list_usage(
    request: Request, response: Response, fields: str | None = FIELDS, offset: int = OFFSET, limit: int | None = LIMIT
) -> list[dict[str, Any]]:
    """Filters: ``usageDate.gte=2026-03-01T00:00:00Z``, ``usageType=rate``,
    ``usageCharacteristic.value=<service id>`` (any characteristic's value), ``id=...``."""
    pushed, rest = _where(USAGE_FILTERS.conditions(request.query_params.multi_items()))
    base = _base(request)
    with request.app.state.session_factory() as session:
        records = UsageRepository(session)
        if rest:
            items = [render(s, base) for s in records.list(pushed)]
            chosen, headers = page([item for item in items if matches(item, rest)], offset, limit)
        else:
            total = records.count(pushed)
            chosen = [render(s, base) for s in records.list(pushed, offset, limit)]
            headers = {"X-Total-Count": str(total), "X-Result-Count": str(len(chosen))}
    response.headers.update(headers)
    selected = parse_fields(fields)
    return [select_fields(item, selected) for item in chosen]


@router.get("/usage/{usage_id}", summary="Retrieves a Usage by ID")
def retrieve_usage(request: Request, usage_id: str, fields: str | None = FIELDS) -> dict[str, Any]:
    with request.app.state.session_factory() as session:
        snapshot = UsageRepository(session).get(usage_id)
    if snapshot is None:
        raise TmfError(404, f"no usage with id {usage_id!r}")
    return select_fields(render(snapshot, _base(request)), parse_fields(fields))
