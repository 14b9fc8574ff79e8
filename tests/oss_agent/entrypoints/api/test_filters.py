"""The TMF630 filter declarations agree with the official schemas and cover what the API renders."""

from __future__ import annotations

from typing import Any

import pytest

from oss_agent.entrypoints.api.tmf import Filterable, TmfError
from oss_agent.entrypoints.api.tmf639 import RESOURCE_FILTERS
from oss_agent.entrypoints.api.tmf642 import ALARM_FILTERS
from oss_agent.fault.hub.tmf642 import render_alarm

from .conftest import swagger

# our extension of TMF642's Alarm (``@type: OssAgentAlarm``), documented in oss_agent.fault.hub.tmf642
EXTENSIONS = {"reductionKey": "string", "repeatCount": "number", "flapping": "boolean", "affectedResource": "string"}
EXTENSIONS |= {"occurrencesInWindow": "number", "alarmedObject.@referredType": "string"}


def swagger_kind(api: str, definition: str, path: str) -> str | None:
    """The filter kind the swagger implies for a dotted path, or None if it has no such attribute."""
    definitions = swagger(api)["definitions"]
    schema: dict[str, Any] = definitions[definition]
    for part in path.split("."):
        while "$ref" in schema or schema.get("type") == "array":
            schema = definitions[schema["$ref"].rsplit("/", 1)[-1]] if "$ref" in schema else schema["items"]
        properties = schema.get("properties", {})
        if part not in properties:
            return None
        schema = properties[part]
    while "$ref" in schema:
        schema = definitions[schema["$ref"].rsplit("/", 1)[-1]]
    kind = schema.get("type", "string")
    if schema.get("format") == "date-time":
        return "date"
    return {"integer": "number", "number": "number", "boolean": "boolean"}.get(kind, "string")


@pytest.mark.parametrize(
    ("filterable", "api", "definition"),
    [
        (ALARM_FILTERS, "TMF642-Alarm-v4.0.0", "Alarm"),
        (RESOURCE_FILTERS, "TMF639-ResourceInventory-v4.0.0", "Resource"),
    ],
)
def test_each_filter_is_an_attribute_of_the_schema_with_its_type(
    filterable: Filterable, api: str, definition: str
) -> None:
    for path in sorted(filterable.all()):
        expected = swagger_kind(api, definition, path) or EXTENSIONS.get(path) or EXTENSIONS.get(path.split(".")[0])
        assert expected is not None, f"{path} is not an attribute of {definition}"
        if path.split(".")[-1] != "id":  # TMF642's AlarmRef.id is a string where Alarm.id is an integer
            assert filterable.kind(path) == expected, path


def leaves(item: Any, prefix: str = "") -> set[str]:
    if isinstance(item, list):
        return set().union(*(leaves(v, prefix) for v in item)) if item else set()
    if isinstance(item, dict):
        return set().union(*(leaves(v, f"{prefix}{k}.") for k, v in item.items()))
    return {prefix.rstrip(".")}


def test_every_attribute_of_a_rendered_alarm_can_be_filtered_on() -> None:
    snapshot: dict[str, Any] = {
        "id": "u-1",
        "number": 7,
        "reduction_key": "r2:eth1|threshold|util",
        "managed_object": "r2:eth1",
        "alarm_type": "qualityOfServiceAlarm",
        "probable_cause": "thresholdCrossed",
        "specific_problem": "in 95%",
        "severity": "minor",
        "state": "cleared",
        "raised_at": "2026-11-20T08:00:00+00:00",
        "changed_at": "2026-11-20T08:05:00+00:00",
        "cleared_at": "2026-11-20T08:05:00+00:00",
        "acknowledged": True,
        "ack_user": "ann",
        "repeat_count": 2,
        "root_cause_id": "u-0",
        "root_cause_number": 6,
        "symptom_numbers": [8],
        "affected_resources": ["r2:eth1"],
        "comments": [{"author": "ann", "text": "seen", "at": "2026-11-20T08:01:00+00:00"}],
        "flapping": True,
        "occurrences_in_window": 3,
    }
    missing = leaves(render_alarm(snapshot, "http://x")) - ALARM_FILTERS.all()
    assert not missing, f"rendered but not filterable: {sorted(missing)}"


COUNTERS = Filterable(numbers=frozenset({"ifHCInOctets"}))


def test_numbers_compare_exactly_beyond_a_float() -> None:
    """64-bit counters: neighbours above 2**53 are one apart, which a float cannot tell."""
    items = [{"id": n, "ifHCInOctets": v} for n, v in enumerate((2**64 - 1, 2**64 - 2, 2**53 + 1, 2**53, 0.1))]

    def found(name: str, value: str) -> list[int]:
        condition = COUNTERS.condition(name, value)
        return [item["id"] for item in items if condition.holds(item)]

    assert found("ifHCInOctets.gt", "18446744073709551614") == [0]
    assert found("ifHCInOctets", "18446744073709551614") == [1]
    assert found("ifHCInOctets.gte", "18446744073709551615") == [0]
    assert found("ifHCInOctets", "9007199254740993") == [2]
    assert found("ifHCInOctets.lte", "9007199254740992") == [3, 4]
    assert found("ifHCInOctets", "0.10") == [4]  # the JSON number shown, 0.1, not the float's binary value
    assert found("ifHCInOctets", "18446744073709551615.0, 9007199254740992") == [0, 3]


@pytest.mark.parametrize("value", ["nan", "-inf", "Infinity", "1e999999999999999999999", "0x10", "many"])
def test_a_number_that_is_not_a_finite_decimal_is_refused_naming_the_parameter(value: str) -> None:
    with pytest.raises(TmfError) as refused:
        COUNTERS.condition("ifHCInOctets.gt", value)
    assert refused.value.status_code == 400 and str(refused.value.detail).startswith(f"ifHCInOctets.gt={value!r}")
