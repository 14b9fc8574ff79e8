"""``oss-agent service``: the service inventory (TMF638) and what is done to a live service;
``oss-agent pool``: the resource pools and who holds what.

``check`` compares each live service's renderings with the running configurations (drift raises an
alarm on the service, a clean check clears it); ``redeploy``, ``suspend`` and ``resume`` are modify
orders run at once, like ``order submit --wait``.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from oss_agent.bootstrap import Agent
from oss_agent.domain.catalog import OrderRejectedError
from oss_agent.domain.errors import NotFoundError
from oss_agent.domain.service import Service
from oss_agent.domain.service_order import OrderState
from oss_agent.entrypoints.cli.order_cmd import _print_order, _progress, _state, _view, with_agent
from oss_agent.entrypoints.cli.output import FORMAT_OPTION, STATE, Format, emit_json, table
from oss_agent.provisioning import operations
from oss_agent.provisioning.recovery import recover
from oss_agent.provisioning.views import service_view
from oss_agent.service_layer.unit_of_work import UnitOfWork

app = typer.Typer(help="Services (TMF638): list, show, check, redeploy, suspend, resume.", no_args_is_help=True)
pool_app = typer.Typer(help="Resource pools: capacity and allocations.", no_args_is_help=True)
ALL = Annotated[bool, typer.Option("--all", help="terminated services too")]


def _service(uow: UnitOfWork, service_id: str) -> Service:
    service = uow.services.get(service_id)
    if service is None:
        raise NotFoundError(f"no service {service_id!r}")
    return service


@app.command("list")
def list_services(all_: ALL = False, fmt: Format = FORMAT_OPTION) -> None:
    """Services (live ones unless --all), newest first."""

    async def work(agent: Agent) -> list[dict[str, Any]]:
        assert agent.provisioning is not None
        states = () if all_ else ("active", "inactive", "reserved")
        with agent.provisioning.uow() as uow:
            return [service_view(uow, s) for s in uow.services.list(states=states)]

    views = with_agent(work)
    if fmt is Format.JSON:
        emit_json(views)
        return
    rows = [
        [
            v["id"],
            escape(v["name"]),
            v["spec_id"],
            _state(v["state"]),
            {True: "[green]yes[/]", False: "[red]NO[/]", None: ""}[v["in_sync"]],
            escape(", ".join(v["supporting_resources"])),
        ]
        for v in views
    ]
    STATE.out.print(
        table(f"Services ({len(views)})", ["id", "name", "specification", "state", "in sync", "resources"], rows)
    )


@app.command()
def show(service_id: str, fmt: Format = FORMAT_OPTION) -> None:
    """One service: characteristics, resources, its renderings per device, the last checks."""

    async def work(agent: Agent) -> dict[str, Any]:
        assert agent.provisioning is not None
        with agent.provisioning.uow() as uow:
            return service_view(uow, _service(uow, service_id))

    view = with_agent(work)
    if fmt is Format.JSON:
        emit_json(view)
        return
    STATE.out.print(f"service {view['id']} {escape(view['name'])}: {_state(view['state'])} ({view['spec_id']})")
    STATE.out.print(
        table("Characteristics", ["name", "value"], [[k, escape(str(v))] for k, v in view["characteristics"].items()])
    )
    for r in view["renderings"]:
        STATE.out.print(f"[bold]{r['device']} {r['part']}[/bold]\n{escape(r['rendering'])}")
    rows = [
        [escape(c["label"]), c["expected"], "[green]ok[/]" if c["ok"] else "[red]NOT OK[/]", escape(c["detail"])]
        for c in view["checks"]
    ]
    STATE.out.print(table("Last checks", ["check", "expected", "result", "seen"], rows))


@app.command()
def check(
    service_id: Annotated[str | None, typer.Argument(help="one service (default: every live one)")] = None,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Compare each live service's renderings with the running configurations; drift raises an alarm."""

    async def work(agent: Agent) -> list[operations.SyncReport]:
        assert agent.provisioning is not None
        return await operations.check_services(agent.provisioning, agent.bus, service_id)

    reports = with_agent(work)
    if fmt is Format.JSON:
        emit_json([r.__dict__ for r in reports])
    else:
        rows = [
            [
                r.service_id,
                escape(r.name),
                "[green]in sync[/]" if r.in_sync else "[red]OUT OF SYNC[/]",
                escape("; ".join(f"{d}: {', '.join(m)}" for d, m in r.missing.items()) or (r.error or "")),
            ]
            for r in reports
        ]
        STATE.out.print(table("Configuration check", ["service", "name", "status", "missing"], rows))
    if not all(r.in_sync for r in reports):
        raise typer.Exit(1)


