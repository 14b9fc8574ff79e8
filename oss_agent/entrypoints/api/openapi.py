"""The OpenAPI document, made to say what the server does.

FastAPI's generated document declares a 422 "Validation Error" that this API never sends (every
refused request is a 400 in TMF's Error shape, see :mod:`oss_agent.entrypoints.api.tmf`), and says
nothing of the 404 of a path that names nothing, nor of the 401 (with its ``WWW-Authenticate``
challenge) when a token is required. The console kit's :mod:`webui.openapi` (shared with the BSS's
API) corrects that once, when the document is first asked for;
``tests/oss_agent/entrypoints/api/test_openapi.py`` runs schemathesis against it so the two cannot
drift apart again.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from webui import openapi

ERROR_SCHEMA = openapi.error_schema(["code", "reason"])
CHALLENGE = 'Bearer realm="oss-agent" (RFC 6750), with error="invalid_token" for a wrong token'


def document(app: FastAPI, token_required: bool) -> dict[str, Any]:
    """The app's OpenAPI document, corrected (built once, then kept)."""
    return openapi.document(app, token_required, ERROR_SCHEMA, CHALLENGE)
