"""One owner per lab: a process that uses a lab for a while (a test session) claims its prefix, and
``up`` and ``down`` from any other process refuse that prefix while the claim is held.

Why: ``down`` removes everything named after a prefix, so a second test session started without
its own prefix (or an ``oss-agent lab down`` typed at the wrong moment) tears the lab down under a
session that is using it, and that session fails in ways that point everywhere but here.

A claim is an exclusive ``flock`` on ``<claims dir>/<prefix>.lock`` (``/run/oss-lab``, or
``$OSS_LAB_CLAIMS_DIR``), with the holder's pid and command line written in it for the message.
The kernel drops the lock when its holder exits, however it exits (even ``kill -9``): a claim is
never left behind by a crash. The check is advisory and made once per ``up``/``down``: it stops
the mistake, it does not serialise two processes racing for one prefix.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from lab.errors import LabError

_held: dict[str, int] = {}  # prefix -> the open lock file of a claim this process holds


class LabBusyError(LabError):
    """The lab is claimed by another process (the message names it)."""


def claims_dir() -> Path:
    return Path(os.environ.get("OSS_LAB_CLAIMS_DIR", "/run/oss-lab"))


def _open(prefix: str) -> int:
    directory = claims_dir()
    directory.mkdir(mode=0o755, parents=True, exist_ok=True)
    return os.open(directory / f"{prefix}.lock", os.O_RDWR | os.O_CREAT, 0o644)


def _holder(fd: int) -> str:
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 4096).decode(errors="replace").strip()
    return text or "another process"


def _busy(prefix: str, fd: int) -> LabBusyError:
    return LabBusyError(
        f"lab {prefix!r} is in use by {_holder(fd)}: it would be torn down under it. "
        "Use another prefix (and management subnet), or wait until that process ends"
    )


def claim(prefix: str) -> None:
    """Claim ``prefix`` for this process until :func:`release` (or its exit); refused while another
    process holds it. Claiming a prefix this process holds already does nothing."""
    if prefix in _held:
        return
    fd = _open(prefix)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        error = _busy(prefix, fd)
        os.close(fd)
        raise error from None
    command = Path(f"/proc/{os.getpid()}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"process {os.getpid()} ({command.strip()[:300]})".encode(), 0)
    _held[prefix] = fd


def release(prefix: str) -> None:
    fd = _held.pop(prefix, None)
    if fd is not None:
        os.close(fd)  # closing the only descriptor drops the lock


def check_free(prefix: str) -> None:
    """Raise :class:`LabBusyError` if another process claims ``prefix``."""
    if prefix in _held:
        return
    fd = _open(prefix)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)  # shared: two checks never refuse each other
    except BlockingIOError:
        raise _busy(prefix, fd) from None
    finally:
        os.close(fd)
