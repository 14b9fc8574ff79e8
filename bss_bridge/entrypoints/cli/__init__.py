"""``oss-bss``: the BSS's command line (its own console script; it never imports the agent).

Errors are one clear line on stderr and a non-zero exit (``--debug`` adds the traceback); every
command that lists or shows takes ``--format json``. Commands work on the BSS's database through
its message bus, the same path as the API.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

import secrecy
from bss_bridge.config.settings import load_settings
from bss_bridge.domain.errors import InvalidRequestError
from bss_bridge.entrypoints.cli import billing_cmd, bridge_cmd, catalog_cmd, kpi_cmd, order_cmd, party_cmd
from bss_bridge.entrypoints.cli.output import FORMAT, STATE, Format, emit_json
from bss_bridge.errors import BssError, ConfigError, DatabaseNotReadyError
from bss_bridge.storage import migrate
from bss_bridge.storage.engine import engine_for, safe_url

app = typer.Typer(
    name="oss-bss",
    help="The built-in BSS: customers, accounts, catalog, quotes, orders and subscriptions.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db = typer.Typer(help="The BSS's database.", no_args_is_help=True)
app.add_typer(party_cmd.customers, name="customer")
app.add_typer(party_cmd.accounts, name="account")
app.add_typer(catalog_cmd.app, name="catalog")
app.command("quote")(catalog_cmd.quote)
app.add_typer(order_cmd.orders, name="order")
app.add_typer(order_cmd.products, name="product")
app.add_typer(db, name="db")
app.add_typer(billing_cmd.bills, name="bill")
app.add_typer(billing_cmd.invoices, name="invoice")
app.add_typer(billing_cmd.payments, name="payment")
app.add_typer(billing_cmd.dunning, name="dunning")
app.add_typer(billing_cmd.usage, name="usage")
app.command("balance")(billing_cmd.show_balance)
app.add_typer(bridge_cmd.app, name="bridge")
app.add_typer(kpi_cmd.app, name="kpi")
bench = typer.Typer(help="Benchmarks, side by side with their floor.", no_args_is_help=True)
app.add_typer(bench, name="bench")


@bench.command("billrun")
def bench_billrun(
    records: Annotated[int, typer.Option("--records")] = 1_000_000,
    subscriptions: Annotated[int, typer.Option("--subscriptions")] = 10_000,
    backend: Annotated[list[str] | None, typer.Option("--backend", help="sqlite and/or postgresql")] = None,
) -> None:
    """A bill run over RECORDS usage records of SUBSCRIPTIONS subscriptions beside the floor (one GROUP BY)
    and the store floor (the database storing the rows the run stored)."""
    from bss_bridge.entrypoints import runtime
    from bss_bridge.entrypoints.bench_billing import main as bench_main

    runtime.tune_for_throughput()  # as `oss-bss run` does
    bench_main(records, subscriptions, backend or ["sqlite", "postgresql"])


@bench.command("loop")
def bench_loop(
    oss_url: Annotated[str, typer.Option("--oss-url", help="the running OSS's API (oss-agent run)")],
    rounds: Annotated[int, typer.Option("--rounds", min=1)] = 5,
    site: Annotated[str, typer.Option("--site")] = "customer1",
    lan: Annotated[str, typer.Option("--lan")] = "198.18.2.0/24",
    lab_prefix: Annotated[
        str | None,
        typer.Option("--lab-prefix", help="the OSS's lab (its namespace prefix): a link fault per round, timed"),
    ] = None,
) -> None:
    """Product order -> active subscription through the bridge (p50, p95) beside the OSS alone; usage
    record -> rated line; with --lab-prefix, OSS alarm -> TMF621 ticket."""
    from bss_bridge.entrypoints.bench_loop import main as loop_main

    token = load_settings(STATE.config).oss_token
    loop_main(oss_url, token.get_secret_value() if token else None, rounds, site, lan, lab_prefix)


@app.command("demo-story")
def demo_story(
    oss_url: Annotated[str, typer.Option("--oss-url", help="the running agent's API")] = "http://127.0.0.1:8080",
    bss_url: Annotated[str, typer.Option("--bss-url", help="the running BSS's API (its bridge running)")] = (
        "http://127.0.0.1:8081"
    ),
    lab_prefix: Annotated[str, typer.Option("--lab-prefix", help="the lab's namespace prefix")] = "oss",
) -> None:
    """The loop told on the lab: order, activation, traffic, usage, invoice, link fault, ticket, SLA credit."""
    import asyncio

    from bss_bridge.entrypoints.demo_story import story

    asyncio.run(story(oss_url, bss_url, lab_prefix))


# what a database that is not ready needs, said after what is wrong with it
FIXES = {
    "create": (
        "if it is the one you meant, create it with 'oss-bss db upgrade' (or 'oss-bss run');"
        " if not, check --config and the database_url and data_dir settings (OSS_AGENT_BSS_*)"
    ),
    "upgrade": "upgrade it with 'oss-bss db upgrade'",
    None: "use the oss-bss that migrated it",
}


@app.callback()
def _global(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", "-c", help="BSS settings YAML (default: $OSS_AGENT_BSS_CONFIG, /etc/oss-agent/bss.yaml)"
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="show tracebacks")] = False,
) -> None:
    STATE.config = config
    STATE.debug = debug


@db.command("upgrade")
def upgrade(fmt: Format = FORMAT) -> None:
    """Create or migrate the BSS's database (safe to repeat)."""
    engine = engine_for(load_settings(STATE.config).database)
    try:
        before, after = migrate.upgrade(engine)
    finally:
        engine.dispose()
    if fmt is Format.JSON:
        emit_json({"database": safe_url(engine), "from": before, "to": after})
    else:
        change = "up to date" if before == after else f"{before or 'empty'} -> {after}"
        STATE.out.print(f"BSS database {safe_url(engine)}: {change}")


