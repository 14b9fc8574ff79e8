"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) served from the package, never from a CDN, for both
wings' APIs (the agent's and the BSS's).

FastAPI's own pages load their scripts, styles, favicon and fonts from jsDelivr, Google Fonts and
fastapi.tiangolo.com, so on an operator's network without Internet access they stay blank, and
elsewhere each visit tells a CDN who uses the API. The assets are vendored in ``static/apidocs/``
(see its README for versions and licences); Swagger UI's online validator badge, which would call
validator.swagger.io, is switched off.

Each page carries a Content-Security-Policy that lets it load and connect to its own origin only, so
nothing added later can reach out either. Swagger UI's page starts it with one inline script: the
policy allows that script by its SHA-256, computed from the page as sent (it names the document's
URL, which depends on the root path), and no other inline script.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from webui.console import SECURITY_HEADERS

STATIC = Path(__file__).parent / "static" / "apidocs"
ASSETS = "/docs-assets"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def content_security_policy(html: str) -> str:
    """Own origin only; the page's inline scripts allowed by their hashes. Both viewers style their
    elements inline and draw icons from ``data:`` URIs; ReDoc runs its search in a ``blob:`` worker."""
    hashes = "".join(
        f" 'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(html)
    )
    return (
        f"default-src 'self'; script-src 'self'{hashes}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'; form-action 'self'; "
        "base-uri 'none'"
    )


def _hardened(page: HTMLResponse) -> HTMLResponse:
    """The page with the console's security headers and its own policy."""
    html = bytes(page.body).decode()
    page.headers.update({**SECURITY_HEADERS, "content-security-policy": content_security_policy(html)})
    return page


def install(app: FastAPI) -> None:
    """The two documentation pages and their assets; like ``/openapi.json``, they need no token."""
    app.mount(ASSETS, StaticFiles(directory=STATIC), name="docs-assets")

    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _hardened(
            get_swagger_ui_html(
                openapi_url=f"{root}{app.openapi_url}",
                title=f"{app.title} - Swagger UI",
                swagger_js_url=f"{root}{ASSETS}/swagger-ui/swagger-ui-bundle.js",
                swagger_css_url=f"{root}{ASSETS}/swagger-ui/swagger-ui.css",
                swagger_favicon_url=f"{root}{ASSETS}/swagger-ui/favicon-32x32.png",
                swagger_ui_parameters={"validatorUrl": None},
            )
        )

    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _hardened(
            get_redoc_html(
                openapi_url=f"{root}{app.openapi_url}",
                title=f"{app.title} - ReDoc",
                redoc_js_url=f"{root}{ASSETS}/redoc/redoc.standalone.js",
                redoc_favicon_url=f"{root}{ASSETS}/swagger-ui/favicon-32x32.png",
                with_google_fonts=False,
            )
        )

    app.add_route("/docs", swagger_ui, include_in_schema=False)
    app.add_route("/redoc", redoc, include_in_schema=False)
