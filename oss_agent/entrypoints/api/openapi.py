"""The OpenAPI document, made to say what the server does.

FastAPI's generated document declares a 422 "Validation Error" that this API never sends (every
refused request is a 400 in TMF's Error shape, see :mod:`oss_agent.entrypoints.api.tmf`), and says
nothing of the 404 of a path that names nothing, nor of the 401 (with its ``WWW-Authenticate``
challenge) when a token is required. This corrects that once, when the document is first asked for;
``tests/oss_agent/entrypoints/api/test_openapi.py`` runs schemathesis against it so the two cannot
drift apart again.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "TMF630 Error: every refusal of this API has this shape",
    "required": ["code", "reason"],
    "properties": {
        "code": {"type": "string"},
        "reason": {"type": "string"},
        "message": {"type": "string"},
        "status": {"type": "string"},
        "@type": {"type": "string"},
    },
}
CHALLENGE_HEADER = {
    "description": 'Bearer realm="oss-agent" (RFC 6750), with error="invalid_token" for a wrong token',
    "schema": {"type": "string"},
}


def _error(description: str) -> dict[str, Any]:
    body = {"schema": {"$ref": "#/components/schemas/Error"}}
    return {"description": description, "content": {"application/json": body}}


def _correct(operation: dict[str, Any], token_required: bool) -> None:
    responses: dict[str, Any] = operation["responses"]
    responses.pop("422", None)
    for status, response in responses.items():
        if status.startswith("4") and "content" not in response:  # declared by a route: TMF's Error shape
            response.update(_error(response.get("description", "")))
    parameters = operation.get("parameters", [])
    if parameters or "requestBody" in operation:
        responses.setdefault("400", _error("Bad Request: a parameter, a filter or the body is not valid"))
    if any(p.get("in") == "path" for p in parameters):
        responses.setdefault("404", _error("Not Found: nothing has this id"))
    if token_required:
        responses["401"] = {**_error("Unauthorized: no or a wrong bearer token"), "headers": {}}
        responses["401"]["headers"]["WWW-Authenticate"] = CHALLENGE_HEADER
        operation["security"] = [{"bearer": []}]


def document(app: FastAPI, token_required: bool) -> dict[str, Any]:
    """The app's OpenAPI document, corrected (built once, then kept)."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
        )
        components = schema.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        schemas["Error"] = ERROR_SCHEMA
        for item in schema.get("paths", {}).values():
            for operation in item.values():
                _correct(operation, token_required)
        if token_required:
            components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        app.openapi_schema = schema
    return app.openapi_schema
