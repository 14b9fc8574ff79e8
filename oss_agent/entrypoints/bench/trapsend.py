"""A paced trap sender, run as its own process so it never competes with the receiver's event loop.

``python -m oss_agent.entrypoints.bench.trapsend HOST PORT RATE PAYLOAD_FILE`` sends every payload
in the file (length-prefixed) at RATE per second, once, and prints how many it sent and in how
many seconds: on a busy machine the achieved rate is below the asked one, and it is the one reported.
"""

from __future__ import annotations

import socket
import struct
import sys
import time
from pathlib import Path


def read_payloads(path: Path) -> list[bytes]:
    data = path.read_bytes()
    out, pos = [], 0
    while pos < len(data):
        (size,) = struct.unpack_from("!I", data, pos)
        out.append(data[pos + 4 : pos + 4 + size])
        pos += 4 + size
    return out


def write_payloads(path: Path, payloads: list[bytes]) -> None:
    path.write_bytes(b"".join(struct.pack("!I", len(p)) + p for p in payloads))


def send(host: str, port: int, rate: float, payloads: list[bytes]) -> tuple[int, float]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * 1024 * 1024)
    started = time.perf_counter()
    for i, payload in enumerate(payloads):
        ahead = i / rate - (time.perf_counter() - started)
        if ahead > 0.0005:
            time.sleep(ahead)
        sock.sendto(payload, (host, port))
    elapsed = time.perf_counter() - started
    sock.close()
    return len(payloads), elapsed


def main() -> None:
    host, port, rate, path = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), Path(sys.argv[4])
    count, elapsed = send(host, port, rate, read_payloads(path))
    print(count, f"{elapsed:.6f}", flush=True)


if __name__ == "__main__":
    main()
