"""The ``oss-agent`` command line (Typer + Rich).

Errors are one clear line on stderr and a non-zero exit; ``--debug`` adds the traceback. Each
command that lists or shows things takes ``--format json``.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

import secrecy
from adapters import AdapterError
from adapters.redact import mask_message
from oss_agent.domain.errors import DomainError
from oss_agent.entrypoints.cli import (
    alarms_cmd,
    bench_cmd,
    config_cmd,
    db_cmd,
    device_cmd,
    discover_cmd,
    inventory_cmd,
    kpi_cmd,
    lab_cmd,
    order_cmd,
    run_cmd,
    service_cmd,
    snmp_cmd,
    topology_cmd,
)
from oss_agent.entrypoints.cli.output import FORMAT_OPTION, STATE, Format, emit_json
from oss_agent.errors import ConfigError, DatabaseNotReadyError, OssAgentError

app = typer.Typer(
    name="oss-agent",
    help="Network OSS agent: inventory, provisioning, fault and performance management over NETCONF, SSH and SNMP.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(config_cmd.app, name="config")
app.add_typer(db_cmd.app, name="db")
app.add_typer(inventory_cmd.app, name="inventory")
app.add_typer(lab_cmd.app, name="lab")
app.add_typer(snmp_cmd.app, name="snmp")
app.add_typer(device_cmd.app, name="device")
app.command("run")(run_cmd.run)
app.command("perf")(run_cmd.perf)
app.add_typer(bench_cmd.app, name="bench")
app.add_typer(discover_cmd.app, name="discover")
app.add_typer(topology_cmd.app, name="topology")
app.add_typer(alarms_cmd.app, name="alarms")
app.add_typer(order_cmd.app, name="order")
app.add_typer(service_cmd.app, name="service")
app.add_typer(service_cmd.pool_app, name="pool")
app.add_typer(kpi_cmd.app, name="kpi")


# what a database that is not ready needs, said after what is wrong with it; only 'db upgrade',
# 'run', 'discover' and 'inventory sync' (what brings an agent into being) create or migrate one
FIXES = {
    "create": (
        "if it is the one you meant, create it with 'oss-agent db upgrade' (or 'oss-agent discover');"
        " if not, check --config and the database_url and data_dir settings (OSS_AGENT_*)"
    ),
    "upgrade": "upgrade it with 'oss-agent db upgrade'",
    None: "use the oss-agent that migrated it",
}


@app.callback()
def _global(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", "-c", help="agent settings YAML (default: $OSS_AGENT_CONFIG, /etc/oss-agent/agent.yaml)"
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="show tracebacks")] = False,
) -> None:
    STATE.config = config
    STATE.debug = debug


@app.command()
def version(fmt: Format = FORMAT_OPTION) -> None:
    """Show the agent's version."""
    from importlib.metadata import version as dist_version

    info = {"name": "oss-agent", "version": dist_version("oss-agent"), "python": sys.version.split()[0]}
    if fmt is Format.JSON:
        emit_json(info)
    else:
        STATE.out.print(f"oss-agent {info['version']} (Python {info['python']})")


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point: runs the app and turns known errors into one line each."""
    secrecy.install(mask_message)  # what any command logs, with or without an agent built
    try:
        result = app(args=argv, standalone_mode=False)
    except SystemExit as exc:
        return int(exc.code or 0)
    except ConfigError as exc:
        for problem in exc.problems:
            STATE.err.print(f"[red]error:[/red] {escape(str(problem))}")
        _traceback()
        return 1
    except DatabaseNotReadyError as exc:
        STATE.err.print(f"[red]error:[/red] {escape(str(exc))}: {escape(FIXES[exc.fix])}")
        _traceback()
        return 1
    except (OssAgentError, DomainError, AdapterError) as exc:
        STATE.err.print(f"[red]error:[/red] {escape(str(exc))}")
        _traceback()
        return 1
    except Exception as exc:
        # Usage errors come from click (vendored inside newer Typer): recognised by their shape.
        show, exit_code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(exit_code, int):
            show()
            return exit_code
        if type(exc).__name__ == "Abort":
            STATE.err.print("aborted")
            return 130
        STATE.err.print(f"[red]error:[/red] unexpected {type(exc).__name__}: {escape(secrecy.hide(str(exc)))}")
        STATE.err.print("run again with --debug for the traceback")
        _traceback()
        return 1
    return result if isinstance(result, int) else 0


def _traceback() -> None:
    if STATE.debug:
        STATE.err.print(escape(secrecy.hide(traceback.format_exc())))
