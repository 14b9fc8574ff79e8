"""``oss-agent alarms``: the alarm list, operator actions (ack, unack, clear, comment) and fault KPIs.

Changes go through the message bus like the API's, so the hub hears about them too. An alarm is
named by its TMF642 number (as listed) or its UUID.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer
from rich.markup import escape

from oss_agent.bootstrap import Agent, bootstrap
from oss_agent.config import load_settings
from oss_agent.domain import commands
from oss_agent.domain.alarm import AlarmState, Severity
from oss_agent.domain.errors import NotFoundError
from oss_agent.entrypoints.api.fault_kpi import kpis_json
from oss_agent.entrypoints.cli.output import FORMAT_OPTION, STATE, Format, emit_json, table
from oss_agent.fault.hub.tmf642 import device_of
from oss_agent.fault.hub.views import alarm_snapshots, resolve_alarm_id
from oss_agent.fault.kpi import MAX_WINDOW_DAYS, MIN_WINDOW_DAYS, compute_kpis
from oss_agent.storage.engine import make_session_factory

app = typer.Typer(help="Alarms: list, acknowledge, clear, comment; MTTR and availability.", no_args_is_help=True)

COLOURS = {
    "critical": "bold red",
    "major": "dark_orange",
    "minor": "yellow",
    "warning": "cyan",
    "indeterminate": "white",
    "cleared": "green",
}
USER_OPTION = typer.Option("cli", "--user", "-u", help="who does it (recorded on the alarm)")


def _agent() -> Agent:
    return bootstrap(load_settings(STATE.config), require_schema=True)


def _snapshots(agent: Agent) -> list[dict[str, Any]]:
    return alarm_snapshots(make_session_factory(agent.engine))


def _find(agent: Agent, given: str) -> dict[str, Any]:
    alarm_id = resolve_alarm_id(make_session_factory(agent.engine), given)
    for s in _snapshots(agent) if alarm_id else []:
        if s["id"] == alarm_id:
            return s
    raise NotFoundError(f"no alarm {given!r} (use the number shown by 'oss-agent alarms list' or the UUID)")


def _severity(value: str) -> str:
    return f"[{COLOURS.get(value, 'white')}]{escape(value)}[/]"


def _correlation(s: dict[str, Any]) -> str:
    if s["root_cause_number"] is not None:
        return f"symptom of #{s['root_cause_number']}"
    if s["symptom_numbers"]:
        return f"root of {', '.join('#' + str(n) for n in s['symptom_numbers'])}"
    return ""


@app.command("list")
def list_alarms(
    severity: Annotated[Severity | None, typer.Option("--severity", "-s", help="only alarms of this severity")] = None,
    state: Annotated[AlarmState | None, typer.Option("--state", help="only alarms in this state")] = None,
    device: str | None = typer.Option(None, "--device", "-d", help="only this device's alarms"),
    active: bool = typer.Option(False, "--active", help="only alarms not cleared"),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """List alarms, newest first."""
    agent = _agent()
    try:
        rows = alarm_snapshots(make_session_factory(agent.engine), active_only=active)
    finally:
        agent.close()
    rows = [
        s
        for s in rows
        if (severity is None or s["severity"] == severity)
        and (state is None or s["state"] == state)
        and (device is None or device_of(s["managed_object"]) == device)
    ]
    if fmt is Format.JSON:
        emit_json(rows)
        return
    STATE.out.print(
        table(
            f"Alarms ({len(rows)})",
            [
                "#",
                "severity",
                "state",
                "object",
                "cause",
                "problem",
                "raised",
                "ack",
                "repeats",
                "flapping",
                "correlation",
            ],
            [
                [
                    s["number"],
                    _severity(s["severity"]),
                    s["state"],
                    escape(s["managed_object"]),
                    escape(s["probable_cause"]),
                    escape(s["specific_problem"]),
                    s["raised_at"][:19],
                    escape(s["ack_user"] or ""),
                    s["repeat_count"],
                    f"[magenta]yes ({s['occurrences_in_window']})[/]" if s["flapping"] else "",
                    _correlation(s),
                ]
                for s in rows
            ],
        )
    )


@app.command("show")
def show(alarm: str = typer.Argument(..., help="number or UUID"), fmt: Format = FORMAT_OPTION) -> None:
    """One alarm with its comments."""
    agent = _agent()
    try:
        s = _find(agent, alarm)
    finally:
        agent.close()
    if fmt is Format.JSON:
        emit_json(s)
        return
    rows = [[k, _severity(v) if k == "severity" else escape(str(v))] for k, v in s.items() if k != "comments"]
    rows += [[f"comment {c['at'][:19]}", escape(f"{c['author']}: {c['text']}")] for c in s["comments"]]
    STATE.out.print(table(f"Alarm #{s['number']}", ["field", "value"], rows))


def _act(given: str, make: Any, verb: str, fmt: Format) -> None:
    agent = _agent()
    try:
        s = _find(agent, given)
        result = asyncio.run(agent.bus.handle(make((s["id"],)))).result
        after = _find(agent, given)
    finally:
        agent.close()
    changed = bool(result)
    if fmt is Format.JSON:
        emit_json({"alarm": after, "changed": changed})
        return
    STATE.out.print(f"alarm #{after['number']} {verb}" if changed else f"alarm #{after['number']} unchanged")


@app.command("ack")
def ack(alarm: str, user: str = USER_OPTION, fmt: Format = FORMAT_OPTION) -> None:
    """Acknowledge an alarm."""
    _act(alarm, lambda ids: commands.AcknowledgeAlarms(ids, user, datetime.now(UTC)), "acknowledged", fmt)


@app.command("unack")
def unack(alarm: str, user: str = USER_OPTION, fmt: Format = FORMAT_OPTION) -> None:
    """Withdraw an acknowledgement."""
    _act(alarm, lambda ids: commands.UnacknowledgeAlarms(ids, user, datetime.now(UTC)), "unacknowledged", fmt)


@app.command("clear")
def clear(alarm: str, user: str = USER_OPTION, fmt: Format = FORMAT_OPTION) -> None:
    """Clear an alarm by hand (clearing a cleared alarm changes nothing)."""
    _act(alarm, lambda ids: commands.ClearAlarmsById(ids, user, datetime.now(UTC)), "cleared", fmt)


@app.command("comment")
def comment(alarm: str, text: str, user: str = USER_OPTION, fmt: Format = FORMAT_OPTION) -> None:
    """Add a comment to an alarm."""
    _act(alarm, lambda ids: commands.CommentAlarms(ids, user, text, datetime.now(UTC)), "commented", fmt)


def _pct(value: float) -> str:
    colour = "green" if value >= 0.999 else "yellow" if value >= 0.99 else "red"
    return f"[{colour}]{value * 100:.3f}%[/]"


@app.command("kpis")
def kpis(
    days: float = typer.Option(7.0, "--days", min=MIN_WINDOW_DAYS, max=MAX_WINDOW_DAYS, help="window length"),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """MTTR per device (root causes only) and availability per device and interface."""
    agent = _agent()
    end = datetime.now(UTC)
    try:
        data = kpis_json(compute_kpis(make_session_factory(agent.engine), end - timedelta(days=days), end))
    finally:
        agent.close()
    if fmt is Format.JSON:
        emit_json(data)
        return
    STATE.out.print(
        table(
            f"Devices, last {days:g} days",
            ["device", "availability", "MTTR", "repairs"],
            [
                [
                    escape(d["device"]),
                    _pct(d["availability"]),
                    "" if d["mttrSeconds"] is None else f"{d['mttrSeconds']:.0f}s",
                    d["repairs"],
                ]
                for d in data["devices"]
            ],
        )
    )
    degraded = [i for i in data["interfaces"] if i["availability"] < 1.0]
    STATE.out.print(
        table(
            f"Interfaces with outages ({len(degraded)} of {len(data['interfaces'])})",
            ["interface", "availability"],
            [[escape(i["interface"]), _pct(i["availability"])] for i in degraded],
        )
    )
