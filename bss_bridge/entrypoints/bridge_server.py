"""``oss-bss bridge run``: the bridge as its own process, beside the agent and the BSS.

One asyncio loop: the BSS's database migrated (the bridge keeps its state there, in ``bss_bridge_*``
tables, and acts on the BSS through its service layer), a small HTTP listener for the hubs'
notifications (``bridge_host:bridge_port``), the registrations on both sides' hubs (retried until
each side answers), one worker per source draining the inbox in order, the delivery of owed
service orders, the safety-net poll of both sides every ``bridge_poll_every_s`` and the pruning of
old inbox rows. SIGTERM and SIGINT stop it cleanly; a kill -9 loses nothing (see ``docs``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hmac
import logging
import signal
from collections.abc import Awaitable, Callable, Generator
from datetime import timedelta

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bss_bridge.bootstrap import Bss, bootstrap
from bss_bridge.bridge.alarms import TicketDesk
from bss_bridge.bridge.context import BridgeContext
from bss_bridge.bridge.core import Bridge
from bss_bridge.bridge.failpoints import Failpoints
from bss_bridge.bridge.listeners import register
from bss_bridge.bridge.tickets import BssTicketDesk
from bss_bridge.config.settings import BssSettings
from bss_bridge.errors import ConfigError
from bss_bridge.oss.client import OssApi, TmfClient
from bss_bridge.storage.bridge_store import BridgeStore

logger = logging.getLogger(__name__)
RECHECK_LISTENERS_S = 60.0
PRUNE_EVERY_S = 3600.0
INBOX_RETENTION = timedelta(days=7)


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the process owns SIGTERM/SIGINT."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def ticket_desk(bss: Bss) -> TicketDesk:
    """The customer-facing trouble tickets (TMF621) the bridge opens and resolves per incident: the
    one place they are wired (this BSS's own, through its service layer)."""
    return BssTicketDesk(bss)


def build(settings: BssSettings, failpoints: Failpoints | None = None, *, migrate: bool = True) -> Bridge:
    """A bridge on ``settings``: the BSS's database (migrated; without ``migrate`` it must be at this
    version's schema already), the OSS's and the BSS's APIs."""
    if settings.oss_url is None:
        raise ConfigError(["oss_url: the bridge needs the OSS's API: set it in the settings (OSS_AGENT_BSS_OSS_URL)"])
    bss = bootstrap(settings, upgrade_schema=migrate, require_schema=not migrate)
    oss_token = settings.oss_token.get_secret_value() if settings.oss_token else None
    bss_token = settings.api_token.get_secret_value() if settings.api_token else None
    oss = OssApi(TmfClient("the OSS", settings.oss_url, oss_token, max(settings.oss_timeout_s, 10.0)))
    ctx = BridgeContext(bss, BridgeStore(bss.session_factory), oss, settings, failpoints or Failpoints())
    return Bridge(ctx, TmfClient("the BSS", settings.base_url, bss_token, 10.0), ticket_desk(bss))


def listener_app(bridge: Bridge, wake: Callable[[str], None]) -> Starlette:
    token = bridge.ctx.store.token(bridge.ctx.now())

    async def notified(request: Request) -> Response:
        source = request.path_params["source"]
        if not hmac.compare_digest(str(request.path_params["token"]), token):
            return Response(status_code=404)
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"code": "400", "reason": "the body is not JSON"}, status_code=400)
        if not bridge.inbox.receive(source, body) and source not in bridge.inbox.handlers:
            return Response(status_code=404)
        wake(source)
        return Response(status_code=204)

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "up", "backlog": bridge.ctx.store.inbox_backlog()})

    return Starlette(
        routes=[
            Route("/listener/{source}/{token}", notified, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ]
    )


async def _every(
    stop: asyncio.Event,
    seconds: float,
    work: Callable[[], Awaitable[object]],
    name: str,
    wake: asyncio.Event | None = None,
) -> None:
    """Run ``work`` now and then every ``seconds`` (or when ``wake`` is set) until ``stop``."""
    while not stop.is_set():
        try:
            await work()
        except Exception:
            logger.exception("bridge %s failed; trying again", name)
        waiters = [asyncio.ensure_future(stop.wait())]
        if wake is not None:
            waiters.append(asyncio.ensure_future(wake.wait()))
        _, pending = await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        if wake is not None:
            wake.clear()


async def _registrations(bridge: Bridge, stop: asyncio.Event) -> None:
    clients = {"oss": bridge.ctx.oss.client, "bss": bridge.bss_api}
    delay = 1.0
    while not stop.is_set():
        missing = []
        for source in bridge.sources:
            try:
                await register(bridge.ctx, clients[source.side], source)
            except Exception as exc:
                missing.append(f"{source.name} ({type(exc).__name__}: {exc})")
        if missing:
            logger.info("bridge not yet listening to %s; retry in %.0f s", ", ".join(missing), delay)
        wait = delay if missing else RECHECK_LISTENERS_S
        delay = min(delay * 2, 30.0) if missing else 1.0
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), wait)


async def run(
    settings: BssSettings, *, stop: asyncio.Event | None = None, on_ready: Callable[[Bridge], None] | None = None
) -> None:
    """Run the bridge until ``stop`` is set or SIGTERM/SIGINT arrives."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    bridge = build(settings)
    wakes = {source.name: asyncio.Event() for source in bridge.sources}
    send = asyncio.Event()

    def wake(source: str) -> None:
        if source in wakes:
            wakes[source].set()

    server = _Server(
        uvicorn.Config(
            listener_app(bridge, wake),
            host=settings.bridge_host,
            port=settings.bridge_port,
            log_level="warning",
            lifespan="off",
        )
    )
    tasks: list[asyncio.Task[None]] = []
    try:
        api = asyncio.create_task(server.serve())
        while not server.started and not api.done():  # noqa: ASYNC110 - uvicorn exposes only a flag
            await asyncio.sleep(0.05)
        if api.done():
            api.result()

        async def drain(name: str) -> None:
            if await bridge.inbox.drain(name):
                send.set()

        async def deliver() -> None:
            await bridge.delivery.send_due()

        async def prune() -> None:
            bridge.ctx.store.prune_inbox(bridge.ctx.now() - INBOX_RETENTION)

        tasks = [
            api,
            asyncio.create_task(_registrations(bridge, stop)),
            asyncio.create_task(_every(stop, settings.bridge_poll_every_s, bridge.poll, "poll")),
            asyncio.create_task(_every(stop, 0.5, deliver, "delivery", send)),
            asyncio.create_task(_every(stop, PRUNE_EVERY_S, prune, "pruning")),
        ]
        tasks += [
            asyncio.create_task(_every(stop, 1.0, functools.partial(drain, name), f"inbox {name}", event))
            for name, event in wakes.items()
        ]
        logger.info(
            "bridge running: listening on %s, OSS %s, BSS %s", settings.bridge_url, settings.oss_url, settings.base_url
        )
        if on_ready is not None:
            on_ready(bridge)
        await stop.wait()
    finally:
        server.should_exit = True
        stop.set()
        for task in tasks:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 10)
        await bridge.aclose()
        bridge.ctx.bss.close()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        logger.info("bridge stopped")
