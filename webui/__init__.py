"""The operator console kit, shared by the OSS agent's console and the BSS's: sign-in from the API token,
one layout and style, vendored scripts (uPlot, Cytoscape.js), a gateway to the process's own API,
the corrections both wings make to their APIs' OpenAPI documents (:mod:`webui.openapi`), and their
``/docs`` and ``/redoc`` pages served from the package (:mod:`webui.apidocs`).

It imports nothing of this project, so both wings can build on it without depending on each other.
"""

from webui.auth import Session, Sessions
from webui.console import DOCUMENT_HEADERS, Console, ConsoleSettings, NavItem

__all__ = ["DOCUMENT_HEADERS", "Console", "ConsoleSettings", "NavItem", "Session", "Sessions"]
