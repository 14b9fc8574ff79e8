"""TMF642's event hub: register and remove listeners; delivery is the dispatcher's job.

A subscription is stored (it outlives restarts) and receives the events committed after it was
created that pass its ``query``; a query we could not apply is refused with 400 rather than
ignored, so a listener never gets more than it asked for.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from oss_agent.entrypoints.api.tmf import TmfError
from oss_agent.fault.hub.store import HubStore, Subscription
from oss_agent.fault.hub.tmf642 import BASE, KNOWN_EVENT_TYPES, QueryError

router = APIRouter(prefix=BASE, tags=["TMF642 event hub"])


_EVENT = f"({'|'.join(sorted(KNOWN_EVENT_TYPES))})"
_EVENT_TYPE = r"(event\.alarm\.|alarm\.)?eventType="
_PAIR = rf"({_EVENT_TYPE}{_EVENT}(,{_EVENT})*|(?!{_EVENT_TYPE})[^=&]+=[^&]*)"


# RFC 3986's IPv6address, so the pattern accepts exactly the literals urlsplit does
_H16, _OCTET = "[0-9A-Fa-f]{1,4}", r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_LS32 = rf"({_H16}:{_H16}|{_OCTET}(\.{_OCTET}){{3}})"
_IPV6 = "|".join(
    [rf"({_H16}:){{6}}{_LS32}", rf"::({_H16}:){{5}}{_LS32}"]
    + [rf"(({_H16}:){{0,{n - 1}}}{_H16})?::({_H16}:){{{4 - n}}}{_LS32}" for n in range(1, 5)]
    + [rf"(({_H16}:){{0,4}}{_H16})?::{_LS32}", rf"(({_H16}:){{0,5}}{_H16})?::{_H16}", rf"(({_H16}:){{0,6}}{_H16})?::"]
)
# blanks spelled out: \s differs between Python's re (this model's engine) and ECMA regexes (clients')
CALLBACK = rf"^https?://(\[({_IPV6})\]|[^/?#@\[\]: \t\n\r\f\v]+)(:[0-9]{{1,5}})?([/?#]|$)"


class EventSubscriptionInput(BaseModel):
    model_config = ConfigDict(regex_engine="python-re")  # the query's pattern looks ahead
    callback: str = Field(
        pattern=CALLBACK,
        description="an http(s) URL the events are POSTed to",
    )
    query: str | None = Field(
        None,
        pattern=rf"^{_PAIR}(&{_PAIR})*$",
        description="name=value pairs joined by '&' (commas: any of); eventType one of the TMF642 alarm events",
    )


def _store(request: Request) -> HubStore:
    return HubStore(request.app.state.session_factory)


def _body(sub: Subscription) -> dict[str, Any]:
    return {"id": sub.id, "callback": sub.callback, "query": sub.query}


@router.post("/hub", status_code=201, summary="Register a listener")
def register_listener(request: Request, response: Response, data: EventSubscriptionInput) -> dict[str, Any]:
    try:
        parts = urlsplit(data.callback)
    except ValueError as exc:
        raise TmfError(400, f"callback is not a URL: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise TmfError(400, f"callback must be an http(s) URL, got {data.callback!r}")
    try:
        sub = _store(request).subscribe(data.callback, data.query or "")
    except QueryError as exc:
        raise TmfError(400, str(exc)) from exc
    response.headers["Location"] = f"{str(request.base_url).rstrip('/')}{BASE}/hub/{sub.id}"
    return _body(sub)


@router.get("/hub", summary="List listeners")
def list_listeners(request: Request, response: Response) -> list[dict[str, Any]]:
    subs = [_body(s) for s in _store(request).subscriptions()]
    response.headers.update({"X-Total-Count": str(len(subs)), "X-Result-Count": str(len(subs))})
    return subs


@router.get("/hub/{subscription_id}", summary="Retrieve a listener")
def retrieve_listener(request: Request, subscription_id: str) -> dict[str, Any]:
    sub = _store(request).get(subscription_id)
    if sub is None:
        raise TmfError(404, f"no listener with id {subscription_id!r}")
    return _body(sub)


@router.delete("/hub/{subscription_id}", status_code=204, summary="Unregister a listener")
def unregister_listener(request: Request, subscription_id: str) -> Response:
    if not _store(request).unsubscribe(subscription_id):
        raise TmfError(404, f"no listener with id {subscription_id!r}")
    return Response(status_code=204)