def _modify(service_id: str, state: str | None, note: str, fmt: Format) -> None:
    async def work(agent: Agent) -> dict[str, Any]:
        assert agent.provisioning is not None
        with agent.provisioning.uow() as uow:
            service = _service(uow, service_id)
        await recover(agent.provisioning.activator, _progress(fmt))
        command = operations.service_order(service_id, service.spec_id, state=state, note=note)
        try:
            accepted = (await agent.bus.handle(command)).result
        except OrderRejectedError as exc:
            return _view(agent, exc.order_id)
        await agent.provisioning.activator.execute(accepted.order_id, progress=_progress(fmt))
        return _view(agent, accepted.order_id)

    view = with_agent(work)
    _print_order(view, fmt)
    if view["state"] != OrderState.COMPLETED:
        raise typer.Exit(1)


@app.command()
def redeploy(service_id: str, fmt: Format = FORMAT_OPTION) -> None:
    """Put back what is missing of the service's configuration (a modify order changing nothing)."""
    _modify(service_id, None, f"redeploy {service_id}", fmt)


@app.command()
def suspend(service_id: str, fmt: Format = FORMAT_OPTION) -> None:
    """Stop the service carrying traffic (active -> inactive, a modify order)."""
    _modify(service_id, "inactive", f"suspend {service_id}", fmt)


@app.command()
def resume(service_id: str, fmt: Format = FORMAT_OPTION) -> None:
    """Let a suspended service carry traffic again (inactive -> active, a modify order)."""
    _modify(service_id, "active", f"resume {service_id}", fmt)


@pool_app.command("list")
def list_pools(fmt: Format = FORMAT_OPTION) -> None:
    """Each pool: its range, capacity, how much is held, and by which service for what."""

    async def work(agent: Agent) -> list[dict[str, Any]]:
        assert agent.provisioning is not None
        ctx = agent.provisioning
        held = ctx.pools.allocations()
        out = []
        for name, pool in sorted(ctx.catalog.pools.items()):
            mine = [a for a in held if a.pool == name]
            out.append(
                {
                    "pool": name,
                    "kind": pool.kind,
                    "range": pool.prefix or f"{pool.first}-{pool.last}",
                    "size": pool.size,
                    "capacity": pool.capacity,
                    "used": len(mine),
                    "free": pool.capacity - len(mine),
                    "description": pool.description,
                    "allocations": [
                        {
                            "value": a.value,
                            "service": a.service_id,
                            "purpose": a.purpose,
                            "allocated_at": a.allocated_at.isoformat(),
                        }
                        for a in mine
                    ],
                }
            )
        return out

    pools = with_agent(work)
    if fmt is Format.JSON:
        emit_json(pools)
        return
    STATE.out.print(
        table(
            "Pools",
            ["pool", "kind", "range", "capacity", "used", "free"],
            [[p["pool"], p["kind"], p["range"], p["capacity"], p["used"], p["free"]] for p in pools],
        )
    )
    rows = [
        [p["pool"], escape(str(a["value"])), a["service"], escape(str(a["purpose"])), a["allocated_at"][:19]]
        for p in pools
        for a in p["allocations"]
    ]
    STATE.out.print(table("Allocations", ["pool", "value", "service", "purpose", "since"], rows))
