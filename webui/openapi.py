"""The OpenAPI document of a wing's API, made to say what its server does (shared by the OSS agent's
API and the BSS's, which refuse the same way).

FastAPI's generated document declares a 422 "Validation Error" that neither API sends (every
refused request is a 400 in TMF630's Error shape), and says nothing of the 404 of a path that names
nothing, nor of the 401 (with its ``WWW-Authenticate`` challenge) when a token is required.
:func:`document` corrects that once, when the document is first asked for; each wing adds what only
it says (its Error schema, its own corrections of an operation). Each wing's schemathesis test
(``tests/*/entrypoints/**/test_openapi.py``) keeps its document and its server from drifting apart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_REF = "#/components/schemas/Error"
Correction = Callable[[str, dict[str, Any], dict[str, Any]], None]  # (method, operation, the schemas)


def error_schema(required: list[str], **more: dict[str, Any]) -> dict[str, Any]:
    """TMF630's Error as an API sends it: which of its fields are always there, and ``more`` of them."""
    fields = ("code", "reason", "message", "status", "@type")
    return {
        "type": "object",
        "description": "TMF630 Error: every refusal of this API has this shape",
        "required": required,
        "properties": {**{name: {"type": "string"} for name in fields}, **more},
    }


def error(description: str) -> dict[str, Any]:
    """A response in TMF's Error shape."""
    return {"description": description, "content": {"application/json": {"schema": {"$ref": ERROR_REF}}}}


def _correct(operation: dict[str, Any], token_required: bool, challenge: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation["responses"]
    responses.pop("422", None)
    for status, response in responses.items():
        if status.startswith("4") and "content" not in response:  # declared by a route: TMF's Error shape
            response.update(error(response.get("description", "")))
    parameters = operation.get("parameters", [])
    if parameters or "requestBody" in operation:
        responses.setdefault("400", error("Bad Request: a parameter, a filter or the body is not valid"))
    if any(p.get("in") == "path" for p in parameters):
        responses.setdefault("404", error("Not Found: nothing has this id"))
    if token_required:
        responses["401"] = {**error("Unauthorized: no or a wrong bearer token"), "headers": {}}
        responses["401"]["headers"]["WWW-Authenticate"] = challenge
        operation["security"] = [{"bearer": []}]


def document(
    app: FastAPI,
    token_required: bool,
    error_schema: dict[str, Any],
    challenge: str,
    correct: Correction | None = None,
) -> dict[str, Any]:
    """The app's OpenAPI document, corrected (built once, then kept): ``error_schema`` is TMF's
    Error as this API sends it, ``challenge`` describes its ``WWW-Authenticate`` header, ``correct``
    what this API adds to each operation (called first, with the document's schemas)."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, summary=app.summary, description=app.description, routes=app.routes
        )
        components = schema.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        schemas["Error"] = error_schema
        header = {"description": challenge, "schema": {"type": "string"}}
        for item in schema.get("paths", {}).values():
            for method, operation in item.items():
                if correct is not None:
                    correct(method, operation, schemas)
                _correct(operation, token_required, header)
        if token_required:
            components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        app.openapi_schema = schema
    return app.openapi_schema