@app.command("run")
def run(
    with_agent: Annotated[
        bool, typer.Option("--with-agent", help="also run the agent (oss-agent run) as a child process")
    ] = False,
) -> None:
    """Run the BSS: its API, hub deliveries and the catalog file, until SIGTERM or Ctrl-C."""
    from bss_bridge.entrypoints import runtime, server

    settings = load_settings(STATE.config)
    runtime.tune_for_throughput()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if with_agent:
        raise typer.Exit(asyncio.run(server.run_with_agent(settings)))
    asyncio.run(server.run(settings))


def main(argv: list[str] | None = None) -> int:
    """The console script: runs the app and turns known errors into one line each."""
    secrecy.install()  # what any command logs, with or without a BSS built
    try:
        result = app(args=argv, standalone_mode=False)
    except SystemExit as exc:
        return int(exc.code or 0)
    except ConfigError as exc:
        for text in exc.problems:
            STATE.err.print(f"[red]error:[/red] {escape(text)}")
        return _traceback(1)
    except DatabaseNotReadyError as exc:
        STATE.err.print(f"[red]error:[/red] {escape(str(exc))}: {escape(FIXES[exc.fix])}")
        return _traceback(1)
    except InvalidRequestError as exc:
        for problem in exc.problems:
            STATE.err.print(f"[red]error:[/red] {escape(str(problem))}")
        return _traceback(1)
    except BssError as exc:
        STATE.err.print(f"[red]error:[/red] {escape(str(exc))}")
        return _traceback(1)
    except Exception as exc:
        show, exit_code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(exit_code, int):  # click's usage errors
            show()
            return exit_code
        STATE.err.print(f"[red]error:[/red] unexpected {type(exc).__name__}: {escape(secrecy.hide(str(exc)))}")
        STATE.err.print("run again with --debug for the traceback")
        return _traceback(1)
    return result if isinstance(result, int) else 0


def _traceback(code: int) -> int:
    if STATE.debug:
        STATE.err.print(escape(secrecy.hide(traceback.format_exc())))
    return code
