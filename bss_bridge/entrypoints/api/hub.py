"""The event hub of each TMF API: ``POST {base}/hub {callback, query}`` -> 201 with its id,
``DELETE {base}/hub/{id}`` -> 204 (and GET to list or read listeners)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response
from pydantic import Field

from bss_bridge.bootstrap import Bss
from bss_bridge.domain.errors import InvalidRequestError, NotFoundError
from bss_bridge.entrypoints.api.openapi import takes
from bss_bridge.entrypoints.api.tmf import TmfResponse, body
from bss_bridge.hub.query import QueryError
from bss_bridge.hub.store import Listener
from bss_bridge.tmf.common import BASES
from bss_bridge.tmf.inputs import TmfModel


class ListenerIn(TmfModel):
    callback: str = Field(pattern=r"^https?://[^/\s]+\S*$")
    query: str | None = None


def _render(listener: Listener) -> dict[str, Any]:
    return {"id": listener.id, "callback": listener.callback, "query": listener.query}


def hub_router(api: str) -> APIRouter:
    base = BASES[api]
    router = APIRouter(prefix=base, tags=[f"{api.upper()} event hub"])

    def store(request: Request) -> Any:
        bss: Bss = request.app.state.bss
        return bss.hub

    @router.post("/hub", status_code=201, summary="Register a listener", openapi_extra=takes(ListenerIn))
    async def register(request: Request) -> TmfResponse:
        data = await body(request, ListenerIn)
        try:
            parts = urlsplit(data.callback)
        except ValueError as exc:  # "http://[::1/x": an IPv6 host without its closing bracket
            raise InvalidRequestError.one("callback", f"not a URL ({exc}): {data.callback!r}") from None
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidRequestError.one("callback", f"an http(s) URL, got {data.callback!r}")
        try:
            listener = store(request).register(api, data.callback, data.query or "")
        except QueryError as exc:
            raise InvalidRequestError.one("query", str(exc)) from None
        location = f"{str(request.base_url).rstrip('/')}{base}/hub/{listener.id}"
        return TmfResponse(_render(listener), 201, headers={"Location": location})

    @router.get("/hub", summary="List listeners")
    def listeners(request: Request) -> TmfResponse:
        found = [_render(listener) for listener in store(request).listeners(api)]
        return TmfResponse(found, headers={"X-Total-Count": str(len(found)), "X-Result-Count": str(len(found))})

    @router.get("/hub/{listener_id}", summary="Retrieve a listener")
    def listener(request: Request, listener_id: str) -> dict[str, Any]:
        found = store(request).listener(api, listener_id)
        if found is None:
            raise NotFoundError("listener", listener_id)
        return _render(found)

    @router.delete("/hub/{listener_id}", status_code=204, summary="Unregister a listener")
    def unregister(request: Request, listener_id: str) -> Response:
        if not store(request).unregister(api, listener_id):
            raise NotFoundError("listener", listener_id)
        return Response(status_code=204)

    return router
