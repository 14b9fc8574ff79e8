"""The BSS's API under test, and validation of its answers against the official TMF swagger files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient

from bss_bridge.bootstrap import Bss
from bss_bridge.entrypoints.api import create_app

TMF_DIR = Path("/work/shared/tmf")
SPECS = {
    "tmf620": "TMF620-ProductCatalog-v4.1.0",
    "tmf622": "TMF622-ProductOrdering-v4.0.0",
    "tmf629": "TMF629-Customer-v4.0.0",
    "tmf637": "TMF637-ProductInventory-v4.0.0",
    "tmf666": "TMF666-Account-v4.0.0",
    "tmf635": "TMF635-Usage-v4.0.0",
    "tmf676": "TMF676-Payment-v4.0.0",
    "tmf678": "TMF678-CustomerBill-v4.0.0",
    "tmf621": "TMF621-TroubleTicket-v4.0.0",
}
FORMATS = jsonschema.FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    """RFC 3339: a date, 'T', a time and an offset (jsonschema checks it only with an extra package)."""
    if not isinstance(value, str):
        return True
    if "T" not in value or not (value.endswith("Z") or value[-6] in "+-"):
        raise ValueError(f"{value!r} is not an RFC 3339 date-time with an offset")
    datetime.fromisoformat(value)
    return True


@cache
def _definitions(api: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((TMF_DIR / f"{SPECS[api]}.swagger.json").read_text())["definitions"]
    return loaded


def validate(api: str, definition: str, data: Any, array: bool = False) -> None:
    """Raise unless ``data`` is a valid ``definition`` (or a list of them) of ``api``'s swagger."""
    ref = {"$ref": f"#/definitions/{definition}"}
    schema = {"definitions": _definitions(api), **({"type": "array", "items": ref} if array else ref)}
    jsonschema.Draft4Validator(schema, format_checker=FORMATS).validate(data)


def decimal_json(response: Any) -> Any:
    """A response's JSON with its numbers as Decimals (to compare money exactly)."""
    import simplejson

    return simplejson.loads(response.content, use_decimal=True)


@pytest.fixture
def client(bss: Bss) -> Iterator[TestClient]:
    with TestClient(create_app(bss)) as test_client:
        yield test_client


def exact_body(data: Any) -> dict[str, Any]:
    """Request kwargs sending ``data`` with its Decimals as exact JSON numbers."""
    import simplejson

    return {"content": simplejson.dumps(data, use_decimal=True), "headers": {"Content-Type": "application/json"}}
