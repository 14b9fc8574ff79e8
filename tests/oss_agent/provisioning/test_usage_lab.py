"""Usage on the lab: an Internet access is activated, the customer's LAN host sends a few megabytes
through it to the Internet host, pe1 is polled, and the published usage records of the service add up
to what crossed pe1's access port, in each direction: at least what its kernel counted over the
transfer, at most that plus the access link's background traffic (LLDP, ARP) over the records' span.

The host's own counters are an upper bound only: the CE's shaper drops what exceeds the contracted
rate, and TCP sends it again, so the host sends more than reaches the PE."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from oss_agent.bootstrap import bootstrap
from oss_agent.domain.commands import PublishUsage
from oss_agent.performance.poller import Poller
from oss_agent.performance.rates import COUNTER_CACHE_S
from oss_agent.performance.store import PerfStore
from oss_agent.storage.usage_tables import UsageRecordRow

from .conftest import Prov, internet_access, ns

pytestmark = pytest.mark.lab

SENT = 6_000_000  # octets of payload the LAN host sends (about 2.5 s at the service's 20 Mbit/s)
BACKGROUND_BPS = 4_000  # octets/s allowed on the access link besides the host's (LLDP each second, ARP)
SINK = """
import socket, sys
server = socket.create_server(("0.0.0.0", 5001))
print("ready", flush=True)
connection, _ = server.accept()
total = 0
while chunk := connection.recv(65536):
    total += len(chunk)
print(total, flush=True)
"""
SEND = """
import socket, sys, time
deadline = time.monotonic() + 20
while True:
    try:
        connection = socket.create_connection(("198.18.4.10", 5001), timeout=5)
        break
    except OSError:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.1)
