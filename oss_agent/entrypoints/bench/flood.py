"""``oss-agent bench flood``: the running agent's memory before and after each kind of hostile flood.

A real ``oss-agent run`` process (its own data directory, an inventory of one device with the
community, polls and discovery far apart so that the agent is otherwise idle) receives each flood of
:mod:`adapters.snmp.floods` on its trap port, paced so that the kernel's socket buffer never
overflows. Its resident set size (VmRSS) is read before and after each flood, once the socket is
drained and the agent idle again. With ``--baseline-source`` an agent run from another source tree
(a checkout of an older commit) receives the same floods, and both are printed side by side.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from adapters.snmp import v3msg
from adapters.snmp.floods import Flood, discovery_probe, floods
from oss_agent.errors import OssAgentError

COMMUNITY = "bench-flood-community"
TOKEN = "bench-flood-token"  # noqa: S105 - a throwaway token for a throwaway agent on loopback
CHUNK_BYTES = 1_000_000  # sent before waiting for the agent to drain its socket (its buffer is 4 MiB)
INVENTORY = """\
devices:
  - name: quiet-device
    host: 127.0.0.1
    platform: linux
    snmp: {{version: v2c, community: {{env: FLOOD_COMMUNITY}}, port: {snmp_port}, timeout_s: 0.5, retries: 0}}
"""


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class AgentProcess:
    """An ``oss-agent run`` process and what can be read of it from outside."""

    process: subprocess.Popen[bytes]
    api: httpx.Client
    trap_port: int
    log: Path

    def rss_kb(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise OssAgentError("no VmRSS in /proc: not Linux?")

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def socket_queue(self) -> tuple[int, int]:
        """(bytes waiting, datagrams dropped by the kernel) of the trap socket, from /proc/net/udp."""
        port = f":{self.trap_port:04X}"
        for line in Path("/proc/net/udp").read_text().splitlines()[1:]:
            parts = line.split()
            if parts[1].endswith(port):
                return int(parts[4].split(":")[1], 16), int(parts[-1])
        raise OssAgentError(f"no UDP socket on port {self.trap_port}: the agent is not listening")

    def engine_id(self) -> bytes:
        """The agent's SNMP engine id, learned as any sender would: with a discovery probe."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(5)
            sock.sendto(discovery_probe(), ("127.0.0.1", self.trap_port))
            return v3msg.decode_v3(sock.recv(65535)).engine_id

    def metrics(self) -> str:
        return self.api.get("/metrics").raise_for_status().text

    def trap_counts(self) -> dict[str, float]:
        """What ``/metrics`` says of the traps: refusals and drops by reason, notifications applied
        (an agent from before these were exported gives only the last)."""
        counts: dict[str, float] = {}
        for family in text_string_to_metric_families(self.metrics()):
            for sample in family.samples:
                if sample.name == "oss_agent_trap_datagrams_refused_total":
                    counts[sample.labels["reason"]] = sample.value
                elif sample.name == "oss_agent_trap_notifications_dropped_total":
                    counts[f"dropped ({sample.labels['reason']})"] = sample.value
                elif sample.name == "oss_agent_notifications_received_total":
                    counts["applied"] = sample.value
        return counts

    def alive(self) -> None:
        if self.process.poll() is not None:
            raise OssAgentError(f"the agent exited ({self.process.returncode}): {self.log.read_text()[-2000:]}")

    def wait_idle(self, limit_s: float = 120.0, quiet_s: float = 1.0) -> None:
        """Until the trap socket is drained and the agent used under 10 % of a core for ``quiet_s``."""
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            self.alive()
            before = self.cpu_s()
            time.sleep(quiet_s)
            if self.socket_queue()[0] == 0 and self.cpu_s() - before < 0.1 * quiet_s:
                return
        raise OssAgentError(f"the agent was still busy after {limit_s:g} s")


