"""``oss-bss bench billrun``: a bill run over a million usage records of ten thousand subscriptions,
beside the floor: the same database reading and summing the same records in one GROUP BY.

Per backend (SQLite in a temporary file; PostgreSQL 15 started from Debian's binaries in a
temporary directory, on a Unix socket, and removed afterwards), in one event loop as ``oss-bss
run`` runs it, with the garbage collector tuned as there: the demo catalog, accounts of five
``bia-100`` subscriptions each, active since 1 January and billed for January (not timed); the
usage records (hourly volumes in January, guided) loaded in bulk (timed, not part of the run) and
the planner's statistics refreshed (``ANALYZE``, as autovacuum does after a load that size); one
import of 10,000 more records through the service layer (its time reported); the floor over every
record the run will rate (cold, then warm: the median of five runs, their range beside it); then
the bill run at 1 February, the steady state of a monthly run: the rating pass over every
record, and each account's invoice (January's usage in arrears, February in advance), numbered and
stored, with its ledger entry and hub event. Besides wall-clock times it reports this process's
CPU time during the run (on a shared machine the wall clock also counts other processes' turns; on
PostgreSQL the server's work is in the wall clock only). Its figures are printed as a table and,
on the last line, as JSON.

Beside the floor it measures a second one, **the store floor**: the database storing the rows the
run inserted (its invoices, their lines, ledger entries, bill cycles and hub events) and nothing
else. In one transaction, rolled back: the run's rows are copied aside and deleted (not timed), then
inserted again from the copies by one ``INSERT ... SELECT`` per table (timed). No computing, no
client: a bill run that stores its invoices cannot take less than the floor plus this.

And a third, **the rating floor**: the run's own rating pass alone (``UsageStore.rate``, the very
statements the run starts with), timed in a transaction that is then rolled back, just before the
run. It includes the floor's reading and summing and adds what rating must add to it: the groups'
totals written. **The lower bound** is the rating floor plus the store floor: what the database takes
for the run's statements with no Python between them (and no reading of the accounts, their
subscriptions and the lines already issued, which the run needs as well); ``bound_over_floor`` says
how many times the floor that is, so a goal stated as a multiple of the floor can be set beside what
the database alone allows.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text

from bss_bridge.bootstrap import Bss, bootstrap
from bss_bridge.config.catalog_file import read_catalog
from bss_bridge.config.settings import BssSettings
from bss_bridge.domain import billing_commands as bc
from bss_bridge.domain.billing.metering import UsageKind, UsageSubmission
from bss_bridge.domain.party import AccountTerms, BillCycle, BillingAccount, Customer
from bss_bridge.domain.subscription import Subscription
from bss_bridge.storage.billing_tables import UsageRow
from bss_bridge.storage.usage_store import OCTETS, UsageStore

CATALOG = Path(__file__).resolve().parents[2] / "config" / "catalog.yaml"
PG_BIN = Path(os.environ.get("OSS_AGENT_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
START = datetime(2026, 1, 1, tzinfo=UTC)
PER_ACCOUNT = 5
FLOOR_RUNS = 5  # the floor warm: the median of this many runs (one run's figure swung by half on a shared machine)


class Clock:
    def __init__(self) -> None:
        self.now = START - timedelta(days=1)

    def __call__(self) -> datetime:
        return self.now


def _populate(bss: Bss, subscriptions: int) -> list[str]:
    """Accounts of five active bia-100 subscriptions (written in one transaction, not ordered one by one)."""
    ids = []
    with bss.uow() as uow:
        offering = uow.offerings.get("bia-100")
        assert offering is not None
        prices = tuple(offering.prices_at(START, "EUR"))
        terms = AccountTerms(BillCycle(1), "Europe/Paris", Decimal(20))
        for n in range(0, subscriptions, PER_ACCOUNT):
            customer = Customer.create(f"c{n:06d}", f"customer {n}", START)
            account = BillingAccount.open(f"a{n:06d}", customer, "main", "EUR", terms, START)
            uow.customers.add(customer)
            uow.accounts.add(account)
            for k in range(n, min(n + PER_ACCOUNT, subscriptions)):
                sub = Subscription.create(
                    f"s{k:06d}",
                    customer_id=customer.id,
                    billing_account_id=account.id,
                    offering_id="bia-100",
                    specification_id="business-internet",
                    name="bia-100",
                    characteristics={"site": "customer1", "bandwidthMbps": 100},
                    prices=prices,
                    order_id="bench",
                    order_item_id=str(k),
                    order_date=START,
                    now=START,
                )
                sub.order_id = None
                sub.provisioning(START)
                sub.activate(START)
                uow.subscriptions.add(sub)
                ids.append(sub.id)
        uow.commit()
    return ids


def _load_usage(bss: Bss, subs: list[str], records: int) -> float:
    began = time.perf_counter()
    batch: list[dict[str, Any]] = []
    with bss.uow() as uow:
        for n in range(records):
            sub = subs[n % len(subs)]
            at = START + timedelta(hours=(n // len(subs)) % (31 * 24 - 1))
            batch.append(
                {
                    "usage_id": f"v{n}",
                    "fingerprint": "bench",
                    "kind": "volume",
                    "product_id": sub,
                    "usage_date": at,
                    "end_date": None,
                    "inbound_octets": 1_000_000_000 + n % 977,
                    "outbound_octets": 250_000_000 + n % 131,
                    "inbound_mbps": None,
                    "outbound_mbps": None,
                    "status": "guided",
                    "problem": "",
                    "subscription_id": sub,
                    "account_id": f"a{int(sub[1:]) // PER_ACCOUNT * PER_ACCOUNT:06d}",
                    "period_start": START.date(),
                    "received_at": START,
                }
            )
            if len(batch) == 20_000:
                uow.session.execute(insert(UsageRow), batch)
                batch = []
        if batch:
            uow.session.execute(insert(UsageRow), batch)
        uow.session.commit()
    return time.perf_counter() - began


# The tables a bill run inserts into, parents first, and how its rows there are found.
RUN_ROWS = (
    ("bss_invoices", "run_id = :run"),
    ("bss_invoice_lines", "invoice_id IN (SELECT id FROM bss_invoices WHERE run_id = :run)"),
    ("bss_ledger", "invoice_id IN (SELECT id FROM bss_invoices WHERE run_id = :run)"),
    ("bss_bill_cycles", "run_id = :run"),
    ("bss_hub_events", "resource_id IN (SELECT id FROM bss_invoices WHERE run_id = :run)"),
)


def _run_rows(bss: Bss, run_id: str) -> int:
    with bss.engine.connect() as connection:
        return sum(
            int(connection.execute(text(f"SELECT count(*) FROM {table} WHERE {which}"), {"run": run_id}).scalar_one())  # noqa: S608
            for table, which in RUN_ROWS
        )


def _store_floor(bss: Bss, run_id: str) -> tuple[float, int]:
    """The store floor (see the module docstring): its time and how many rows it stored."""
    with bss.engine.connect() as connection:
        transaction = connection.begin()
        try:
            for n, (table, which) in enumerate(RUN_ROWS):
                connection.execute(
                    text(f"CREATE TEMP TABLE run_rows_{n} AS SELECT * FROM {table} WHERE {which}"),  # noqa: S608
                    {"run": run_id},
                )
            for table, which in reversed(RUN_ROWS):  # children first; the invoices still there to find them
                connection.execute(text(f"DELETE FROM {table} WHERE {which}"), {"run": run_id})  # noqa: S608
            stored, began = 0, time.perf_counter()
            for n, (table, _) in enumerate(RUN_ROWS):
                stored += connection.execute(text(f"INSERT INTO {table} SELECT * FROM run_rows_{n}")).rowcount  # noqa: S608
            return time.perf_counter() - began, stored
        finally:
            transaction.rollback()


def _rating_floor(bss: Bss, now: datetime) -> tuple[float, int]:
    """The rating floor (see the module docstring): its time and how many records it rated."""
    with bss.session_factory() as session:
        try:
            began = time.perf_counter()
            rated, _ = UsageStore(session).rate(now)
            return time.perf_counter() - began, rated
        finally:
            session.rollback()


def _floor(bss: Bss) -> tuple[float, int, int]:
    """The floor: every usage record read and summed per subscription, kind and period by one
    GROUP BY, the groups fetched; its time, how many groups, and how many records it summed."""
    octets = func.sum(OCTETS)
    query = select(UsageRow.subscription_id, UsageRow.kind, UsageRow.period_start, octets, func.count()).group_by(
        UsageRow.subscription_id, UsageRow.kind, UsageRow.period_start
    )
    began = time.perf_counter()
    with bss.engine.connect() as connection:
        rows = connection.execute(query).all()
    return time.perf_counter() - began, len(rows), sum(int(row[4]) for row in rows)


async def _measure(url: str, data: Path, records: int, subscriptions: int, imported: int) -> dict[str, Any]:
    """One backend, in one event loop (as ``oss-bss run`` runs its bill runs)."""
    clock = Clock()
    settings = BssSettings(data_dir=data, database_url=url, oss_url=None)
    bss = bootstrap(settings, upgrade_schema=True, clock=clock)
    try:
        await bss.handle(read_catalog(CATALOG))
        subs = _populate(bss, subscriptions)
        clock.now = datetime(2026, 1, 1, 8, tzinfo=UTC)  # January's invoices (recurring in advance): not timed
        await bss.handle(bc.RunBilling(clock.now))
        load_s = _load_usage(bss, subs, records)
        with bss.engine.begin() as connection:  # what autovacuum (PostgreSQL) or a DBA (SQLite) does after a bulk load
            connection.execute(text("ANALYZE"))
        clock.now = datetime(2026, 2, 1, 8, tzinfo=UTC)
        imports = tuple(
            UsageSubmission(
                f"i{n}", UsageKind.VOLUME, subs[n % len(subs)], datetime(2026, 2, 1, 1, tzinfo=UTC), None, 10**9, 10**8
            )
            for n in range(imported)
        )
        began = time.perf_counter()
        await bss.handle(bc.ImportUsage(imports))
        import_s = time.perf_counter() - began
        cold, groups, summed = _floor(bss)  # the very records the run rates: the loaded and the imported
        warm_runs = [_floor(bss)[0] for _ in range(FLOOR_RUNS)]
        warm = statistics.median(warm_runs)
        rating_s, rating_records = _rating_floor(bss, clock.now)
        began, cpu = time.perf_counter(), time.process_time()
        report = await bss.handle(bc.RunBilling(clock.now))
        run_s, run_cpu = time.perf_counter() - began, time.process_time() - cpu
        store_s, stored = _store_floor(bss, report.run_id)
        if _run_rows(bss, report.run_id) != stored:
            raise RuntimeError("the store floor's rollback did not leave the run's rows as they were")
        if rating_records != report.rated_records:
            raise RuntimeError("the rating floor's rollback did not leave the records to rate as they were")
        return {
            "records": summed,
            "subscriptions": len(subs),
            "accounts": len(subs) // PER_ACCOUNT,
            "groups": groups,
            "load_s": round(load_s, 2),
            "imported": imported,
            "import_s": round(import_s, 2),
            "floor_cold_s": round(cold, 2),
            "floor_s": round(warm, 2),
            "floor_min_s": round(min(warm_runs), 2),
            "floor_max_s": round(max(warm_runs), 2),
            "store_floor_s": round(store_s, 2),
            "stored_rows": stored,
            "rating_floor_s": round(rating_s, 2),
            "bound_s": round(rating_s + store_s, 2),
            "bound_over_floor": round((rating_s + store_s) / warm, 2),
            "bill_run_s": round(run_s, 2),
            "bill_run_cpu_s": round(run_cpu, 2),
            "rated_records": report.rated_records,
            "invoices": len(report.issued),
            "failed": len(report.failed),
            "run_over_floor": round(run_s / warm, 2),
        }
    finally:
        bss.close()


def _postgres(root: Path) -> tuple[str, Any]:
    data = root / "pg"
    user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    subprocess.run(
        [*user, str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "oss", "--no-sync"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    options = f"-k {root} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
    subprocess.run(
        [*user, str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"],
        check=True,
        capture_output=True,
        timeout=120,
    )

    def stop() -> None:
        subprocess.run(
            [*user, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True,
            timeout=120,
            check=False,
        )

    return f"postgresql+psycopg://oss@/postgres?host={root}", stop


def main(records: int, subscriptions: int, backends: list[str], imported: int = 10_000) -> None:
    results: dict[str, Any] = {}
    for backend in backends:
        root = Path(tempfile.mkdtemp(prefix="bss-bench-"))
        stop = None
        try:
            if backend == "postgresql":
                url, stop = _postgres(root)
            else:
                url = f"sqlite:///{root / 'bss.db'}"
            results[backend] = asyncio.run(_measure(url, root, records, subscriptions, imported))
        finally:
            if stop is not None:
                stop()
            shutil.rmtree(root, ignore_errors=True)
        r = results[backend]
        print(
            f"{backend:>10}: floor (GROUP BY of {r['records']} records) {r['floor_s']} s "
            f"(median of {FLOOR_RUNS}, {r['floor_min_s']}-{r['floor_max_s']} s; cold {r['floor_cold_s']} s); "
            f"store floor ({r['stored_rows']} rows) {r['store_floor_s']} s; "
            f"rating floor {r['rating_floor_s']} s; lower bound (rating + store floors) {r['bound_s']} s "
            f"= {r['bound_over_floor']} x the floor; "
            f"bill run {r['bill_run_s']} s = {r['run_over_floor']} x the floor "
            f"(this process's CPU {r['bill_run_cpu_s']} s); {r['invoices']} invoices, {r['rated_records']} records "
            f"rated; import of {r['imported']} records {r['import_s']} s"
        )
    print(json.dumps({"bench": "billrun", "load_average": os.getloadavg(), **results}))
