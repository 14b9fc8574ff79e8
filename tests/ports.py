"""Ports for the processes a test starts: one the kernel has just given out, of the right protocol.

A trap port is a UDP port: probing it with a TCP socket says nothing about the SNMP clients' UDP
sockets that share the same ephemeral range (a busy machine has many), so each protocol is probed
with its own kind of socket."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A TCP port nobody listens on now (for an HTTP API)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_udp_port() -> int:
    """A UDP port nobody has bound now (for a trap receiver)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
