"""The BSS's console under ``/ui`` of its own process: Customers (with the KPIs), a customer's
accounts, products, usage and invoices, an invoice's document, and the KPIs over a year.

Built on :mod:`webui` like the agent's console (same sign-in from the BSS's API token, layout and
styles, its own session cookie since both may run on one host). Pages are rendered on the server
from :mod:`bss_bridge.entrypoints.web.views`; the invoice document is the one the API serves
(:mod:`bss_bridge.documents.invoice`), framed in the page, and its PDF and CSV are fetched through
the console's gateway (``/bss/v1/invoice/...``). Database reads run in worker threads.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import HTMLResponse

from bss_bridge.bootstrap import Bss
from bss_bridge.documents.invoice import invoice_html
from bss_bridge.domain.errors import NotFoundError
from bss_bridge.entrypoints.web import views
from bss_bridge.service_layer.billing_queries import parties
from bss_bridge.service_layer.kpi_queries import MAX_MONTHS, bss_kpis
from webui import Console, ConsoleSettings, NavItem, Session

HERE = Path(__file__).parent
MOUNT = "/ui"
NAV = [NavItem("", "Customers"), NavItem("kpis", "KPIs")]
FORWARDED = ("/bss/v1/invoice/",)  # the invoice's PDF and CSV
COOKIE = "bss_console_session"
KPI_PAGE_MONTHS = 12


def build_console(app: FastAPI, bss: Bss) -> Console:
    token = bss.settings.api_token.get_secret_value() if bss.settings.api_token is not None else None
    console = Console(
        ConsoleSettings(
            title="oss-bss",
            token=token,
            nav=NAV,
            api=app,
            forwarded_prefixes=FORWARDED,
            template_dirs=[HERE / "templates"],
            cookie=COOKIE,
            token_label="the BSS's API token",  # noqa: S106 - what the sign-in form asks for, not a secret
            secure_cookie=bss.settings.console_secure_cookie,
        ),
        mounted_at=MOUNT,
    )

    async def customers(request: Request, session: Session) -> tuple[str, dict[str, Any]]:
        search = request.query_params.get("q", "")[:100]
        found = await asyncio.to_thread(views.customers, bss, search)
        kpis = await asyncio.to_thread(views.kpis, bss)
        return "customers.html", {"page_title": "Customers", "customers": found, "q": search, **kpis}

    async def customer(request: Request, session: Session) -> tuple[str, dict[str, Any]]:
        try:
            found = await asyncio.to_thread(views.customer, bss, request.path_params["customer_id"])
        except NotFoundError:
            return "missing.html", {"page_title": "No such customer", "what": "customer", "status": 404}
        return "customer.html", {"page_title": found["customer"]["name"], **found}

    async def invoice(request: Request, session: Session) -> tuple[str, dict[str, Any]]:
        try:
            found = await asyncio.to_thread(views.invoice, bss, request.path_params["invoice_id"])
        except NotFoundError:
            return "missing.html", {"page_title": "No such invoice", "what": "invoice", "status": 404}
        return "invoice.html", {"page_title": f"Invoice {found['number']}", "invoice": found}

    async def kpis(request: Request, session: Session) -> tuple[str, dict[str, Any]]:
        def read() -> Any:
            with bss.uow() as uow:
                return bss_kpis(uow, bss.deps.clock(), min(KPI_PAGE_MONTHS, MAX_MONTHS))

        figures = await asyncio.to_thread(read)
        return "kpis.html", {"page_title": "KPIs", "figures": views.since_first_activity(figures)}

    async def document(request: Request, session: Session) -> Any:
        def render() -> str | None:
            with bss.uow() as uow:
                bill = uow.invoices.get(request.path_params["invoice_id"])
                return None if bill is None else invoice_html(bill, parties(uow, bill.account_id))

        page = await asyncio.to_thread(render)
        return HTMLResponse("no such invoice", 404) if page is None else HTMLResponse(page)

    console.page("/", customers)
    console.page("/customers/{customer_id}", customer)
    console.page("/invoices/{invoice_id}", invoice)
    console.page("/kpis", kpis)
    console.data("/data/invoices/{invoice_id}/document", document, embeddable=True)
    return console


def install(app: FastAPI, bss: Bss) -> None:
    """Mount the console under ``/ui`` and send ``/`` there (neither is part of the API's OpenAPI)."""
    build_console(app, bss).install(app)
