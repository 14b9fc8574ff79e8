"""Output helpers shared by every command: Rich tables for people, ``--format json`` for scripts."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"


FORMAT_OPTION = typer.Option(Format.TABLE, "--format", "-f", help="table for people, json for scripts")


@dataclass
class CliState:
    """Options given before the command (``oss-agent --config X --debug cmd``)."""

    config: Path | None = None
    debug: bool = False
    out: Console = field(default_factory=lambda: _console(stderr=False))
    err: Console = field(default_factory=lambda: _console(stderr=True))


def _console(stderr: bool) -> Console:
    """Rich console; when output is piped (no terminal, no COLUMNS) tables get 160 columns, not 80."""
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() or os.environ.get("COLUMNS") else 160
    return Console(stderr=stderr, soft_wrap=True, width=width)


STATE = CliState()


def emit_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, sort_keys=True, default=str))


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Table:
    result = Table(title=title, header_style="bold")
    for column in columns:
        result.add_column(column, overflow="fold")
    for row in rows:
        result.add_row(*("" if cell is None else str(cell) for cell in row))
    return result
