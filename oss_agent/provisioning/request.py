"""A TMF641 ``ServiceOrder_Create`` (from the API, or a file given to ``oss-agent order submit``) read
into a :class:`~oss_agent.domain.commands.SubmitServiceOrder`.

Reading never fails: what is wrong with the request's shape becomes a :class:`Problem` naming the
field (``serviceOrderItem[1].action``), carried by the command, so the order is stored as rejected
with every reason. Item dependencies are accepted in both TMF641 forms: v4.1's
``serviceOrderItemRelationship`` (``orderItem.itemId``) and v4.0's ``orderItemRelationship`` (``id``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from oss_agent.domain.catalog import Problem, check_text
from oss_agent.domain.commands import SubmitServiceOrder
from oss_agent.domain.service_order import ItemAction, ServiceOrderItemSpec

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")
DEPENDS = ("dependsOn", "dependency", "requires")


def parse_time(value: Any, field: str, problems: list[Problem]) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        problems.append(Problem(field, f"not an ISO 8601 date-time: {value!r}"))
        return None
    if parsed.tzinfo is None:
        problems.append(Problem(field, f"needs a time zone (e.g. 2030-01-01T10:00:00Z): {value!r}"))
        return None
    return parsed.astimezone(UTC)


def _identifier(value: Any, field: str, problems: list[Problem]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | int) or not _ID.fullmatch(str(value)):
        problems.append(Problem(field, "an identifier is letters, digits, '.', '_', ':' or '-' (at most 128)"))
        return None
    return str(value)


def _characteristics(raw: Any, where: str, problems: list[Problem]) -> tuple[tuple[str, Any], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append(Problem(where, "must be a list of {name, value}"))
        return ()
    out: dict[str, Any] = {}
    for index, entry in enumerate(raw):
        name = entry.get("name") if isinstance(entry, Mapping) else None
        if not isinstance(name, str) or not name or "value" not in entry:
            problems.append(Problem(f"{where}[{index}]", "a characteristic needs a name and a value"))
            continue
        if name in out:
            problems.append(Problem(f"{where}[{name}]", "given twice"))
            continue
        value = entry["value"]
        if not isinstance(value, str | int) or isinstance(value, bool):
            problems.append(
                Problem(f"{where}[{name}].value", f"must be a string or an integer, got {type(value).__name__}")
            )
            continue
        out[name] = value
    return tuple(out.items())


def _depends(raw: Mapping[str, Any], where: str, problems: list[Problem]) -> tuple[str, ...]:
    out: list[str] = []
    for key in ("serviceOrderItemRelationship", "orderItemRelationship"):
        relations = raw.get(key) or []
        if not isinstance(relations, list):
            problems.append(Problem(f"{where}.{key}", "must be a list"))
            continue
        for index, relation in enumerate(relations):
            target = _related_item(key, relation) if isinstance(relation, Mapping) else None
            kind = relation.get("relationshipType") if isinstance(relation, Mapping) else None
            if target is None or kind not in DEPENDS:
                problems.append(
                    Problem(f"{where}.{key}[{index}]", f"needs an item id and relationshipType one of {DEPENDS}")
                )
                continue
            out.append(str(target))
    return tuple(dict.fromkeys(out))


def _related_item(key: str, relation: Mapping[str, Any]) -> Any:
    if key == "orderItemRelationship":  # TMF641 v4.0
        return relation.get("id")
    item = relation.get("orderItem")
    return item.get("itemId") if isinstance(item, Mapping) else None


def _item(raw: Any, index: int, problems: list[Problem]) -> ServiceOrderItemSpec | None:
    where = f"serviceOrderItem[{index}]"
    if not isinstance(raw, Mapping):
        problems.append(Problem(where, "must be an object"))
        return None
    item_id = _identifier(raw.get("id", str(index + 1)), f"{where}.id", problems)
    action = raw.get("action")
    if action not in {a.value for a in ItemAction}:
        problems.append(Problem(f"{where}.action", f"must be one of add, modify, delete, noChange; got {action!r}"))
        return None
    service = raw.get("service")
    if not isinstance(service, Mapping):
        problems.append(Problem(f"{where}.service", "is required (a ServiceRefOrValue)"))
        return None
    spec_ref = service.get("serviceSpecification") or {}
    spec = spec_ref.get("id") or spec_ref.get("name") if isinstance(spec_ref, Mapping) else None
    service_id = _identifier(service.get("id"), f"{where}.service.id", problems)
    if action == ItemAction.ADD and not spec:
        problems.append(Problem(f"{where}.service.serviceSpecification.id", "an add needs the specification"))
    if action in (ItemAction.MODIFY, ItemAction.DELETE) and service_id is None:
        problems.append(Problem(f"{where}.service.id", f"a {action} needs the id of the service"))
    name = service.get("name") or ""
    if name:
        problem = check_text(str(name), 128)
        if problem is not None:
            problems.append(Problem(f"{where}.service.name", problem))
            name = ""
    state = service.get("state")
    if state is not None and state not in ("active", "inactive"):
        problems.append(Problem(f"{where}.service.state", f"may ask for active or inactive only, not {state!r}"))
        state = None
    if item_id is None:
        return None
    return ServiceOrderItemSpec(
        item_id=item_id,
        action=ItemAction(action),
        service_spec=str(spec or ""),
        characteristics=_characteristics(
            service.get("serviceCharacteristic"), f"{where}.service.serviceCharacteristic", problems
        ),
        service_id=service_id,
        service_name=str(name),
        depends_on=_depends(raw, where, problems),
        target_state=state,
    )


def read_order(body: Any, order_id: str | None = None) -> SubmitServiceOrder:
    """The command for a request; its ``problems`` list what is wrong with the request's shape."""
    problems: list[Problem] = []
    if not isinstance(body, Mapping):
        body = {}
        problems.append(Problem("serviceOrder", "the request must be a JSON object (ServiceOrder_Create)"))
    raw_items = body.get("serviceOrderItem")
    items: list[ServiceOrderItemSpec] = []
    if not isinstance(raw_items, list) or not raw_items:
        problems.append(Problem("serviceOrderItem", "at least one item is required"))
    else:
        for index, raw in enumerate(raw_items):
            item = _item(raw, index, problems)
            if item is not None:
                items.append(item)
    description = str(body.get("description") or "")
    if len(description) > 2000:
        problems.append(Problem("description", "longer than 2000 characters"))
        description = description[:2000]
    parties = body.get("relatedParty") or []
    if not isinstance(parties, list) or not all(isinstance(p, Mapping) and p.get("id") for p in parties):
        problems.append(Problem("relatedParty", "must be a list of RelatedParty objects, each with an id"))
        parties = []
    return SubmitServiceOrder(
        order_id=order_id or str(uuid.uuid4()),
        items=tuple(items),
        external_id=_identifier(body.get("externalId"), "externalId", problems),
        description=description,
        requested_start=parse_time(body.get("requestedStartDate"), "requestedStartDate", problems),
        related_party=tuple(dict(p) for p in parties),
        category=str(body.get("category") or "")[:64],
        priority=str(body.get("priority") or "")[:16],
        problems=tuple(problems),
    )
