"""``oss-agent order``: submit a TMF641 service order (with a dry run, or waiting for it), list, show, cancel.

``submit --wait`` runs the order in this process, printing each device's progress, unless another
agent (the daemon) took it first: then it follows the order in the database until it ends. Before
running anything it finishes what a killed agent left in progress (``order recover`` does only that).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
import yaml
from rich.markup import escape

from adapters.blocking import BlockingRunner
from adapters.defaults import build_registry
from oss_agent.bootstrap import Agent, bootstrap
from oss_agent.config import load_settings
from oss_agent.domain.catalog import OrderRejectedError
from oss_agent.domain.commands import CancelServiceOrder
from oss_agent.domain.errors import NotFoundError
from oss_agent.domain.service_order import FINAL, OrderState
from oss_agent.entrypoints.cli.output import FORMAT_OPTION, STATE, Format, emit_json, table
from oss_agent.errors import ConfigError, ConfigProblem
from oss_agent.provisioning import operations
from oss_agent.provisioning.recovery import recover
from oss_agent.provisioning.request import read_order
from oss_agent.provisioning.views import order_view, shown_error

app = typer.Typer(help="Service orders (TMF641): submit, list, show, cancel.", no_args_is_help=True)
T = TypeVar("T")
COLOURS = {"completed": "green", "failed": "red", "rejected": "red", "cancelled": "yellow", "inProgress": "cyan"}
POLL_S = 0.5


def with_agent(work: Callable[[Agent], Awaitable[T]]) -> T:
    """Run ``work`` on an agent whose drivers reach the devices; everything is closed afterwards.
    Its database must exist at this version's schema: an order is not where an agent starts."""
    settings = load_settings(STATE.config)
    runner = BlockingRunner(settings.worker_threads)  # its threads start with the first device call
    agent = bootstrap(settings, registry=build_registry(runner), require_schema=True, runner=runner)

    async def run() -> T:
        try:
            return await work(agent)
        finally:
            if agent.provisioning is not None:
                await agent.provisioning.close()

    try:
        return asyncio.run(run())
    finally:
        runner.shutdown()
        agent.close()


def _read(file: Path) -> Any:
    try:
        text = file.read_text()
    except OSError as exc:
        raise ConfigError([ConfigProblem(str(file), "", f"cannot read the order: {exc.strerror}")]) from exc
    try:
        return json.loads(text) if file.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ConfigError([ConfigProblem(str(file), "", f"not a JSON/YAML ServiceOrder_Create: {exc}")]) from exc


def _state(value: str) -> str:
    return f"[{COLOURS.get(value, 'white')}]{escape(value)}[/]"


def _progress(fmt: Format) -> Callable[[str, str, str], None]:
    def say(device: str, phase: str, detail: str) -> None:
        line = f"  {device:<16} {phase:<14} {detail}"
        if fmt is Format.JSON:
            typer.echo(line, err=True)
        else:
            STATE.out.print(escape(line))

    return say


async def _follow(agent: Agent, order_id: str, say: Callable[[str, str, str], None]) -> None:
    """Print another agent's progress on the order until it ends."""
    assert agent.provisioning is not None
    seen: dict[str, str] = {}
    while True:
        with agent.provisioning.uow() as uow:
            order = uow.orders.get(order_id)
            works = uow.resource_orders.of_order(order_id)
        for ro in works:
            if seen.get(ro.device) != ro.phase.value:
                seen[ro.device] = ro.phase.value
                say(ro.device, ro.phase.value, shown_error(ro.error) or "")
        if order is None or order.state in FINAL:
            return
        await asyncio.sleep(POLL_S)


def _print_order(view: dict[str, Any], fmt: Format) -> None:
    if fmt is Format.JSON:
        emit_json(view)
        return
    STATE.out.print(
        f"order {view['id']}: {_state(view['state'])}"
        + (f" (externalId {escape(view['external_id'])})" if view["external_id"] else "")
    )
    rows = [
        [escape(i["id"]), i["action"], escape(i["spec"]), i["service_id"] or "", _state(i["state"]), escape(i["error"])]
        for i in view["items"]
    ]  # the client's words (item ids, the specification asked for): no Rich markup read
    STATE.out.print(table("Items", ["item", "action", "specification", "service", "state", "error"], rows))
    if view["resource_orders"]:
        rows = [
            [
                r["device"],
                r["phase"],
                len(r["change_cli"]),
                "yes" if r["change_netconf"] else "",
                escape(r["error"] or ""),
            ]
            for r in view["resource_orders"]
        ]
        STATE.out.print(
            table("Devices (TMF652 resource orders)", ["device", "phase", "CLI lines", "NETCONF", "error"], rows)
        )
    if view["checks"]:
        rows = [
            [
                c["phase"],
                escape(c["label"]),
                c["expected"],
                "[green]ok[/]" if c["ok"] else "[red]NOT OK[/]",
                escape(c["detail"]),
            ]
            for c in view["checks"]
        ]
        STATE.out.print(table("Checks", ["phase", "check", "expected", "result", "seen"], rows))
    for error in view["errors"]:
        STATE.out.print(f"[red]error:[/red] {escape(str(error.get('referenceError', '')))} {escape(error['message'])}")


def _view(agent: Agent, order_id: str) -> dict[str, Any]:
    assert agent.provisioning is not None
    with agent.provisioning.uow() as uow:
        order = uow.orders.get(order_id)
        if order is None:
            raise NotFoundError(f"no service order {order_id!r}")
        return order_view(uow, order)


