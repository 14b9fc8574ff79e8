"""Which process runs an order, and whether it still lives: recovery must finish the orders of a dead
agent, never those a live one (the daemon, another CLI) is running right now.

A worker is ``host:pid:start`` (the process start time in clock ticks since boot, so a reused pid is
not taken for the process that died). A worker on another host cannot be checked and counts as alive.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path


def _start(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces: count fields after its closing parenthesis
    return stat.rsplit(")", 1)[1].split()[19]


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{_start(os.getpid())}"


def alive(worker: str | None) -> bool:
    if not worker:
        return False
    host, _, rest = worker.partition(":")
    pid, _, start = rest.partition(":")
    if host != socket.gethostname():
        return True
    if not pid.isdigit():
        return False
    return _start(int(pid)) == start
