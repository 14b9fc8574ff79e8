"""SNMP v1/v2c over one asyncio UDP socket: many requests in flight, matched by request-id.

One socket serves every device (a poller of 500 devices needs no 500 sockets); its receive buffer
is raised to 4 MiB because at a few hundred concurrent walks the default 208 KB overflowed and the
kernel dropped answers (lab notes). A semaphore bounds requests in flight. Retries reuse the
pending future under a fresh request-id, so a late answer to the first try still counts.
"""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import Sequence
from dataclasses import dataclass

from adapters.errors import DeviceTimeoutError, DeviceUnreachableError
from adapters.snmp import ber

RECEIVE_BUFFER = 4 * 1024 * 1024
_SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)


def set_receive_buffer(sock: socket.socket, size: int = RECEIVE_BUFFER) -> int:
    """Ask for a ``size`` receive buffer; as root past ``net.core.rmem_max`` (208 KB on a stock Debian),
    otherwise as much as the limit allows. Returns what the kernel granted."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, _SO_RCVBUFFORCE, size)
    except OSError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
    return int(sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))


@dataclass(frozen=True, slots=True)
class CommunityTarget:
    """Where and how to reach one agent with v1/v2c."""

    name: str
    host: str
    port: int
    version: int
    community: bytes
    timeout_s: float = 2.0
    retries: int = 1


@dataclass
class ClientStats:
    sent: int = 0
    received: int = 0
    unmatched: int = 0
    malformed: int = 0
    timeouts: int = 0


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, client: SnmpClient) -> None:
        self.client = client

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        self.client._received(data, addr)

    def error_received(self, exc: Exception) -> None:  # ICMP errors on an unconnected socket: nothing to match
        return None


class SnmpClient:
    """The v1/v2c request engine. Create inside the event loop that will use it."""

    def __init__(self, max_in_flight: int = 256) -> None:
        self._pending: dict[int, tuple[asyncio.Future[ber.Message], tuple[str, int]]] = {}
        self._transport: asyncio.DatagramTransport | None = None
        self._semaphore = asyncio.Semaphore(max_in_flight)
        self._next_id = random.randrange(1, 2**30)  # noqa: S311 - request ids need uniqueness, not secrecy
        self.stats = ClientStats()

    async def _ensure(self) -> asyncio.DatagramTransport:
        if self._transport is None:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            set_receive_buffer(sock)
            sock.bind(("0.0.0.0", 0))  # noqa: S104 - answers come back to this socket from any agent
            sock.setblocking(False)
            loop = asyncio.get_running_loop()
            transport, _ = await loop.create_datagram_endpoint(lambda: _Protocol(self), sock=sock)
            self._transport = transport
        return self._transport

    def _request_id(self) -> int:
        self._next_id = self._next_id + 1 if self._next_id < 2**31 - 1 else 1
        return self._next_id

    def _received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        self.stats.received += 1
        try:
            message = ber.decode_message(data)
        except ber.BerError:
            self.stats.malformed += 1
            return
        entry = self._pending.get(message.request_id)
        if entry is None or entry[0].done() or (str(addr[0]), addr[1]) != entry[1]:
            self.stats.unmatched += 1
            return
        entry[0].set_result(message)

    async def request(
        self,
        target: CommunityTarget,
        pdu_type: int,
        varbinds: Sequence[ber.VarBind],
        error_status: int = 0,
        error_index: int = 0,
        operation: str = "snmp",
    ) -> ber.Message:
        """Send one PDU and wait for its response, retrying on silence."""
        transport = await self._ensure()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[ber.Message] = loop.create_future()
        peer = (target.host, target.port)
        ids: list[int] = []
        async with self._semaphore:
            try:
                for _attempt in range(target.retries + 1):
                    request_id = self._request_id()
                    ids.append(request_id)
                    self._pending[request_id] = (future, peer)
                    payload = ber.encode_message(
                        target.version, target.community, pdu_type, request_id, varbinds, error_status, error_index
                    )
                    try:
                        transport.sendto(payload, peer)
                    except OSError as exc:
                        raise DeviceUnreachableError(
                            f"cannot send to {target.host}:{target.port}: {exc.strerror or exc}",
                            device=target.name,
                            operation=operation,
                        ) from exc
                    self.stats.sent += 1
                    try:
                        return await asyncio.wait_for(asyncio.shield(future), target.timeout_s)
                    except TimeoutError:
                        continue
                self.stats.timeouts += 1
                raise DeviceTimeoutError(
                    f"no SNMP response from {target.host}:{target.port} within {target.timeout_s:g} s "
                    f"x {target.retries + 1} tries (unreachable, agent down, or wrong community)",
                    device=target.name,
                    operation=operation,
                )
            finally:
                for request_id in ids:
                    self._pending.pop(request_id, None)
                if not future.done():
                    future.cancel()

    def close(self) -> None:
        transport, self._transport = self._transport, None
        if transport is None:
            return
        try:
            transport.close()
        except RuntimeError:
            # Its event loop is already closed (a finished asyncio.run): close the socket object itself.
            # Closing the bare fd instead would let a new socket reuse the number and be closed later.
            sock = getattr(transport, "_sock", None)
            if isinstance(sock, socket.socket):
                sock.close()
