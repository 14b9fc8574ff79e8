"""The peers of the polling benchmark: net-snmp's snmpbulkwalk and Prometheus snmp_exporter.

Each walks ifTable and ifXTable of every device with GETBULK max-repetitions 25, as the agent does,
and reports how many varbinds it got back, so the three are counted the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import yaml

from oss_agent.errors import OssAgentError

IF_TABLE, IFX_TABLE = "1.3.6.1.2.1.2.2", "1.3.6.1.2.1.31.1.1"
EXPORTER = "prometheus-snmp-exporter"
# ifTable / ifXTable columns as snmp_exporter metric types (ifSpecific, an OID, has no metric type)
IF_COLUMNS = {
    1: "gauge",
    2: "DisplayString",
    3: "gauge",
    4: "gauge",
    5: "gauge",
    6: "PhysAddress48",
    7: "gauge",
    8: "gauge",
    9: "gauge",
    **{c: "counter" for c in range(10, 21)},
    21: "gauge",
}
IFX_COLUMNS = {
    1: "DisplayString",
    **{c: "counter" for c in range(2, 14)},
    14: "gauge",
    15: "gauge",
    16: "gauge",
    17: "gauge",
    18: "DisplayString",
    19: "gauge",
}


async def snmpbulkwalk(hosts: list[str], community: str, parallel: int) -> int:
    """Walk both tables of every host with ``parallel`` snmpbulkwalk processes at a time; varbinds seen."""
    if shutil.which("snmpbulkwalk") is None:
        raise OssAgentError("snmpbulkwalk not found: install the Debian package 'snmp'")
    semaphore = asyncio.Semaphore(parallel)

    async def walk(host: str, oid: str) -> int:
        async with semaphore:
            process = await asyncio.create_subprocess_exec(
                "snmpbulkwalk",
                "-v2c",
                "-c",
                community,
                "-Cr25",
                "-On",
                "-t",
                "5",
                "-r",
                "1",
                host,
                oid,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
            )
            out, _ = await process.communicate()
            return out.count(b"\n")

    counts = await asyncio.gather(*(walk(h, oid) for h in hosts for oid in (IF_TABLE, IFX_TABLE)))
    return sum(counts)


def exporter_config(community: str) -> dict[str, object]:
    metrics = [
        {
            "name": f"if_{column}",
            "oid": f"{IF_TABLE}.1.{column}",
            "type": kind,
            "indexes": [{"labelname": "ifIndex", "type": "gauge"}],
        }
        for column, kind in IF_COLUMNS.items()
    ] + [
        {
            "name": f"ifx_{column}",
            "oid": f"{IFX_TABLE}.1.{column}",
            "type": kind,
            "indexes": [{"labelname": "ifIndex", "type": "gauge"}],
        }
        for column, kind in IFX_COLUMNS.items()
    ]
    return {
        "bench_if": {
            "walk": [IF_TABLE, IFX_TABLE],
            "version": 2,
            "max_repetitions": 25,
            "retries": 1,
            "timeout": "5s",
            "auth": {"community": community},
            "metrics": metrics,
        }
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def running_exporter(community: str) -> AsyncIterator[str]:
    """snmp_exporter on a free loopback port with our module; yields its base URL; stopped on exit."""
    binary = shutil.which(EXPORTER)
    if binary is None:
        raise OssAgentError(f"{EXPORTER} not found: install the Debian package 'prometheus-snmp-exporter'")
    with tempfile.TemporaryDirectory(prefix="oss-bench-exporter-") as tmp:
        config = Path(tmp) / "snmp.yml"
        config.write_text(yaml.safe_dump(exporter_config(community)))
        config.chmod(0o600)
        port = _free_port()
        log = (Path(tmp) / "log").open("wb")
        process = await asyncio.create_subprocess_exec(
            binary,
            f"--config.file={config}",
            f"--web.listen-address=127.0.0.1:{port}",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 15
            async with httpx.AsyncClient() as client:
                while True:
                    with contextlib.suppress(httpx.TransportError):
                        if (await client.get(f"{url}/")).status_code == 200:
                            break
                    if process.returncode is not None or time.monotonic() > deadline:
                        raise OssAgentError(f"{EXPORTER} did not start: {(Path(tmp) / 'log').read_text()[-400:]}")
                    await asyncio.sleep(0.1)
            yield url
        finally:
            process.terminate()
            await asyncio.wait_for(process.wait(), 10)
            log.close()


async def exporter_scrapes(url: str, hosts: list[str], parallel: int) -> int:
    """Scrape every host through snmp_exporter, ``parallel`` at a time; samples of our module returned."""
    semaphore = asyncio.Semaphore(parallel)
    async with httpx.AsyncClient(timeout=60) as client:

        async def scrape(host: str) -> int:
            async with semaphore:
                answer = await client.get(f"{url}/snmp", params={"target": host, "module": "bench_if"})
                answer.raise_for_status()
                return sum(1 for line in answer.text.splitlines() if line.startswith(("if_", "ifx_")))

        return sum(await asyncio.gather(*(scrape(h) for h in hosts)))
