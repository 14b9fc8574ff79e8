"""The agent's operator console: Overview, Topology, Alarms, Performance, Orders and Services under ``/ui``.

Built on :mod:`webui` (sign-in from the API token, layout, vendored scripts, the gateway to the API).
Pages are rendered on the server from :mod:`oss_agent.entrypoints.web.views` (and
:mod:`~oss_agent.entrypoints.web.provisioning` for orders and services); their scripts change things
only through the agent's own API (TMF642 for alarms, TMF641 for orders, cancellations, suspensions
and redeployments, ``/provisioning/v1`` for dry runs and checks), so the console follows exactly
the rules a script does. Database reads run in worker threads: the daemon's event loop also runs
the polls.

Where later pages slot in: a page is one ``console.page(...)`` line plus a template, a navigation
entry in :data:`NAV`, and its API paths in :data:`FORWARDED`; an Overview table is a function in
:data:`PANELS`. With ``bss_console_url`` set, the menu links to the BSS's console.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse

from oss_agent.bootstrap import Agent
from oss_agent.entrypoints.web import provisioning, views
from webui import Console, ConsoleSettings, NavItem, Session

HERE = Path(__file__).parent
MOUNT = "/ui"
NAV = [
    NavItem("", "Overview"),
    NavItem("topology", "Topology"),
    NavItem("alarms", "Alarms"),
    NavItem("performance", "Performance"),
    NavItem("orders", "Orders"),
    NavItem("services", "Services"),
]
# API paths the pages' scripts may use through the console's gateway (nothing else is forwarded)
FORWARDED = (
    "/tmf-api/alarm/v4/alarm",
    "/tmf-api/resourceInventoryManagement/v4/resource",
    "/perf/v1/",
    "/fault/v1/",
    "/tmf-api/serviceOrdering/v4/serviceOrder",
    "/tmf-api/serviceOrdering/v4/cancelServiceOrder",
    "/tmf-api/serviceInventory/v4/service",
    "/provisioning/v1/",
)
# The Overview's tables: the built-in ones, then the orders in flight and the services' availability
PANELS = (*views.OVERVIEW_PANELS, provisioning.orders_in_flight_panel, provisioning.service_availability_panel)


def build_console(app: FastAPI, agent: Agent) -> Console:
    token = agent.settings.api_token.get_secret_value() if agent.settings.api_token is not None else None
    bss = agent.settings.bss_console_url
    console = Console(
        ConsoleSettings(
            title="oss-agent",
            token=token,
            nav=[*NAV, *([NavItem(bss, "BSS console ↗")] if bss else [])],
            api=app,
            forwarded_prefixes=FORWARDED,
            template_dirs=[HERE / "templates"],
            static_dirs={"oss": HERE / "static"},
            secure_cookie=agent.settings.console_secure_cookie,
        ),
        mounted_at=MOUNT,
    )

    async def overview(request: Request, session: Session) -> tuple[str, dict[str, Any]]:
        return "overview.html", {"page_title": "Overview", **await asyncio.to_thread(views.overview, agent, PANELS)}

    async def topology(request: Request, session: Session) -> tuple[str, dict[str, Any]]:
        return "topology.html", {"page_title": "Topology"}

    async def alarms(request: Request, session: Session) -> tuple[str, dict[str, Any]]:
        return "alarms.html", {"page_title": "Alarms"}

    async def performance(request: Request, session: Session) -> tuple[str, dict[str, Any]]:
        return "performance.html", {"page_title": "Performance", **await asyncio.to_thread(views.performance, agent)}

    async def orders(request: Request, session: Session) -> tuple[str, dict[str, Any]]:
        return "orders.html", {"page_title": "Service orders"}

    async def services(request: Request, session: Session) -> tuple[str, dict[str, Any]]:
        return "services.html", {"page_title": "Services", "kpi_days": views.KPI_DAYS}

    async def topology_data(request: Request, session: Session) -> Any:
        return await asyncio.to_thread(views.topology, agent)

    async def orders_data(request: Request, session: Session) -> Any:
        return await asyncio.to_thread(provisioning.orders, agent)

    async def order_data(request: Request, session: Session) -> Any:
        found = await asyncio.to_thread(provisioning.order, agent, request.path_params["order_id"])
        return found if found is not None else JSONResponse({"message": "no such service order"}, 404)

    async def services_data(request: Request, session: Session) -> Any:
        return await asyncio.to_thread(provisioning.services, agent)

    async def service_data(request: Request, session: Session) -> Any:
        found = await asyncio.to_thread(provisioning.service, agent, request.path_params["service_id"])
        return found if found is not None else JSONResponse({"message": "no such service"}, 404)

    async def catalog_data(request: Request, session: Session) -> Any:
        return await asyncio.to_thread(provisioning.catalog, agent)

    console.page("/", overview)
    console.page("/topology", topology)
    console.page("/alarms", alarms)
    console.page("/performance", performance)
    console.page("/orders", orders)
    console.page("/services", services)
    console.data("/data/topology", topology_data)
    console.data("/data/orders", orders_data)
    console.data("/data/orders/{order_id}", order_data)
    console.data("/data/services", services_data)
    console.data("/data/services/{service_id}", service_data)
    console.data("/data/catalog", catalog_data)
    return console


def install(app: FastAPI, agent: Agent) -> None:
    """Mount the console under ``/ui`` and send ``/`` there (neither is part of the API's OpenAPI)."""
    build_console(app, agent).install(app)
