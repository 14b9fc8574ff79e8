"""Shared fixtures: a real PostgreSQL 15 for the session, and a database URL per backend.

PostgreSQL is started from Debian's binaries in a temporary directory, listening only on a Unix
socket there, and removed at the end even when tests fail. A machine without it fails the
PostgreSQL tests with a message saying what to install: they are never skipped.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest

import secrecy

pytest_plugins = ["lab.pytest_plugin"]

PG_BIN = Path(os.environ.get("OSS_AGENT_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))

# No terminal size comes from whoever runs the tests (a shell that exports COLUMNS=80 failed the BSS
# CLI's table tests; the CLIs make their consoles when imported, before any fixture runs). A test
# that wants a width sets COLUMNS itself; otherwise output is piped, 160 columns wide, as in CI.
for _name in ("COLUMNS", "LINES"):
    os.environ.pop(_name, None)


def _interrupted(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config: pytest.Config) -> None:
    """SIGTERM stops a run as Ctrl-C does: its fixtures are torn down (PostgreSQL stopped, the lab
    removed). ``./dev test`` stops the pytest it runs beside the lab tests so, and a background
    pytest cannot take Ctrl-C (a shell without job control starts it with SIGINT ignored)."""
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, _interrupted)


@pytest.fixture(autouse=True)
def _secrets_stay_with_their_test() -> Iterator[None]:
    """The values a test made the process hide in its logs (``secrecy``: its settings' tokens, its
    devices' passwords, a fuzzer's made-up ones) are forgotten after it, so what one test's logs
    show does not depend on the tests that ran before it."""
    before = secrecy.remembered()
    yield
    secrecy.forget(*(secrecy.remembered() - before))


class PostgresServer:
    def __init__(self) -> None:
        if not (PG_BIN / "initdb").exists():
            raise RuntimeError(
                f"PostgreSQL 15 server binaries not found in {PG_BIN}: run './dev setup' (postgresql-15)"
            )
        self.root = Path(tempfile.mkdtemp(prefix="oss-agent-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root
        self.user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
        if os.geteuid() == 0:
            entry = pwd.getpwnam("postgres")
            os.chown(self.root, entry.pw_uid, entry.pw_gid)

    def _run(self, *args: str) -> None:
        command = list(args)
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "oss", "--no-sync", "-E", "UTF8")
        options = f"-k {self.socket_dir} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
        self._run(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "log"),
            "-w",
            "-t",
            "60",
            "start",
        )

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://oss@/{database}?host={self.socket_dir}"

    def create_database(self) -> str:
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(host=str(self.socket_dir), user="oss", dbname="postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'agent.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No OSS_AGENT_* variable leaks in from the caller; the data directory is a fresh temp dir."""
    for name in list(os.environ):
        if name.startswith("OSS_AGENT_"):
            monkeypatch.delenv(name)
    data = tmp_path / "data"
    monkeypatch.setenv("OSS_AGENT_DATA_DIR", str(data))
    return data


# Timing-based failures are not behaviour: the machine has 2 cores shared with the lab's daemons.
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile("oss-agent", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("oss-agent")
