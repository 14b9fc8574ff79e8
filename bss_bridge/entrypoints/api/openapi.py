"""The BSS's OpenAPI document, made to say what the server does.

The routes read their bodies themselves (:func:`~bss_bridge.entrypoints.api.tmf.body`: JSON numbers
as exact Decimals, which FastAPI's own parsing would turn into floats), so FastAPI cannot see them:
:func:`takes` declares each route's body from the very pydantic model that validates it. FastAPI's
document also declares a 422 this API never sends (every refusal is a TMF Error: 400 for a bad
parameter, filter or body) and says nothing of the 404 of an unknown id, the 409 of a conflict, nor
of the 401 and its ``WWW-Authenticate: Bearer`` challenge when a token is set; :func:`document`
corrects that once, when the document is first asked for, with the console kit's corrections both
wings share (:mod:`webui.openapi`) and this API's own. ``tests/bss_bridge/entrypoints/
test_openapi.py`` runs schemathesis against the app so the two cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from webui import openapi

REF = "#/components/schemas/{model}"
ERROR_SCHEMA = openapi.error_schema(
    ["code", "reason", "message", "status"],
    problems={
        "type": "array",
        "description": "each problem with the field it is about (a dotted path)",
        "items": {
            "type": "object",
            "required": ["field", "message"],
            "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
        },
    },
)
CHALLENGE = "Bearer (RFC 6750)"
BODY_METHODS = ("post", "patch", "put")


class _Instants(GenerateJsonSchema):
    """Every date-time of a body also says the years the inputs take (``tmf.inputs.EARLIEST`` to
    ``LATEST``), a year inside on either side: an offset cannot carry an instant out."""

    def datetime_schema(self, schema: core_schema.DatetimeSchema) -> JsonSchemaValue:
        return {**super().datetime_schema(schema), "pattern": YEARS}


YEARS = r"^(197[1-9]|19[89][0-9]|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-7])-"  # 1971 to 9997


def takes(model: type[BaseModel]) -> dict[str, Any]:
    """A route's ``openapi_extra`` declaring its JSON body: ``model``'s schema (by alias)."""
    schema = model.model_json_schema(by_alias=True, ref_template=REF, schema_generator=_Instants)
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def _hoist(operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Move the body schema's ``$defs`` to the document's components (where its refs point)."""
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    for name, schema in body.pop("$defs", {}).items():
        if schemas.setdefault(name, schema) != schema:
            raise ValueError(f"two request bodies define {name} differently")


def _correct(method: str, operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    _hoist(operation, schemas)
    if method in BODY_METHODS:
        responses: dict[str, Any] = operation["responses"]
        path = any(p.get("in") == "path" for p in operation.get("parameters", []))
        named = "nothing has this id, or " if path else ""
        responses.setdefault("404", openapi.error(f"Not Found: {named}something the body refers to does not exist"))
        responses.setdefault("409", openapi.error("Conflict: the request contradicts what is stored"))
        unavailable = "Service Unavailable: the OSS could not answer a question it depends on"
        responses.setdefault("503", openapi.error(unavailable))


def document(app: FastAPI, token_required: bool) -> dict[str, Any]:
    """The app's OpenAPI document, corrected (built once, then kept)."""
    return openapi.document(app, token_required, ERROR_SCHEMA, CHALLENGE, _correct)
