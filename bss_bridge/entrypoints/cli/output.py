"""What every ``oss-bss`` command shares: its options, tables for people, JSON for scripts, and the
BSS it works on (bootstrapped once per command from the settings)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import simplejson
import typer
from rich.console import Console
from rich.table import Table

from bss_bridge.bootstrap import Bss, bootstrap
from bss_bridge.config.settings import load_settings
from bss_bridge.domain.commands import Command


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"


FORMAT = typer.Option(Format.TABLE, "--format", "-f", help="table for people, json for scripts")


def _console(stderr: bool) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, soft_wrap=True, width=None if stream.isatty() or os.environ.get("COLUMNS") else 160)


@dataclass
class State:
    config: Path | None = None
    debug: bool = False
    out: Console = field(default_factory=lambda: _console(False))
    err: Console = field(default_factory=lambda: _console(True))


STATE = State()


@contextlib.contextmanager
def opened() -> Iterator[Bss]:
    """The BSS of the settings (database migrated), closed afterwards."""
    bss = bootstrap(load_settings(STATE.config), upgrade_schema=True)
    try:
        yield bss
    finally:
        bss.close()


def run(bss: Bss, command: Command) -> Any:
    """Run ``command`` through the BSS's bus (the same path as the API's)."""
    return asyncio.run(bss.handle(command))


def emit_json(data: Any) -> None:
    typer.echo(simplejson.dumps(data, use_decimal=True, indent=2, sort_keys=True, default=str))


def show_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    result = Table(title=title, header_style="bold")
    for column in columns:
        result.add_column(column, overflow="fold")
    for row in rows:
        result.add_row(*("" if cell is None else str(cell) for cell in row))
    STATE.out.print(result)
