"""Orders side by side: disjoint devices in parallel, a shared device in arrival order; an externalId
activates once; cancellation until the commit starts, refused after; a start date in the future waits."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest

from oss_agent.domain.commands import CancelServiceOrder

from .conftest import Prov, internet_access, modify, ping, raw_configs

pytestmark = pytest.mark.lab


def _span(log: list[tuple[float, str, str, str]], order: str) -> tuple[float, float]:
    """When an order first touched a device (snapshot) and when its last device was committed."""
    stamps = [t for t, o, phase, _ in log if o == order and phase in ("snapshot", "committed")]
    return min(stamps), max(stamps)


def test_disjoint_orders_run_in_parallel_and_a_shared_device_in_arrival_order(prov: Prov, clean: None) -> None:
    log: list[tuple[float, str, str, str]] = []

    async def run(order_id: str, label: str) -> str:
        def say(device: str, phase: str, detail: str) -> None:
            log.append((time.monotonic(), label, phase, device))

        return str(await prov.ctx.activator.execute(order_id, progress=say))

    first = prov.submit(internet_access("customer1", "198.18.2.0/24", externalId="crm-parallel-1"))
    second = prov.submit(internet_access("customer2", "198.18.3.0/24"))

    async def both() -> list[str]:
        return list(await asyncio.gather(run(first, "A"), run(second, "B")))

    assert prov.run(both()) == ["completed", "completed"]
    (a_start, a_end), (b_start, b_end) = _span(log, "A"), _span(log, "B")
    assert a_start < b_end and b_start < a_end  # pe1/ce1 and pe2/ce2 overlap in time
    service_a = prov.order(first)[0].items[0].service_id
    links = {a.value for a in prov.ctx.pools.allocations("access-link")}
    assert len(links) == 2  # each its own access link

    # the same externalId again: the first order, not a second activation
    again = prov.submit(internet_access("customer1", "198.18.2.0/24", externalId="crm-parallel-1"))
    assert again == first and prov.execute(again) == "completed"
    assert len(prov.order(first)[1]) == 2  # still the two resource orders of the one activation

    # two modifies of one service (pe1, ce1): they run one after the other, in the order they arrived
    log.clear()
    faster, slower = prov.submit(modify(service_a, bandwidthMbps=40)), prov.submit(modify(service_a, bandwidthMbps=50))

    async def queued() -> list[str]:
        return list(await asyncio.gather(run(faster, "C"), run(slower, "D")))

    assert prov.run(queued()) == ["completed", "completed"]
    (_, c_end), (d_start, _) = _span(log, "C"), _span(log, "D")
    assert c_end <= d_start
    assert prov.service(service_a).characteristics["bandwidthMbps"] == 50
    assert ping(prov.lab, "lan1", "198.18.4.10") and ping(prov.lab, "lan2", "198.18.4.10")


def test_cancel_until_the_commit_starts_and_a_start_date_in_the_future_waits(prov: Prov, clean: None) -> None:
    before = raw_configs(prov.lab)
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    scheduled = prov.submit(internet_access("customer1", "198.18.2.0/24", requestedStartDate=later))
    assert prov.execute(scheduled) == "acknowledged"  # not due: nothing runs
    record = prov.run(prov.agent.bus.handle(CancelServiceOrder(scheduled, "customer changed plans"))).result
    assert record["state"] == "done"
    assert prov.order(scheduled)[0].state.value == "cancelled" and prov.execute(scheduled) == "cancelled"
    assert raw_configs(prov.lab) == before and prov.ctx.pools.allocations() == []

    running = prov.submit(internet_access("customer2", "198.18.3.0/24"))
    answers: list[dict[str, str]] = []

    async def cancel_now() -> None:  # the commit has just started: too late
        answers.append((await prov.agent.bus.handle(CancelServiceOrder(running, "too late"))).result)

    prov.ctx.activator.failpoints.hooks["before-snapshot"] = cancel_now
    try:
        assert prov.execute(running) == "completed"
    finally:
        del prov.ctx.activator.failpoints.hooks["before-snapshot"]
    assert answers[0]["state"] == "terminatedWithError" and "commit started" in answers[0]["message"]
