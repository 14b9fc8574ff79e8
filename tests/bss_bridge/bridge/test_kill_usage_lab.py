"""kill -9 of the agent while it publishes usage and of the BSS while it rates it, on the lab, then a
restart: every usage record is rated once and the bill carries exactly their sum.

The three processes are real and separate (``test_loop_lab.running_loop``), usage published per
5 s interval. The agent SIGKILLs itself right after committing its first usage records with their
hub events, none delivered (failpoint ``usage-published``); restarted, its outbox delivers them.
The bridge imports them into billing, and the BSS SIGKILLs itself inside the rating pass that
takes them: the records summed into their groups and the mark moved, not committed (failpoint
``usage-rated``). While the BSS is dead the bridge goes on importing (it writes through the BSS's
service layer); restarted, the BSS rates everything once. The agent is then stopped, so the set of
records is final, and a bill run as of the period's end bills their sum.
"""

from __future__ import annotations

import signal
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import sessionmaker

from bss_bridge.storage.billing_tables import UsageGroupRow, UsageMarkRow, UsageRow
from lab.pytest_plugin import LabHandle
from oss_agent.storage.hub_tables import HubDeliveryRow, HubOutboxRow
from oss_agent.storage.usage_tables import UsageRecordRow

from ...oss_agent.provisioning.conftest import Prov, baseline, clean, ping, prov  # noqa: F401 - fixtures
from .test_kill_sides_lab import when
from .test_loop_lab import INET, USAGE, order_internet, product_of, running_loop

pytestmark = pytest.mark.lab
BILLS = "/tmf-api/customerBillManagement/v4"
FAST_USAGE = {  # usage published per 5 s interval, counters polled every 3 s
    "OSS_AGENT_USAGE_INTERVAL_S": "5",
    "OSS_AGENT_USAGE_RATE_INTERVAL_S": "5",
    "OSS_AGENT_POLL_INTERVAL_S": "3",
    "OSS_AGENT_POLL_JITTER_S": "1",
    "OSS_AGENT_FAILPOINT": "usage-published",
}


def agent_records(db: Path) -> tuple[dict[str, int], dict[str, bool], dict[str, datetime]]:
    """From the agent's database: volume record id -> its octets (in + out); the record id of each
    usage event in the outbox -> whether its hub delivered it; volume record id -> its usage date."""
    engine = create_engine(f"sqlite:///{db}")
    try:
        with sessionmaker(engine)() as session:
            found = session.scalars(select(UsageRecordRow).where(UsageRecordRow.kind == "volume")).all()
            volumes = {r.usage_id: (r.inbound_octets or 0) + (r.outbound_octets or 0) for r in found}
            dates = {r.usage_id: r.usage_date.replace(tzinfo=UTC) for r in found}
            rows = session.execute(
                select(HubOutboxRow.resource_id, HubDeliveryRow.delivered_at)
                .outerjoin(HubDeliveryRow, HubDeliveryRow.outbox_id == HubOutboxRow.id)
                .where(HubOutboxRow.event_type == "UsageCreateEvent")
            )
            delivered: dict[str, bool] = {}
            for resource, at in rows:  # an event not fanned out yet has no delivery row: owed too
                delivered[resource] = delivered.get(resource, False) or at is not None
    finally:
        engine.dispose()
    return volumes, delivered, dates


def bss_usage(db: Path, product: str) -> tuple[list[tuple[str, int, int]], int, list[tuple[str, int, int]]]:
    """From the BSS's database, in one read: the product's records (usage id, row id, octets), the
    rating mark, and its groups (kind, records, octets)."""
    engine = create_engine(f"sqlite:///{db}")
    try:
        with sessionmaker(engine)() as session, session.begin():
            records = [
                (r.usage_id, r.id, (r.inbound_octets or 0) + (r.outbound_octets or 0))
                for r in session.scalars(select(UsageRow).where(UsageRow.product_id == product))
            ]
            mark = int(session.scalar(select(func.max(UsageMarkRow.rated_through))) or 0)
            groups = [
                (g.kind, g.records, g.octets)
                for g in session.scalars(select(UsageGroupRow).where(UsageGroupRow.subscription_id == product))
            ]
    finally:
        engine.dispose()
    return records, mark, groups


