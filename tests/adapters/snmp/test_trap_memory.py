"""A trap receiver's memory under floods from senders without the community or a key: flat.

The receiver runs in its own process (so that its resident set is its own), takes each flood of
:mod:`adapters.snmp.floods`, and reports its VmRSS. Before the fix, the first flood (300 datagrams
with a wrong community and 64 KB OIDs) alone grew it by about 150 MB: every OID was decoded and cached
before the community was checked.
"""

from __future__ import annotations

import json
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from adapters.snmp import floods, v3msg

CHILD = """
import asyncio, json, sys
from pathlib import Path
from adapters.snmp.traps import TrapReceiver, V3TrapUser
from adapters.target import Secret, SnmpAccess

def rss_kb():
    line = next(l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("VmRSS:"))
    return int(line.split()[1])

async def main():
    user = SnmpAccess("v3", user="trapuser", auth_protocol="sha", auth_key=Secret("authpass123"),
                      priv_protocol="aes", priv_key=Secret("privpass123"))
    receiver = TrapReceiver("127.0.0.1", 0, communities=["pub"],
                            v3_users=[V3TrapUser(user, "8000000001020304"), V3TrapUser(user)])
    await receiver.start()
    print(receiver.bound_port, flush=True)
    loop = asyncio.get_running_loop()
    while await loop.run_in_executor(None, sys.stdin.readline):
        receiver.drain()  # as the pipeline would
        print(json.dumps({"datagrams": receiver.stats.datagrams, "rss_kb": rss_kb()}), flush=True)
    receiver.close()

asyncio.run(main())
"""
GROWTH_LIMIT_KB = 12 * 1024  # the allocator's own noise is a few MB; the old code grew by hundreds


class Child:
    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        assert process.stdout is not None
        self.port = int(process.stdout.readline())

    def stats(self) -> dict[str, int]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("stats\n")
        self.process.stdin.flush()
        answer: dict[str, int] = json.loads(self.process.stdout.readline())
        return answer

    def caught_up(self, sent: int) -> None:
        """Until the child has read ``sent`` datagrams (or stops reading: the kernel dropped some)."""
        last, moved = -1, time.monotonic()
        while (seen := self.stats()["datagrams"]) < sent:
            if seen != last:
                last, moved = seen, time.monotonic()
            assert time.monotonic() - moved < 20, f"the receiver stopped at {seen} of {sent}"
            time.sleep(0.02)


@pytest.fixture
def child() -> Iterator[Child]:
    process = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        yield Child(process)
    finally:
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def engine_id(port: int) -> bytes:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(10)
        sock.sendto(floods.discovery_probe(), ("127.0.0.1", port))
        return v3msg.decode_v3(sock.recv(65535)).engine_id


def test_floods_without_the_community_or_a_key_leave_the_receivers_memory_flat(child: Child) -> None:
    kinds = [f for f in floods.floods(b"pub", engine_id(child.port)) if not f.authenticated]
    assert {f.name for f in kinds} == {
        "wrong-community-64k-oids",
        "garbled",
        "v3-unknown-engine-64k-oids",
        "v3-requests-64k-oids",
    }
    rng = random.Random(11)
    sent = 1  # the discovery probe
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:

        def flood(count: int, kind: floods.Flood) -> None:
            nonlocal sent
            pending = 0
            for i in range(count):
                payload = kind.make(rng, i)
                sock.sendto(payload, ("127.0.0.1", child.port))
                sent, pending = sent + 1, pending + len(payload)
                if pending > 1_000_000:  # within the socket's buffer: none lost before it is read
                    child.caught_up(sent)
                    pending = 0
            child.caught_up(sent)

        for kind in kinds:  # a first round, so that what is loaded once (pysnmp's MIBs) is loaded
            flood(20, kind)
        before = child.stats()["rss_kb"]
        growth = {}
        for kind in kinds:
            flood(min(kind.count, 3_000), kind)
            growth[kind.name] = child.stats()["rss_kb"] - before
    assert max(growth.values()) < GROWTH_LIMIT_KB, growth
