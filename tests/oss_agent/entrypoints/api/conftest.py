"""Schema validation against the TM Forum swagger files, shared by every TMF API test here."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

TMF_DIR = Path("/work/shared/tmf")

Validator = Callable[[str, bool], jsonschema.Draft4Validator]


@cache
def swagger(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((TMF_DIR / f"{name}.swagger.json").read_text())
    return loaded


def schema_validator(api: str, definition: str, array: bool = False) -> jsonschema.Draft4Validator:
    """A validator for ``#/definitions/<definition>`` (or an array of it) of one API's swagger."""
    ref = {"$ref": f"#/definitions/{definition}"}
    schema = {"definitions": swagger(api)["definitions"], **({"type": "array", "items": ref} if array else ref)}
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


@pytest.fixture
def tmf642_validator() -> Validator:
    return lambda definition, array=False: schema_validator("TMF642-Alarm-v4.0.0", definition, array)


@pytest.fixture
def tmf639_validator() -> Validator:
    return lambda definition, array=False: schema_validator("TMF639-ResourceInventory-v4.0.0", definition, array)
