"""The northbound HTTP API: one FastAPI app, one router per TM Forum API.

``create_app`` only assembles: routers are added here, one line each, and share the error shape,
bearer authentication and paging helpers of :mod:`oss_agent.entrypoints.api.tmf`. The app is served
by ``oss-agent run``; nothing starts at import time.
"""

from __future__ import annotations

from fastapi import Depends, FastAPI

from oss_agent.bootstrap import Agent
from oss_agent.entrypoints import web
from oss_agent.entrypoints.api import (
    fault_kpi,
    latency,
    openapi,
    perf,
    provisioning,
    provisioning_ops,
    tmf,
    tmf635,
    tmf639,
    tmf642,
    tmf642_hub,
)
from oss_agent.storage.engine import make_session_factory
from webui import apidocs


def create_app(agent: Agent) -> FastAPI:
    """The API over ``agent``; when ``settings.api_token`` is set every route needs it as a bearer token."""
    token = agent.settings.api_token.get_secret_value() if agent.settings.api_token is not None else None
    app = FastAPI(
        title="oss-agent",
        summary="Network OSS agent: TM Forum Open APIs",
        docs_url=None,  # served from the package instead of a CDN: webui.apidocs
        redoc_url=None,
        dependencies=[Depends(tmf.bearer_check(token)), Depends(tmf.known_parameters)],
    )
    app.state.agent = agent
    # Each request reads in its own session: the bus's unit of work belongs to the event loop's writers.
    app.state.session_factory = make_session_factory(agent.engine)
    tmf.install_error_handlers(app)
    app.include_router(tmf639.router)
    app.include_router(tmf639.hub)
    app.include_router(perf.router)
    app.include_router(latency.router)
    app.include_router(tmf642.router)
    app.include_router(tmf642_hub.router)
    app.include_router(fault_kpi.router)
    for router in provisioning.ROUTERS:
        app.include_router(router)
    app.include_router(provisioning_ops.router)
    app.include_router(tmf635.router)
    app.include_router(tmf635.hub)
    apidocs.install(app)
    app.openapi = lambda: openapi.document(app, token_required=token is not None)  # type: ignore[method-assign]
    web.install(app, agent)  # the operator console under /ui (session sign-in, not part of the API)
    return app
