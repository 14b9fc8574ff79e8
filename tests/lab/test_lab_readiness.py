"""Readiness probes tell apart the ways a daemon's Unix socket can fail (no root needed)."""

from __future__ import annotations

import socket
from pathlib import Path

from lab.readiness import unix_problem


def test_a_listening_socket_accepts(tmp_path: Path) -> None:
    path = tmp_path / "ok.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(path))
        server.listen(8)
        assert unix_problem(path) is None


def test_a_missing_socket_file(tmp_path: Path) -> None:
    assert unix_problem(tmp_path / "gone.sock") == "no socket"


def test_a_socket_file_nobody_listens_on(tmp_path: Path) -> None:
    path = tmp_path / "stale.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(path))  # bound, never listening: what a daemon that died leaves behind
        assert unix_problem(path) == "nothing listens"


def test_a_listener_that_stopped_accepting_is_told_apart_from_a_dead_one(tmp_path: Path) -> None:
    """What a blocked netconfd looks like: alive, listening, never calling accept()."""
    path = tmp_path / "busy.sock"
    waiting: list[socket.socket] = []
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(path))
        server.listen(1)
        try:
            problem = None
            for _ in range(16):  # fill the backlog; the kernel admits backlog + 1
                problem = unix_problem(path)
                if problem is not None:
                    break
                client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                client.connect(str(path))
                waiting.append(client)
            assert problem == "alive but not accepting: its backlog is full"
            assert 1 <= len(waiting) <= 3
        finally:
            for client in waiting:
                client.close()