connection.sendall(b"x" * int(sys.argv[1]))
connection.shutdown(socket.SHUT_WR)
connection.recv(1)
connection.close()
"""


def interface_counters(prov: Prov, host: str, address: str | None = None, name: str = "") -> tuple[int, int]:
    """(rx, tx) octets of interface ``name`` (or the one holding ``address``) in ``host``'s namespace,
    from its kernel: the counters snmpd reports."""
    where = ["ip", "netns", "exec", ns(prov.lab, host)]
    if address is not None:
        out = subprocess.run([*where, "ip", "-j", "addr"], capture_output=True, check=True, text=True).stdout
        name = next(link["ifname"] for link in json.loads(out) if any(a["local"] == address for a in link["addr_info"]))
    stats = [f"/sys/class/net/{name}/statistics/{k}_bytes" for k in ("rx", "tx")]
    rx, tx = subprocess.run([*where, "cat", *stats], capture_output=True, check=True, text=True).stdout.split()
    return int(rx), int(tx)


def test_traffic_through_an_active_service_becomes_its_usage(prov: Prov, clean: None) -> None:
    order = prov.submit(internet_access("customer1", "198.18.2.0/24"))
    assert prov.execute(order) == "completed"
    service_id = prov.order(order)[0].items[0].service_id
    # a second agent on the same database, as another process would be, publishing 10-second volumes
    # and 5-second rate samples (the defaults are an hour and 5 minutes)
    settings = prov.agent.settings.model_copy(update={"usage_interval_s": 10, "usage_rate_interval_s": 5})
    publisher = bootstrap(settings)
    poller = Poller({"pe1": prov.ctx.inventory.target("pe1")}, PerfStore(prov.agent.engine))
    stop = asyncio.Event()

    skipped: list[str] = []  # readings the poller could not turn into a sample (each would be a gap)

    async def poll() -> None:
        while not stop.is_set():
            skipped.extend((await poller.poll("pe1")).skipped)
            await poller.flush()
            await asyncio.sleep(1)

    sink = subprocess.Popen(
        ["ip", "netns", "exec", ns(prov.lab, "inet"), "python3", "-c", SINK], stdout=subprocess.PIPE, text=True
    )
    try:
        assert sink.stdout is not None and sink.stdout.readline().strip() == "ready"

        async def scenario() -> tuple[tuple[int, int, int, int], tuple[int, int, int, int], float]:
            polling = asyncio.create_task(poll())
            await asyncio.sleep(3)  # a base reading and a quiet sample or two before the traffic
            before = (*interface_counters(prov, "lan1", "198.18.2.10"), *interface_counters(prov, "pe1", name="eth3"))
            send = ["ip", "netns", "exec", ns(prov.lab, "lan1"), "python3", "-c", SEND, str(SENT)]
            await asyncio.to_thread(subprocess.run, send, check=True, timeout=120)
            after = (*interface_counters(prov, "lan1", "198.18.2.10"), *interface_counters(prov, "pe1", name="eth3"))
            done = time.time()
            # snmpd answers from a counter cache (about 3 s): the transfer's last octets reach a sample
            # read up to COUNTER_CACHE_S plus a poll after it; wait until pe1 was read past the end of
            # the interval holding that instant, so the intervals published hold every such sample
            settled = ((done + COUNTER_CACHE_S + 3) // 10 + 1) * 10
            deadline = time.monotonic() + 90
            while not any(ts > settled for ts, *_ in _samples(prov)):
                assert time.monotonic() < deadline, "pe1 not polled past the transfer"
                await asyncio.sleep(0.5)
            stop.set()
            await polling
            return before, after, done

        before, after, done = prov.run(scenario())
        assert int(sink.communicate(timeout=30)[0].strip()) == SENT
        report = prov.run(publisher.bus.handle(PublishUsage(datetime.now(UTC)))).result
        assert report.unmeasured == {}
        with Session(prov.agent.engine) as session:
            records = list(session.scalars(select(UsageRecordRow).where(UsageRecordRow.service_id == service_id)))
        volumes = [r for r in records if r.kind == "volume"]
        rates = [r for r in records if r.kind == "rate"]
        assert volumes and rates and all(r.interfaces == ["pe1:eth3"] for r in records)
        first, last = min(r.usage_date for r in volumes), max(r.end_date for r in volumes)
        assert last.timestamp() > done
        span = (last - first).total_seconds()
        host_rx, host_tx, pe_in, pe_out = (b - a for a, b in zip(before, after, strict=True))
        outbound = sum(r.outbound_octets or 0 for r in volumes)  # what the customer's site sent: pe1:eth3 in
        inbound = sum(r.inbound_octets or 0 for r in volumes)  # what it received (acknowledgements): eth3 out
        allowance = BACKGROUND_BPS * span
        assert SENT <= pe_in <= outbound <= pe_in + allowance, (pe_in, outbound, allowance, skipped)
        assert pe_out <= inbound <= pe_out + allowance, (pe_out, inbound, allowance)
        assert outbound <= host_tx + allowance and inbound <= host_rx + allowance, (host_tx, host_rx)
        assert all(r.measured_s > 0 for r in volumes)
        # the 5-second rate samples tell the same octets: their rate over the seconds they measured
        within = [r for r in rates if r.end_date <= last]
        starts = sorted(r.interval_start for r in within)  # every 5 seconds polled has its sample, once
        assert starts[0] % 5 == 0 and starts == [starts[0] + 5 * k for k in range(len(starts))], starts
        assert max(r.end_date for r in within) == last
        by_rates = sum(float(r.outbound_mbps or 0) * 1e6 / 8 * r.measured_s for r in within)
        assert abs(by_rates - outbound) <= 0.001 * outbound, (by_rates, outbound)
        # published once: a second run finds nothing new
        again = prov.run(publisher.bus.handle(PublishUsage(datetime.now(UTC)))).result
        assert not set(again.published) & {r.usage_id for r in records}
    finally:
        stop.set()
        if sink.poll() is None:
            sink.kill()
            sink.wait()
        publisher.close()


def _samples(prov: Prov) -> list[tuple[float, float]]:
    from oss_agent.storage.perf_tables import InterfaceSampleRow

    with Session(prov.agent.engine) as session:
        query = select(InterfaceSampleRow.ts, InterfaceSampleRow.interval_s).where(
            InterfaceSampleRow.device == "pe1", InterfaceSampleRow.interface == "eth3"
        )
        return [(ts, seconds) for ts, seconds in session.execute(query)]
