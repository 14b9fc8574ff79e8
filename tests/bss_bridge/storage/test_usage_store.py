"""The rating pass in the database, on SQLite and a real PostgreSQL: group totals summed by one
set-based statement, and two passes at once never count a record twice."""

from __future__ import annotations

import threading
import time

from sqlalchemy import select, text

from bss_bridge.bootstrap import Bss
from bss_bridge.domain import billing_commands as bc
from bss_bridge.storage.billing_tables import UsageGroupRow
from bss_bridge.storage.usage_store import UsageStore

from ..billing_world import GB, account, run, subscribe, utc, volume


def groups(bss: Bss) -> dict[tuple[str, str], tuple[int, int]]:
    with bss.uow() as uow:
        rows = uow.session.scalars(select(UsageGroupRow))
        return {(g.subscription_id, str(g.period_start)): (g.octets, g.records) for g in rows}


def test_the_pass_sums_each_group_in_the_database_and_adds_later_records_to_it(any_bss: Bss) -> None:
    bss = any_bss
    acme = account(bss)
    sub = subscribe(bss, acme, utc(2026, 1, 5))
    run(bss, bc.ImportUsage(tuple(volume(f"j{n}", sub, utc(2026, 1, 10 + n), n + 1, 1) for n in range(3))))
    run(bss, bc.ImportUsage((volume("f0", sub, utc(2026, 2, 3), 7),)))
    assert run(bss, bc.RateUsage()) == (4, 2)
    assert groups(bss) == {(sub, "2026-01-01"): (9 * GB, 3), (sub, "2026-02-01"): (7 * GB, 1)}
    assert run(bss, bc.RateUsage()) == (0, 0)
    run(bss, bc.ImportUsage((volume("j9", sub, utc(2026, 1, 30), 100),)))
    assert run(bss, bc.RateUsage()) == (1, 1)
    assert groups(bss)[sub, "2026-01-01"] == (109 * GB, 4)


def _wait_until_blocked(bss: Bss, seconds: float = 60) -> None:
    """Until another session of this database waits for a lock (PostgreSQL); SQLite serialises
    writers by itself, so there the second pass simply starts after the first committed."""
    if bss.engine.dialect.name != "postgresql":
        return
    query = text("SELECT count(*) FROM pg_locks WHERE NOT granted")
    deadline = time.monotonic() + seconds
    with bss.engine.connect() as connection:
        while connection.execute(query).scalar_one() == 0:
            assert time.monotonic() < deadline, "the second rating pass never waited for the first"
            time.sleep(0.05)


def test_two_passes_at_once_count_every_record_once(any_bss: Bss) -> None:
    bss = any_bss
    acme = account(bss)
    sub = subscribe(bss, acme, utc(2026, 1, 5))
    run(bss, bc.ImportUsage(tuple(volume(f"u{n}", sub, utc(2026, 1, 10 + n), 10) for n in range(5))))
    second: list[tuple[int, int] | BaseException] = []

    def other_pass() -> None:
        try:
            with bss.uow() as uow:
                second.append(UsageStore(uow.session).rate(utc(2026, 2, 1)))
                uow.commit()
        except BaseException as exc:  # reported below
            second.append(exc)

    with bss.uow() as uow:
        first = UsageStore(uow.session).rate(utc(2026, 2, 1))  # not committed yet
        thread = threading.Thread(target=other_pass)
        thread.start()
        try:
            _wait_until_blocked(bss)
        finally:
            uow.commit()
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert (first, second) == ((5, 1), [(0, 0)])
    assert groups(bss) == {(sub, "2026-01-01"): (50 * GB, 5)}
