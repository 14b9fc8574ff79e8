"""A pysnmp UDP transport that reads a storm in batches.

pysnmp's asyncio UDP transport sits on an asyncio datagram endpoint, which reads one datagram per
turn of the event loop, and then schedules each datagram as one more loop callback: in a trap storm
every trap costs two turns of the loop (a poll of the selector each) before any decoding starts.
This transport reads the socket itself: per readiness event it takes whatever is queued (up to
``batch``) and hands each datagram to pysnmp's dispatcher at once, the same call pysnmp would have
scheduled. Sending (inform acknowledgements, reports) goes out on the same socket.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from typing import Any

from pysnmp.carrier.asyncio.dgram import udp

logger = logging.getLogger(__name__)

READ_BATCH = 256  # datagrams per readiness event, so that one storm cannot starve the rest of the loop


class _SocketSender:
    """What pysnmp's transport needs of an asyncio datagram transport: ``sendto`` and ``close``."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def sendto(self, data: bytes, address: Any) -> None:
        try:
            self._sock.sendto(data, tuple(address))
        except (BlockingIOError, InterruptedError):
            logger.debug("send buffer full: an SNMP response to %s was dropped", address)

    def close(self) -> None:
        self._sock.close()


class BatchedUdpTransport(udp.UdpAsyncioTransport):  # type: ignore[misc]
    """pysnmp's UDP server transport on an already bound, non-blocking socket, read in batches.

    ``on_error(exc)`` is told about a datagram that raised while being processed; the transport
    goes on with the next one.
    """

    def __init__(self, sock: socket.socket, on_error: Callable[[Exception], None], batch: int = READ_BATCH) -> None:
        super().__init__(loop=asyncio.get_running_loop())
        self._sock, self._on_error, self._batch = sock, on_error, batch
        self.reads = 0  # readiness events served; in a storm far fewer than datagrams

    def open_server_mode(self, iface: Any = None, sock: Any = None) -> BatchedUdpTransport:
        self.transport = _SocketSender(self._sock)
        self.loop.add_reader(self._sock.fileno(), self._read_ready)
        opened: asyncio.Future[None] = self.loop.create_future()
        opened.set_result(None)
        self._lport = opened  # pysnmp's "endpoint created" future: there is nothing left to wait for
        return self

    def _read_ready(self) -> None:
        self.reads += 1
        for _ in range(self._batch):
            try:
                data, address = self._sock.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # an error queued on the socket (ICMP); this read consumed it
                logger.debug("SNMP socket: %s", exc)
                return
            callback = self._callback_function
            if callback is None:  # closing
                return
            try:
                callback(self, address, data)
            except Exception as exc:  # one datagram must never stop the receiver
                self._on_error(exc)

    def close_transport(self) -> None:
        if self._sock.fileno() >= 0:
            self.loop.remove_reader(self._sock.fileno())
        super().close_transport()
