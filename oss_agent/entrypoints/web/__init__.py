"""The agent's operator console: Overview, Topology, Alarms and Performance pages under ``/ui``.

Built on :mod:`webui` (sign-in from the API token, layout, vendored scripts, the gateway to the API).
Pages are rendered on the server from :mod:`oss_agent.entrypoints.web.views`; their scripts read
and change things only through the agent's own API (TMF642 for alarms, ``/perf/v1`` for series),
so the console follows exactly the rules a script does. Database reads run in worker threads: the
daemon's event loop also runs the polls.

Where later pages slot in: a page is one ``console.page(...)`` line plus a template, a navigation
entry in :data:`NAV`, and its API paths in :data:`FORWARDED`; an Overview table is a function
appended to :data:`oss_agent.entrypoints.web.views.OVERVIEW_PANELS`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from oss_agent.bootstrap import Agent
from oss_agent.entrypoints.web import views
from webui import Console, ConsoleSettings, NavItem, Session

HERE = Path(__file__).parent
MOUNT = "/ui"
NAV = [
    NavItem("", "Overview"),
    NavItem("topology", "Topology"),
    NavItem("alarms", "Alarms"),
    NavItem("performance", "Performance"),
]
# API paths the pages' scripts may use through the console's gateway (nothing else is forwarded)
FORWARDED = (
    "/tmf-api/alarm/v4/alarm",
    "/tmf-api/resourceInventoryManagement/v4/resource",
    "/perf/v1/",
    "/fault/v1/",
)


def build_console(app: FastAPI, agent: Agent) -> Console:
    token = agent.settings.api_token.get_secret_value() if agent.settings.api_token is not None else None
    console = Console(
        ConsoleSettings(
            title="oss-agent",
            token=token,
            nav=NAV,
            api=app,
            forwarded_prefixes=FORWARDED,
            template_dirs=[HERE / "templates"],
            static_dirs={"oss": HERE / "static"},
        ),
        mounted_at=MOUNT,
    )

    async def overview(request: Request, session: Session) -> tuple[str, dict[str, Any]]:
        return "overview.html", {"page_title": "Overview", **await asyncio.to_thread(views.overview, agent)}

    async def topology(request: Request, session: Session) -> tuple[str, dict[str, Any]]:
        return "topology.html", {"page_title": "Topology"}

    async def alarms(request: Request, session: Session) -> tuple[str, dict[str, Any]]:
        return "alarms.html", {"page_title": "Alarms"}

    async def performance(request: Request, session: Session) -> tuple[str, dict[str, Any]]:
        return "performance.html", {"page_title": "Performance", **await asyncio.to_thread(views.performance, agent)}

    async def topology_data(request: Request, session: Session) -> Any:
        return await asyncio.to_thread(views.topology, agent)

    console.page("/", overview)
    console.page("/topology", topology)
    console.page("/alarms", alarms)
    console.page("/performance", performance)
    console.data("/data/topology", topology_data)
    return console


def install(app: FastAPI, agent: Agent) -> None:
    """Mount the console under ``/ui`` and send ``/`` there (neither is part of the API's OpenAPI)."""

    async def home(request: Request) -> Response:
        return RedirectResponse(f"{request.scope.get('root_path', '')}{MOUNT}/", 307)

    app.mount(MOUNT, build_console(app, agent).app())
    app.add_route("/", home, include_in_schema=False)