@app.command()
def submit(
    file: Annotated[Path, typer.Argument(help="a TMF641 ServiceOrder_Create as JSON or YAML")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show each device's change; change nothing")] = False,
    wait: Annotated[bool, typer.Option("--wait", help="run it now and wait for the result, device by device")] = False,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Submit a service order; rejected orders are stored too, with every reason."""
    command = read_order(_read(file))

    async def work(agent: Agent) -> int:
        assert agent.provisioning is not None
        if dry_run:
            report = await operations.dry_run(agent.provisioning, command)
            _print_dry_run(report, fmt)
            return 1 if report.problems else 0
        if wait:
            await recover(agent.provisioning.activator, _progress(fmt))
        try:
            accepted = (await agent.bus.handle(command)).result
        except OrderRejectedError as exc:
            _print_order(_view(agent, exc.order_id), fmt)
            return 1
        if not accepted.created and fmt is not Format.JSON:
            STATE.out.print(
                f"an order with externalId {command.external_id} exists: {accepted.order_id} (not submitted again)"
            )
        if wait:
            say = _progress(fmt)
            start = command.requested_start
            while start is not None and start > datetime.now(UTC):  # noqa: ASYNC110 - waiting for a wall-clock time
                await asyncio.sleep(min(POLL_S * 4, (start - datetime.now(UTC)).total_seconds()))
            state = await agent.provisioning.activator.execute(accepted.order_id, progress=say)
            if state not in {s.value for s in FINAL}:
                await _follow(agent, accepted.order_id, say)
        view = _view(agent, accepted.order_id)
        _print_order(view, fmt)
        return 0 if view["state"] in (OrderState.COMPLETED, OrderState.ACKNOWLEDGED, OrderState.IN_PROGRESS) else 1

    code = with_agent(work)
    if code:
        raise typer.Exit(code)


def _print_dry_run(report: operations.DryRun, fmt: Format) -> None:
    if fmt is Format.JSON:
        emit_json(report.as_dict())
        return
    for problem in report.problems:
        STATE.out.print(f"[red]rejected:[/red] {escape(str(problem))}")
    for item in report.items:
        values = ", ".join(f"{k}={v}" for k, v in item["pool_values"].items())
        STATE.out.print(
            f"item {item['item']}: {item['action']} {item['spec']} -> {item['state']} on {', '.join(item['devices'])}"
            + (f"; pool values {values}" if values else "")
        )
    for device in report.devices:
        STATE.out.print(
            f"[bold]== {device.device}[/bold] ({device.platform})"
            + (f" [red]{escape(device.error)}[/]" if device.error else "")
        )
        for line in device.cli:
            STATE.out.print(f"  {escape(line)}")
        if device.netconf:
            STATE.out.print(f"  NETCONF edit-config: {escape(device.netconf)}")
        if not device.cli and not device.netconf and not device.error:
            STATE.out.print("  (no change)")


@app.command("list")
def list_orders(
    state: Annotated[OrderState | None, typer.Option("--state", help="only orders in this state")] = None,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Orders, newest first (rejected ones included)."""

    async def work(agent: Agent) -> list[dict[str, Any]]:
        assert agent.provisioning is not None
        with agent.provisioning.uow() as uow:
            return [order_view(uow, o, deep=False) for o in uow.orders.list(states=[state] if state else ())]

    views = with_agent(work)
    if fmt is Format.JSON:
        emit_json(views)
        return
    rows = [
        [
            v["id"],
            escape(v["external_id"] or ""),  # the client's words: no Rich markup read
            _state(v["state"]),
            escape(", ".join(f"{i['action']} {i['spec']}" for i in v["items"])),
            v["requested_at"][:19],
            (v["completed_at"] or "")[:19],
        ]
        for v in views
    ]
    STATE.out.print(
        table(f"Service orders ({len(views)})", ["id", "externalId", "state", "items", "ordered", "ended"], rows)
    )


@app.command()
def show(order_id: str, fmt: Format = FORMAT_OPTION) -> None:
    """One order: items, each device's resource order and phase, the checks."""

    async def work(agent: Agent) -> dict[str, Any]:
        return _view(agent, order_id)

    _print_order(with_agent(work), fmt)


@app.command()
def cancel(
    order_id: str,
    reason: Annotated[str, typer.Option("--reason", help="recorded with the cancellation")] = "",
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Cancel an order whose commit has not started (after that, the request is refused and recorded)."""

    async def work(agent: Agent) -> dict[str, Any]:
        return dict((await agent.bus.handle(CancelServiceOrder(order_id, reason))).result)

    record = with_agent(work)
    if fmt is Format.JSON:
        emit_json(record)
    elif record["state"] == "done":
        STATE.out.print(f"order {order_id} cancelled")
    else:
        STATE.out.print(f"[red]not cancelled:[/red] {escape(record['message'])}")
    if record["state"] != "done":
        raise typer.Exit(1)


@app.command("recover")
def recover_cmd(fmt: Format = FORMAT_OPTION) -> None:
    """Finish what a killed agent left: complete or roll back every order it was running."""

    async def work(agent: Agent) -> dict[str, list[str]]:
        assert agent.provisioning is not None
        done = await recover(agent.provisioning.activator, _progress(fmt))
        return dict(done.__dict__)

    result = with_agent(work)
    if fmt is Format.JSON:
        emit_json(result)
    else:
        STATE.out.print(", ".join(f"{k}: {len(v)}" for k, v in result.items()))