@contextlib.contextmanager
def agent_process(
    tmp: Path,
    *,
    poll_interval_s: float = 3600,
    source: Path | None = None,
    inventory: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Iterator[AgentProcess]:
    """Run ``oss-agent run`` (from ``source`` when given: a tree whose packages are imported first)
    with ``inventory`` (by default one device, its SNMP port closed, with ``COMMUNITY`` from the
    variable FLOOD_COMMUNITY) and ``env`` added to its environment; stopped with SIGTERM afterwards."""
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "inventory.yaml").write_text(inventory or INVENTORY.format(snmp_port=free_port()))
    api_port, trap_port = free_port(socket.SOCK_STREAM), free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("OSS_AGENT_")} | {
        "OSS_AGENT_DATA_DIR": str(tmp),
        "OSS_AGENT_INVENTORY_FILE": str(tmp / "inventory.yaml"),
        "OSS_AGENT_API_PORT": str(api_port),
        "OSS_AGENT_API_TOKEN": TOKEN,
        "OSS_AGENT_TRAP_HOST": "127.0.0.1",
        "OSS_AGENT_TRAP_PORT": str(trap_port),
        "OSS_AGENT_POLL_INTERVAL_S": str(poll_interval_s),
        "OSS_AGENT_POLL_JITTER_S": "0.2",
        "OSS_AGENT_DISCOVERY_INTERVAL_S": "86400",
        "OSS_AGENT_DEVICE_TIMEOUT_S": "1",
        "FLOOD_COMMUNITY": COMMUNITY,
        **(env or {}),
    }
    if source is not None:
        environment["PYTHONPATH"] = str(source)
    log = tmp / "agent.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", "from oss_agent.entrypoints.cli import main; main()", "run"],
            env=environment,
            cwd=source or tmp,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    api = httpx.Client(base_url=f"http://127.0.0.1:{api_port}", headers={"Authorization": f"Bearer {TOKEN}"})
    agent = AgentProcess(process, api, trap_port, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            agent.alive()
            with contextlib.suppress(httpx.TransportError):
                if api.get("/metrics").status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise OssAgentError("the agent's API did not answer within 60 s")
            time.sleep(0.2)
        yield agent
    finally:
        api.close()
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def send(agent: AgentProcess, flood: Flood, scale: float, seed: int = 9) -> tuple[int, int]:
    """Send ``flood`` (``scale`` times its count), pausing whenever ``CHUNK_BYTES`` wait in the
    socket; returns (datagrams sent, datagrams the kernel dropped meanwhile)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible payloads, not secrets
    count = max(1, round(flood.count * scale))
    dropped_before = agent.socket_queue()[1]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        pending = 0
        for i in range(count):
            payload = flood.make(rng, i)
            sock.sendto(payload, ("127.0.0.1", agent.trap_port))
            pending += len(payload)
            if pending >= CHUNK_BYTES:
                deadline = time.monotonic() + 60
                while agent.socket_queue()[0] > 0 and time.monotonic() < deadline:
                    agent.alive()
                    time.sleep(0.01)
                pending = 0
    return count, agent.socket_queue()[1] - dropped_before


@dataclass(frozen=True, slots=True)
class FloodRow:
    flood: str
    sent: int
    kernel_drops: int
    rss_before_mb: float
    rss_after_mb: float
    counted_as: str  # what /metrics counted the flood as (empty for an agent that does not say)

    @property
    def growth_mb(self) -> float:
        return self.rss_after_mb - self.rss_before_mb


def measure(tmp: Path, scale: float, source: Path | None = None) -> tuple[float, list[FloodRow]]:
    """The agent's RSS when idle after start, and before/after each flood (in MB)."""
    rows = []
    with agent_process(tmp, source=source) as agent:
        agent.wait_idle()
        started_mb = agent.rss_kb() / 1024
        for flood in floods(COMMUNITY.encode(), agent.engine_id()):
            before, counts = agent.rss_kb() / 1024, agent.trap_counts()
            sent, drops = send(agent, flood, scale)
            agent.wait_idle()
            after = agent.trap_counts()
            moved = {k: after[k] - counts.get(k, 0) for k in after if after[k] != counts.get(k, 0)}
            said = ", ".join(f"{k} {v:.0f}" for k, v in sorted(moved.items(), key=lambda kv: -kv[1]))
            rows.append(FloodRow(flood.name, sent, drops, before, agent.rss_kb() / 1024, said))
    return started_mb, rows


def run(scale: float = 1.0, baseline_source: Path | None = None) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="oss-bench-flood-") as name:
        tmp = Path(name)
        figures: dict[str, object] = {}
        for label, source in (("agent", None), ("baseline", baseline_source)):
            if label == "baseline" and source is None:
                continue
            started, rows = measure(tmp / label, scale, source)
            figures[label] = {
                "idle_mb": round(started, 1),
                "floods": [
                    {
                        "flood": r.flood,
                        "sent": r.sent,
                        "kernel_drops": r.kernel_drops,
                        "rss_before_mb": round(r.rss_before_mb, 1),
                        "rss_after_mb": round(r.rss_after_mb, 1),
                        "growth_mb": round(r.growth_mb, 1),
                        "counted_as": r.counted_as,
                    }
                    for r in rows
                ],
            }
        return figures
