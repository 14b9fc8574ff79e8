"""The BSS's HTTP API (its own process and port): TMF620, TMF621, TMF622, TMF629, TMF637 and TMF666 with
their hubs, and ``/bss/v1/quote``. ``create_app`` only assembles; nothing starts at import time."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from bss_bridge.bootstrap import Bss
from bss_bridge.entrypoints import web
from bss_bridge.entrypoints.api import billing, catalog, openapi, ordering, party, ticket, tmf
from bss_bridge.entrypoints.api.hub import hub_router
from bss_bridge.tmf.common import BASES
from webui import apidocs


def create_app(bss: Bss) -> FastAPI:
    """The API over ``bss``; with ``api_token`` set, every route needs it as a bearer token."""
    token = bss.settings.api_token.get_secret_value() if bss.settings.api_token is not None else None
    app = FastAPI(
        title="oss-agent BSS",
        summary="The built-in BSS: customers, accounts, catalog, orders, subscriptions (TM Forum Open APIs)",
        docs_url=None,  # served from the package instead of a CDN: webui.apidocs
        redoc_url=None,
        dependencies=[Depends(tmf.bearer_check(token)), Depends(tmf.known_parameters)],
        default_response_class=tmf.TmfResponse,
    )
    app.openapi = lambda: openapi.document(app, token is not None)  # type: ignore[method-assign]
    app.state.bss = bss
    tmf.install_error_handlers(app)
    for router in (
        party.customers,
        party.accounts,
        catalog.router,
        ordering.orders,
        ordering.products,
        ordering.quotes,
        *billing.ROUTERS,
        ticket.router,
    ):
        app.include_router(router)
    for api in BASES:
        app.include_router(hub_router(api))
    apidocs.install(app)
    web.install(app, bss)  # the console under /ui (session sign-in, not part of the API)
    return app
