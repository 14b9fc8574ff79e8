"""``oss-bss kpi show``: churn, ARPU and billing accuracy per month, the same figures as ``GET /bss/v1/kpis``."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import typer

from bss_bridge.entrypoints.cli.output import FORMAT, STATE, Format, emit_json, opened, show_table
from bss_bridge.service_layer.kpi_queries import bss_kpis, kpis_json

app = typer.Typer(help="The BSS's KPIs (docs/kpis.md): churn, ARPU, billing accuracy.", no_args_is_help=True)


def _percent(rate: str | None) -> str:
    return "–" if rate is None else f"{Decimal(rate) * 100:.2f} %"


@app.command("show")
def show(
    months: Annotated[int, typer.Option("--months", help="calendar months (UTC), the current one last")] = 3,
    until: Annotated[str | None, typer.Option("--until", help="the last month, YYYY-MM (default: this one)")] = None,
    fmt: Format = FORMAT,
) -> None:
    """Churn, ARPU and billing accuracy for the last MONTHS months."""
    with opened() as bss, bss.uow() as uow:
        found = kpis_json(bss_kpis(uow, bss.deps.clock(), months, until))
    if fmt is Format.JSON:
        emit_json(found)
        return
    show_table(
        "churn",
        ("month", "active at start", "churned", "rate", "started", "terminated"),
        [
            (c["month"], c["activeAtStart"], c["churned"], _percent(c["rate"]), c["started"], c["terminated"])
            for c in found["churn"]
        ],
    )
    show_table(
        "ARPU",
        ("month", "currency", "invoiced revenue", "active customers", "ARPU"),
        [(a["month"], a["currency"], a["revenue"], a["activeCustomers"], a["arpu"] or "–") for a in found["arpu"]],
    )
    show_table(
        "billing accuracy",
        ("month", "invoices", "lines", "confirmed", "share", "adjustments/invoice", "credit notes/invoice"),
        [
            (
                a["month"],
                a["invoices"],
                a["lines"],
                a["confirmed"],
                _percent(a["share"]),
                a["adjustmentsPerInvoice"] or "–",
                a["creditNotesPerInvoice"] or "–",
            )
            for a in found["billingAccuracy"]
        ],
    )
    for month in found["billingAccuracy"]:
        for line in month["unconfirmed"]:
            STATE.out.print(f"not confirmed ({month['month']}): {line}")
