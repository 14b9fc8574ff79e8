"""What every ``oss-bss`` command shares: its options, tables for people, JSON for scripts, and the
BSS it works on (bootstrapped once per command from the settings).

Only the commands that bring a BSS into being create or migrate its database (``db upgrade``,
``run``, ``catalog load``); every other one opens it as it is, and refuses one that is missing or
not at this version's schema: a mistyped URL or data directory used to create an empty database
and list nothing, exit 0, as if the BSS had no invoices."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import simplejson
import typer
from rich.console import Console
from rich.table import Table

from bss_bridge.bootstrap import Bss, bootstrap
from bss_bridge.config.settings import load_settings
from bss_bridge.domain.commands import Command
from bss_bridge.domain.errors import InvalidRequestError, Problem
from bss_bridge.domain.window import utc


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"


FORMAT = typer.Option(Format.TABLE, "--format", "-f", help="table for people, json for scripts")


def _console(stderr: bool) -> Console:
    """Standard output prints data as it is: no Rich markup or emoji codes are read in it (a
    customer named "Smith [/b] & Sons" broke every table listing it, and "[bold]x[/bold]" was
    shown altered). Errors, on standard error, use markup and escape what they quote."""
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() or os.environ.get("COLUMNS") else 160
    if stderr:
        return Console(stderr=True, soft_wrap=True, width=width)
    return Console(soft_wrap=True, width=width, markup=False, emoji=False)


@dataclass
class State:
    config: Path | None = None
    debug: bool = False
    out: Console = field(default_factory=lambda: _console(False))
    err: Console = field(default_factory=lambda: _console(True))


STATE = State()


@contextlib.contextmanager
def opened(*, create: bool = False) -> Iterator[Bss]:
    """The BSS of the settings, closed afterwards. Its database must exist at this version's schema
    (DatabaseNotReadyError) unless ``create``: then it is created or migrated first."""
    bss = bootstrap(load_settings(STATE.config), upgrade_schema=create, require_schema=not create)
    try:
        yield bss
    finally:
        bss.close()


def exists(found: object | None, option: str, what: str, given: str) -> None:
    """A list filtered by an id that names nothing is an error naming its option, not an empty list."""
    if found is None:
        raise InvalidRequestError.one(option, f"no {what} {given!r}")


def one_of(value: str | None, values: Iterable[str], option: str, what: str) -> None:
    """A state to filter by is one the BSS knows (a typo is an error, not an empty list)."""
    known = list(values)
    if value is not None and value not in known:
        raise InvalidRequestError.one(option, f"{value!r} is not {what} ({', '.join(known)})")


def run(bss: Bss, command: Command, options: Mapping[str, str] | None = None) -> Any:
    """Run ``command`` through the BSS's bus (the same path as the API's). ``options``: the API's
    field -> the command-line option that gave it, so that a problem names what the user typed
    (``--at``, not ``asOf``).

    The result is handed out of the loop beside the task, not as its result: on its way out,
    ``asyncio.run`` restores the SIGINT handler, and CPython 3.11's ``signal`` module formats the
    running task's ``repr`` there, result included (a bill run's report: most of a second)."""
    found: list[Any] = []

    async def call() -> None:
        found.append(await bss.handle(command))

    try:
        asyncio.run(call())
    except InvalidRequestError as exc:
        if not options:
            raise
        raise InvalidRequestError(Problem(options.get(p.field, p.field), p.message) for p in exc.problems) from None
    return found[0]


def zones(bss: Bss, account_ids: Iterable[str]) -> dict[str, str]:
    """The time zone of each billing account: instants are stored in UTC, shown in the account's zone."""
    with bss.uow() as uow:
        return {a.id: a.terms.time_zone for a in uow.accounts.get_many(list(set(account_ids))).values()}


def instant(text: str | None, option: str) -> datetime | None:
    """An option's date and time, with its offset (``2026-03-01T09:00:00+01:00`` or ``...Z``)."""
    if text is None:
        return None
    try:
        return utc(datetime.fromisoformat(text), option)
    except ValueError:
        raise InvalidRequestError.one(option, f"{text!r} is not a date and time (2026-03-01T09:00:00Z)") from None


def local(moment: datetime | None, zone: str | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(zone or "UTC")).strftime("%Y-%m-%d %H:%M %Z")


def emit_json(data: Any) -> None:
    typer.echo(simplejson.dumps(data, use_decimal=True, indent=2, sort_keys=True, default=str))


def show_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    result = Table(title=title, header_style="bold")
    for column in columns:
        result.add_column(column, overflow="fold")
    for row in rows:
        result.add_row(*("" if cell is None else str(cell) for cell in row))
    STATE.out.print(result)
