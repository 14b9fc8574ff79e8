"""The event hub every TMF API here offers: register, list, retrieve and remove listeners.

A subscription is stored (it outlives restarts) and receives the events committed after it was
created that pass its ``query``; a query the hub could not apply is refused with 400 rather than
ignored, so a listener never gets more than it asked for. Delivery is the dispatcher's job.

The body's schema carries the rules the hub applies (an http(s) callback, name=value pairs, the
API's own event types), so the OpenAPI document says what the server accepts.
"""

from __future__ import annotations

from collections.abc import Set
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, create_model

from oss_agent.entrypoints.api.tmf import TmfError
from oss_agent.fault.hub.store import HubApi, HubStore, Subscription
from oss_agent.fault.hub.tmf642 import QueryError

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
    model_config = ConfigDict(regex_engine="python-re")  # a query's pattern looks ahead
    callback: str = Field(min_length=1)
    query: str | None = None


def _body(sub: Subscription) -> dict[str, Any]:
    return {"id": sub.id, "callback": sub.callback, "query": sub.query}


def subscription_input(name: str, event_types: Set[str], subject: str) -> type[EventSubscriptionInput]:
    """The body of ``POST /hub`` for an API whose events are ``event_types`` about a ``subject``
    (``alarm``, ``resource``): the query's ``eventType`` is one of them, its other keys any attribute."""
    event = f"({'|'.join(sorted(event_types))})"
    event_type = rf"(event\.{subject}\.|{subject}\.)?eventType="
    pair = rf"({event_type}{event}(,{event})*|(?!{event_type})[^=&]+=[^&]*)"
    return create_model(
        name,
        __base__=EventSubscriptionInput,
        callback=(str, Field(pattern=CALLBACK, description="an http(s) URL the events are POSTed to")),
        query=(
            str | None,
            Field(
                None,
                pattern=rf"^{pair}(&{pair})*$",
                description="name=value pairs joined by '&' (commas: any of); eventType one of "
                + ", ".join(sorted(event_types)),
            ),
        ),
    )


def hub_router(
    base: str, hub: HubApi, tag: str, body: type[EventSubscriptionInput] = EventSubscriptionInput
) -> APIRouter:
    """The ``{base}/hub`` routes of one API, over its :class:`HubApi`; ``body`` is its subscription's
    schema (see :func:`subscription_input`)."""
    router = APIRouter(prefix=base, tags=[tag])

    def store(request: Request) -> HubStore:
        return HubStore(request.app.state.session_factory, hub=hub)

    def register_listener(request: Request, response: Response, data: EventSubscriptionInput) -> dict[str, Any]:
        try:
            parts = urlsplit(data.callback)
        except ValueError as exc:
            raise TmfError(400, f"callback is not a URL: {exc}") from exc
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise TmfError(400, f"callback must be an http(s) URL, got {data.callback!r}")
        try:
            sub = store(request).subscribe(data.callback, data.query or "")
        except QueryError as exc:
            raise TmfError(400, str(exc)) from exc
        response.headers["Location"] = f"{str(request.base_url).rstrip('/')}{base}/hub/{sub.id}"
        return _body(sub)

    register_listener.__annotations__["data"] = body  # this API's schema (the annotation above is its base)
    router.post("/hub", status_code=201, summary="Register a listener")(register_listener)

    @router.get("/hub", summary="List listeners")
    def list_listeners(request: Request, response: Response) -> list[dict[str, Any]]:
        subs = [_body(s) for s in store(request).subscriptions()]
        response.headers.update({"X-Total-Count": str(len(subs)), "X-Result-Count": str(len(subs))})
        return subs

    @router.get("/hub/{subscription_id}", summary="Retrieve a listener")
    def retrieve_listener(request: Request, subscription_id: str) -> dict[str, Any]:
        sub = store(request).get(subscription_id)
        if sub is None:
            raise TmfError(404, f"no listener with id {subscription_id!r}")
        return _body(sub)

    @router.delete("/hub/{subscription_id}", status_code=204, summary="Unregister a listener")
    def unregister_listener(request: Request, subscription_id: str) -> Response:
        if not store(request).unsubscribe(subscription_id):
            raise TmfError(404, f"no listener with id {subscription_id!r}")
        return Response(status_code=204)

    return router
