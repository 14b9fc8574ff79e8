"""``oss-bss catalog`` and ``oss-bss quote``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from bss_bridge.config.catalog_file import read_catalog
from bss_bridge.domain import commands
from bss_bridge.domain.errors import InvalidRequestError, NotFoundError
from bss_bridge.domain.pricing import OneTimeCharge, RecurringCharge
from bss_bridge.domain.quote import describe
from bss_bridge.domain.requests import ItemRequest
from bss_bridge.entrypoints.cli.output import FORMAT, STATE, Format, emit_json, instant, opened, run, show_table
from bss_bridge.entrypoints.cli.party_cmd import decimal
from bss_bridge.service_layer.queries import quote as price_basket
from bss_bridge.tmf.catalog import render_offering
from bss_bridge.tmf.ordering import render_quote

app = typer.Typer(help="The product catalog (TMF620): load, list, show, change a price.", no_args_is_help=True)
ITEMS = typer.Argument(help="OFFERING[:name=value,...] (values read as JSON when they are, else as text)")


def parse_item(n: int, text: str) -> ItemRequest:
    offering, _, rest = text.partition(":")
    values: list[tuple[str, object]] = []
    for pair in filter(None, rest.split(",")):
        name, sep, raw = pair.partition("=")
        if not sep:
            raise InvalidRequestError.one(f"item {text!r}", f"{pair!r} is not name=value")
        try:
            value: object = json.loads(raw, parse_float=decimal_value)
        except ValueError:
            value = raw
        values.append((name.strip(), value))
    return ItemRequest(str(n + 1), "add", offering.strip(), characteristics=tuple(values))


def decimal_value(text: str) -> object:
    return decimal(text, "value")


@app.command("load")
def load(
    file: Path,
    apply: Annotated[
        bool, typer.Option("--apply", help="also change existing offerings (a changed price: a new version from now)")
    ] = False,
    fmt: Format = FORMAT,
) -> None:
    """Load a catalog file: create what it defines and the database lacks (all of it or nothing)."""
    command = read_catalog(file, apply)
    with opened(create=True) as bss:  # a catalog is what a new BSS starts from
        report = run(bss, command)
    if fmt is Format.JSON:
        emit_json(
            {
                "created": report.created,
                "updated": report.updated,
                "repriced": report.repriced,
                "differs": report.differs,
                "refused": report.refused,
                "revalidated": report.revalidated,
                "notRevalidated": report.not_revalidated,
            }
        )
        return
    STATE.out.print(
        f"{file}: created {len(report.created)}, updated {len(report.updated)}, repriced {len(report.repriced)}"
    )
    if report.differs:
        STATE.out.print(f"differs from the database (kept; --apply to take the file's): {', '.join(report.differs)}")
    for name, rule in report.revalidated.items():
        STATE.out.print(f"{name} values are now checked by {rule}")
    for name, products in report.not_revalidated.items():
        STATE.out.print(
            f"{name} is checked otherwise by the file, and values already sold fail it: the database's rule is kept"
            f" until they are changed, then load again: {'; '.join(products)}"
        )
    if report.refused:
        STATE.out.print(
            "differs and cannot change (a changed or removed characteristic, another service specification, or a"
            " new required one without a default: define a new specification; an offering's specification, bundle,"
            f" fixed characteristics or SLA: define a new offering): {', '.join(report.refused)}"
        )


@app.command("list")
def list_offerings(fmt: Format = FORMAT) -> None:
    """Offerings, sellable now or not, with the prices in force now."""
    with opened() as bss, bss.uow() as uow:
        offerings = uow.offerings.all()
    now = bss.deps.clock()
    if fmt is Format.JSON:
        emit_json([render_offering(bss.settings.base_url, o, now) for o in offerings.values()])
        return
    rows = []
    for o in offerings.values():
        prices = [describe(p) for p in sorted(o.prices, key=lambda p: p.name) if p.valid_for.contains(now)]
        sellable = "yes" if o.unsellable_reason(now) is None else "no"
        rows.append(
            [
                o.id,
                o.name,
                "bundle: " + ", ".join(o.bundled) if o.is_bundle else o.specification_id,
                sellable,
                "\n".join(prices),
            ]
        )
    show_table("product offerings", ["id", "name", "sells", "sellable now", "prices now"], rows)


@app.command("show")
def show(offering_id: str, fmt: Format = FORMAT) -> None:
    """One offering with every version of its prices."""
    with opened() as bss, bss.uow() as uow:
        offering = uow.offerings.get(offering_id)
    if offering is None:
        raise NotFoundError("productOffering", offering_id)
    now = bss.deps.clock()
    if fmt is Format.JSON:
        emit_json(render_offering(bss.settings.base_url, offering, now))
        return
    STATE.out.print(f"{offering.name} ({offering.id}), sold {offering.valid_for.describe()}", style="bold")
    show_table(
        "prices",
        ["price", "version", "valid from", "valid to", "terms"],
        [
            [p.name, p.version, p.valid_for.start, p.valid_for.end or "", describe(p)]
            for p in sorted(offering.prices, key=lambda p: (p.name, p.version))
        ],
    )


@app.command("price")
def change_price(
    offering_id: str,
    name: str,
    currency: Annotated[str, typer.Option(help="ISO 4217 code")],
    monthly: Annotated[str | None, typer.Option(help="a recurring monthly amount")] = None,
    one_time: Annotated[str | None, typer.Option(help="a one-time amount")] = None,
    start: Annotated[str | None, typer.Option("--from", help="when it applies, with its offset (default now)")] = None,
) -> None:
    """Change a one-time or monthly price: a new version, for orders from then on."""
    if (monthly is None) == (one_time is None):
        raise InvalidRequestError.one("--monthly/--one-time", "give exactly one of them")
    charge = (
        RecurringCharge(decimal(monthly, "--monthly"))
        if monthly is not None
        else OneTimeCharge(decimal(one_time or "", "--one-time"))
    )
    with opened() as bss:
        offering = run(
            bss,
            commands.ChangePrice(
                offering_id, commands.PriceDefinition(name, currency, charge, instant(start, "--from"))
            ),
        )
    latest = max((p for p in offering.prices if p.chain == (name, currency)), key=lambda p: p.version)
    STATE.out.print(f"{latest.id}: {describe(latest)} from {latest.valid_for.start}")


def quote(
    items: Annotated[list[str], ITEMS],
    account: Annotated[str | None, typer.Option(help="price for this billing account (its currency and tax)")] = None,
    currency: Annotated[str | None, typer.Option(help="or in this currency, without tax")] = None,
    fmt: Format = FORMAT,
) -> None:
    """Price a basket before ordering it: one-time total, monthly charges, discounts, usage terms."""
    if (account is None) == (currency is None):
        raise InvalidRequestError.one("--account/--currency", "give exactly one of them")
    requests = tuple(parse_item(n, text) for n, text in enumerate(items))
    with opened() as bss:
        priced = price_basket(bss.uow(), requests, bss.deps.clock(), account_id=account, currency=currency)
    if fmt is Format.JSON:
        emit_json(render_quote(bss.settings.base_url, priced))
        return
    rows = [
        [
            q.item_id,
            q.offering_id,
            q.kind.value,
            q.description,
            q.charged.amount if q.charged else "",
            q.charged.tax if q.charged else "",
            f"{q.line.amount - q.full.amount} for {q.months} months" if q.full and q.line else "",
        ]
        for q in priced.lines
    ]
    show_table(
        f"quote ({priced.currency}, tax {priced.tax_rate_pct} %)",
        ["item", "offering", "kind", "price", "amount", "tax", "promotion"],
        rows,
    )
    STATE.out.print(
        f"one-time {priced.one_time} {priced.currency}, monthly {priced.monthly} {priced.currency}"
        f" ({priced.monthly_discount} {priced.currency} while promotions last), before tax"
    )
