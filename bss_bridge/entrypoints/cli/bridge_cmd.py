"""``oss-bss bridge``: the bridge between the BSS and the OSS (its own process), its state, and the
reconciliation of the two inventories."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import typer

from bss_bridge.config.settings import load_settings
from bss_bridge.entrypoints.cli.output import FORMAT, STATE, Format, emit_json, opened, show_table
from bss_bridge.storage.bridge_store import BridgeStore
from bss_bridge.storage.incident_store import IncidentStore
from bss_bridge.tmf.common import instant

app = typer.Typer(
    help="The bridge to the OSS: orders and suspensions down, alarm and usage events up.", no_args_is_help=True
)


@app.command("run")
def run() -> None:
    """Run the bridge (its own process) until SIGTERM or Ctrl-C."""
    from bss_bridge.entrypoints import bridge_server

    settings = load_settings(STATE.config)
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(bridge_server.run(settings))


def _status() -> dict[str, Any]:
    with opened() as bss:
        store = BridgeStore(bss.session_factory)
        requests = store.requests()
        incidents = IncidentStore(bss.session_factory).incidents()
        return {
            "listeners": [{"source": n, "hub": h, "listener": s} for n, h, s in store.listeners()],
            "inbox": store.inbox_backlog(),
            "inboxFailed": [{"source": s, "eventId": e, "error": r} for s, e, r in store.inbox_failed()],
            "requests": [
                {
                    "externalId": r.key,
                    "kind": r.kind,
                    "productOrder": r.product_order_id,
                    "item": r.item_id,
                    "product": r.subscription_id,
                    "state": r.state,
                    "serviceOrder": r.service_order_id,
                    "outcome": r.outcome,
                    "attempts": r.attempts,
                }
                for r in requests
            ],
            "serviceLinks": [
                {"product": link.subscription_id, "service": link.service_id, "networkState": link.network_state}
                for link in store.links()
            ],
            "incidents": [
                {
                    "key": i.key,
                    "customer": i.customer_id,
                    "products": sorted(i.outages),
                    "openedAt": instant(i.opened_at),
                    "resolvedAt": instant(i.resolved_at),
                    "ticket": i.ticket_id,
                }
                for i in incidents
            ],
        }


@app.command("status")
def status(fmt: Format = FORMAT) -> None:
    """What the bridge holds: its hub listeners, inbox backlog, service orders owed, links, incidents."""
    found = _status()
    if fmt is Format.JSON:
        emit_json(found)
        return
    show_table("listeners", ["source", "hub", "listener"], [list(x.values()) for x in found["listeners"]])
    backlog = ", ".join(f"{k}: {v}" for k, v in found["inbox"].items()) or "empty"
    STATE.out.print(f"inbox backlog: {backlog}; given up: {len(found['inboxFailed'])}")
    show_table(
        "service orders owed to the OSS",
        ["externalId", "kind", "state", "service order", "outcome", "attempts"],
        [
            [r["externalId"], r["kind"], r["state"], r["serviceOrder"], r["outcome"], r["attempts"]]
            for r in found["requests"]
        ],
    )
    show_table(
        "products and the service realising each",
        ["product", "service", "network state"],
        [list(x.values()) for x in found["serviceLinks"]],
    )
    show_table(
        "incidents",
        ["key", "customer", "products", "opened", "resolved", "ticket"],
        [
            [i["key"], i["customer"], ", ".join(i["products"]), i["openedAt"], i["resolvedAt"], i["ticket"]]
            for i in found["incidents"]
        ],
    )


async def _reconcile(repair: bool) -> dict[str, Any]:
    from bss_bridge.entrypoints import bridge_server

    # an empty database would make every OSS service an orphan, which --repair deletes: never created here
    bridge = bridge_server.build(load_settings(STATE.config), migrate=False)
    try:
        divergences = await bridge.reconciler.compare()
        repairs: list[str] = []
        if repair and divergences:
            repairs = await bridge.reconciler.repair(divergences)
            await bridge.delivery.send_due()  # the running bridge applies their outcomes (or this one, next time)
        return {"divergences": [d.as_dict() for d in divergences], "repairs": repairs}
    finally:
        await bridge.aclose()
        bridge.ctx.bss.close()


@app.command("reconcile")
def reconcile(
    repair: bool = typer.Option(False, "--repair", help="Mend each divergence (orders owed to the OSS like any)."),
    fmt: Format = FORMAT,
) -> None:
    """Compare the BSS's products with the OSS's TMF638 services; report each divergence (and repair)."""
    found = asyncio.run(_reconcile(repair))
    if fmt is Format.JSON:
        emit_json(found)
        return
    show_table(
        "divergences between the BSS's products and the OSS's TMF638 inventory",
        ["kind", "product", "service", "BSS", "OSS"],
        [[d["kind"], d["product"], d["service"], d["bss"], d["oss"]] for d in found["divergences"]],
    )
    if not found["divergences"]:
        STATE.out.print("in sync: every product has the service it should, and no service is left over")
    for line in found["repairs"]:
        STATE.out.print(f"repaired: {line}")
