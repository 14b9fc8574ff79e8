"""``oss-agent db``: database migrations."""

from __future__ import annotations

import typer

from oss_agent.config import load_settings
from oss_agent.entrypoints.cli.output import FORMAT_OPTION, STATE, Format, emit_json
from oss_agent.storage import migrate
from oss_agent.storage.engine import describe, make_engine

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(fmt: Format = FORMAT_OPTION) -> None:
    """Create or migrate the database to the newest schema (safe to repeat)."""
    settings = load_settings(STATE.config)
    engine = make_engine(settings.database)
    try:
        before, after = migrate.upgrade(engine)
    finally:
        engine.dispose()
    info = {"database": describe(engine), "from": before, "to": after, "changed": before != after}
    if fmt is Format.JSON:
        emit_json(info)
    elif before == after:
        STATE.out.print(f"database {info['database']} is up to date (revision {after})")
    else:
        STATE.out.print(f"database {info['database']} upgraded from {before or 'empty'} to {after}")
