"""The BSS's OpenAPI document, made to say what the server does.

The routes read their bodies themselves (:func:`~bss_bridge.entrypoints.api.tmf.body`: JSON numbers
as exact Decimals, which FastAPI's own parsing would turn into floats), so FastAPI cannot see them:
:func:`takes` declares each route's body from the very pydantic model that validates it. FastAPI's
document also declares a 422 this API never sends (every refusal is a TMF Error: 400 for a bad
parameter, filter or body) and says nothing of the 404 of an unknown id, the 409 of a conflict, nor
of the 401 and its ``WWW-Authenticate: Bearer`` challenge when a token is set; :func:`document`
corrects that once, when the document is first asked for. ``tests/bss_bridge/entrypoints/
test_openapi.py`` runs schemathesis against the app so the two cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

REF = "#/components/schemas/{model}"
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "TMF630 Error: every refusal of this API has this shape",
    "required": ["code", "reason", "message", "status"],
    "properties": {
        "code": {"type": "string"},
        "reason": {"type": "string"},
        "message": {"type": "string"},
        "status": {"type": "string"},
        "@type": {"type": "string"},
        "problems": {
            "type": "array",
            "description": "each problem with the field it is about (a dotted path)",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}
CHALLENGE = {"description": "Bearer (RFC 6750)", "schema": {"type": "string"}}
BODY_METHODS = ("post", "patch", "put")


def takes(model: type[BaseModel]) -> dict[str, Any]:
    """A route's ``openapi_extra`` declaring its JSON body: ``model``'s schema (by alias)."""
    schema = model.model_json_schema(by_alias=True, ref_template=REF)
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def _error(description: str) -> dict[str, Any]:
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {"description": description, "content": content}


def _hoist(operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Move the body schema's ``$defs`` to the document's components (where its refs point)."""
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    for name, schema in body.pop("$defs", {}).items():
        if schemas.setdefault(name, schema) != schema:
            raise ValueError(f"two request bodies define {name} differently")


def _correct(method: str, operation: dict[str, Any], token_required: bool) -> None:
    responses: dict[str, Any] = operation["responses"]
    responses.pop("422", None)
    parameters = operation.get("parameters", [])
    if parameters or "requestBody" in operation:
        responses.setdefault("400", _error("Bad Request: a parameter, a filter or the body is not valid"))
    if any(p.get("in") == "path" for p in parameters):
        responses.setdefault("404", _error("Not Found: nothing has this id"))
    if method in BODY_METHODS:
        responses.setdefault("404", _error("Not Found: something the body refers to does not exist"))
        responses.setdefault("409", _error("Conflict: the request contradicts what is stored"))
        responses.setdefault("503", _error("Service Unavailable: the OSS could not answer a question it depends on"))
    if token_required:
        responses["401"] = {**_error("Unauthorized: no or a wrong bearer token"), "headers": {}}
        responses["401"]["headers"]["WWW-Authenticate"] = CHALLENGE
        operation["security"] = [{"bearer": []}]


def document(app: FastAPI, token_required: bool) -> dict[str, Any]:
    """The app's OpenAPI document, corrected (built once, then kept)."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, summary=app.summary, description=app.description, routes=app.routes
        )
        components = schema.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        schemas["Error"] = ERROR_SCHEMA
        for item in schema.get("paths", {}).values():
            for method, operation in item.items():
                _hoist(operation, schemas)
                _correct(method, operation, token_required)
        if token_required:
            components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        app.openapi_schema = schema
    return app.openapi_schema