def test_the_agent_killed_publishing_usage_and_the_bss_killed_rating_it_charge_each_record_once(
    lab: LabHandle,
    prov: Prov,  # noqa: F811 - the agent fixture of the provisioning tests (imported above)
    clean: None,  # noqa: F811 - the lab put back after the test
    tmp_path: Path,
) -> None:
    agent_db = tmp_path / "agent" / "oss-agent.db"
    with running_loop(lab, tmp_path, FAST_USAGE, {"OSS_BSS_FAILPOINT": "usage-rated"}) as loop:
        procs = loop.procs
        _, account, order = order_internet(loop.bss)
        found = procs.wait_for(
            "the product out of its activation",
            lambda: (p := product_of(loop.bss, order["id"]))["status"] not in ("created", "pendingActive") and p,
        )
        assert found["status"] == "active", f"{found}\n{procs.logs()}"
        product = found["id"]
        assert ping(lab, "lan1", INET)  # some traffic through the service
        # the agent dies with its first records stored and their hub events owed
        procs.killed("agent", timeout_s=120)
        first, delivered, _ = agent_records(agent_db)
        assert first and delivered and not any(delivered.values()), delivered
        assert set(first) <= set(delivered)
        procs.restart("agent", OSS_AGENT_FAILPOINT=None)
        # its outbox delivers them; the BSS dies inside the rating pass that takes them
        procs.killed("bss", timeout_s=120)
        records, mark, groups = bss_usage(loop.bss_db, product)
        assert records and sum(g[1] for g in groups) == len([r for r in records if r[1] <= mark])
        # while the BSS is dead the bridge goes on importing what the agent publishes
        procs.wait_for(
            "a record imported while the BSS is dead", lambda: len(bss_usage(loop.bss_db, product)[0]) > len(records)
        )
        procs.restart("bss", OSS_BSS_FAILPOINT=None)
        # the agent stopped (cleanly): its records are final; then all of them imported and rated
        agent = procs.process("agent")
        agent.send_signal(signal.SIGTERM)
        assert agent.wait(timeout=60) == 0, procs.logs()
        procs.running = [e for e in procs.running if e[0] != "agent"]
        published, _, dates = agent_records(agent_db)
        assert set(first) <= set(published)

        def all_rated() -> bool:
            records, mark, _ = bss_usage(loop.bss_db, product)
            volumes = {r[0] for r in records if r[0] in published}
            return volumes == set(published) and all(r[1] <= mark for r in records)

        procs.wait_for("every record imported and rated", all_rated, timeout_s=120)
        records, mark, groups = bss_usage(loop.bss_db, product)
        ids = [r[0] for r in records]
        assert len(ids) == len(set(ids))  # each record once
        volume = {r[0]: r[2] for r in records if r[0] in published}
        assert volume == published  # the agent's records, each with its octets
        (group,) = [g for g in groups if g[0] == "volume"]
        assert group[1:] == (len(published), sum(published.values()))  # rated once: records and octets
        statuses = {u["id"]: u["status"] for u in loop.bss.get(USAGE, params={"productId": product}).json()}
        assert {statuses[i] for i in published} == {"rated"}

        # the bill of the period after this one bills this period's usage: exactly the records' sum
        # (the first invoice was issued by the BSS's scheduled bill run)
        (first_bill,) = loop.bss.get(f"{BILLS}/customerBill", params={"billingAccount.id": account}).json()
        period_end = when(first_bill["billingPeriod"]["endDateTime"])
        lines = bill_run(loop, account, period_end)["lines"]
        gb = sum(Decimal(str(line["quantity"])) for line in lines if line["kind"] == "usageCharge")
        in_period = [octets for usage_id, octets in published.items() if dates[usage_id] < period_end]
        assert gb * 10**9 == sum(in_period) > 0, (gb, lines)


def bill_run(loop: Any, account: str, as_of: datetime) -> dict[str, Any]:
    """A bill run for ``account`` as of ``as_of``: the bill it issued, with its lines' kinds and quantities."""
    body = {"asOf": as_of.isoformat().replace("+00:00", "Z"), "billingAccount": [{"id": account}]}
    run = loop.bss.post("/bss/v1/billRun", json=body)
    assert run.is_success, run.text
    (bill,) = [b for b in run.json()["bills"] if b["billNo"]]
    rates = loop.bss.get(f"{BILLS}/appliedCustomerBillingRate", params={"bill.id": bill["billNo"]}).json()
    values = [{c["name"]: c["value"] for c in rate.get("characteristic", [])} for rate in rates]
    return bill | {"lines": [{"kind": v.get("kind"), "quantity": v.get("quantity")} for v in values]}
