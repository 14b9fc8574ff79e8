"""A delaying relay for a device's management services, for kernels without ``sch_netem``.

``set_netem(delay_ms=...)`` on such a host redirects (nftables NAT, in the device's namespace) the
SNMP, SSH and NETCONF traffic arriving on ``mgmt0`` to this relay, which forwards it to the real
daemon after the delay. Clients see real latency on the device's real address: replies leave from
the redirected socket, so conntrack gives them the service's address and port back. Traffic towards
the device is delayed, as netem on the device's ingress would do; order is preserved.

Run inside the namespace: ``python -m lab.delay --delay-ms 800 --upstream 198.51.100.11
--udp 161=10161 --tcp 22=10022 --tcp 830=10830 --pidfile FILE``.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import cast


class _UpstreamUdp(asyncio.DatagramProtocol):
    def __init__(self, front: _FrontUdp, client: tuple[str, int]) -> None:
        self.front, self.client = front, client

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.front.transport is not None:
            self.front.transport.sendto(data, self.client)


class _FrontUdp(asyncio.DatagramProtocol):
    def __init__(self, upstream: tuple[str, int], delay_s: float) -> None:
        self.upstream, self.delay_s = upstream, delay_s
        self.transport: asyncio.DatagramTransport | None = None
        self.peers: dict[tuple[str, int], asyncio.DatagramTransport] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        asyncio.get_running_loop().call_later(self.delay_s, lambda: asyncio.ensure_future(self._forward(data, addr)))

    async def _forward(self, data: bytes, client: tuple[str, int]) -> None:
        peer = self.peers.get(client)
        if peer is None:
            loop = asyncio.get_running_loop()
            peer, _ = await loop.create_datagram_endpoint(
                lambda: _UpstreamUdp(self, client), local_addr=(self.upstream[0], 0), remote_addr=self.upstream
            )
            self.peers[client] = peer
        peer.sendto(data)


async def _delayed_pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay_s: float) -> None:
    """Copy reader to writer, each chunk delivered ``delay_s`` after it arrived, in order."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def deliver() -> None:
        while True:
            due, chunk = await queue.get()
            await asyncio.sleep(max(0.0, due - loop.time()))
            if not chunk:
                writer.close()
                return
            writer.write(chunk)
            await writer.drain()

    delivery = asyncio.create_task(deliver())
    try:
        while True:
            chunk = await reader.read(65536)
            await queue.put((loop.time() + delay_s, chunk))
            if not chunk:
                break
        await delivery
    except (ConnectionError, OSError):
        delivery.cancel()
        writer.close()


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


def _tcp_handler(
    upstream: tuple[str, int], delay_s: float
) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(delay_s)  # the connection request itself crosses the slow link
        try:
            up_reader, up_writer = await asyncio.open_connection(*upstream)
        except OSError:
            writer.close()
            return
        await asyncio.gather(_delayed_pump(reader, up_writer, delay_s), _pump(up_reader, writer))

    return handle


def _pairs(values: list[str]) -> list[tuple[int, int]]:
    out = []
    for value in values:
        service, local = value.split("=")
        out.append((int(service), int(local)))
    return out


async def serve(
    delay_ms: int, upstream: str, udp: list[tuple[int, int]], tcp: list[tuple[int, int]], pidfile: Path | None
) -> None:
    loop = asyncio.get_running_loop()
    delay_s = delay_ms / 1000.0
    for service, local in udp:
        target = (upstream, service)
        await loop.create_datagram_endpoint(
            functools.partial(_FrontUdp, target, delay_s),
            local_addr=("0.0.0.0", local),  # noqa: S104 - in the lab ns
        )
    servers = [
        await asyncio.start_server(_tcp_handler((upstream, service), delay_s), "0.0.0.0", local)  # noqa: S104
        for service, local in tcp
    ]
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if pidfile is not None:  # written once every socket listens: the caller waits for it
        await asyncio.to_thread(pidfile.write_text, str(os.getpid()))
    await stop.wait()
    for server in servers:
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--delay-ms", type=int, required=True)
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--udp", action="append", default=[])
    parser.add_argument("--tcp", action="append", default=[])
    parser.add_argument("--pidfile", type=Path)
    args = parser.parse_args()
    asyncio.run(serve(args.delay_ms, args.upstream, _pairs(args.udp), _pairs(args.tcp), args.pidfile))


if __name__ == "__main__":
    main()
