"""Checkpoints of a SQLite file's write-ahead log, off the committing thread.

In WAL mode a commit appends pages to ``<file>-wal``; a *checkpoint* copies them back into the
database file. By default the connection whose commit takes the log past 1000 pages runs it inside
that ``COMMIT``: a bill run's chunk commit waited about 0.2 s for it (the bench's scratch
profile). Here the engine's connections never checkpoint (``wal_autocheckpoint=0``).
A commit that leaves the log over :data:`WAL_LIMIT` bytes wakes a thread of the engine's own, which
runs ``PRAGMA wal_checkpoint(PASSIVE)`` on its own connection while the writer goes on: SQLite
releases the GIL while it copies, so on a machine of two cores the copy costs the writer nothing.
A passive checkpoint takes no lock a writer or reader waits for; it copies what it can, and SQLite
starts the log over once a checkpoint has copied all of it and no reader needs it, as with the
default. ``Engine.dispose()`` stops the thread (the last connection's close checkpoints the rest).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

WAL_LIMIT = 4 * 1024 * 1024  # SQLite's own default: 1000 pages of 4 KiB


class Checkpointer:
    """One SQLite file's checkpoint thread, started at the first commit that needs it."""

    def __init__(self, database: Path, limit: int | None = None) -> None:
        self.database = database
        self.wal = Path(f"{database}-wal")
        self.limit = WAL_LIMIT if limit is None else limit
        self.checkpoints = 0  # checkpoints run, for tests and logs
        self._wake = threading.Condition()
        self._pending = False
        self._stopping = False
        self._thread: threading.Thread | None = None

    def committed(self) -> None:
        """After a commit on one of the engine's connections: wake the thread if the log is over the limit."""
        try:
            if self.wal.stat().st_size <= self.limit:
                return
        except FileNotFoundError:
            return
        with self._wake:
            if self._stopping:
                return
            self._pending = True
            if self._thread is None:
                name = f"wal-checkpoint {self.database}"
                self._thread = threading.Thread(target=self._run, name=name, daemon=True)
                self._thread.start()
            self._wake.notify()

    def wait(self, checkpoints: int, timeout: float) -> bool:
        """Wait until at least ``checkpoints`` checkpoints have run (tests)."""
        with self._wake:
            return self._wake.wait_for(lambda: self.checkpoints >= checkpoints, timeout)

    def stop(self) -> None:
        """Stop the thread (it finishes a checkpoint under way); a later commit starts it again."""
        with self._wake:
            thread, self._thread = self._thread, None
            self._stopping = True
            self._wake.notify_all()
        if thread is not None:
            thread.join()
        with self._wake:
            self._stopping = False

    def _run(self) -> None:
        connection = sqlite3.connect(self.database, check_same_thread=False)
        try:
            while True:
                with self._wake:
                    self._wake.wait_for(lambda: self._pending or self._stopping)
                    if self._stopping:
                        return
                    self._pending = False
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as exc:  # the next commit over the limit tries again
                    logger.warning("checkpoint of %s failed: %s", self.database.name, exc)
                with self._wake:
                    self.checkpoints += 1
                    self._wake.notify_all()
        finally:
            connection.close()


class CheckpointingConnection(sqlite3.Connection):
    """A sqlite3 connection that tells its engine's :class:`Checkpointer` about each commit."""

    checkpointer: Checkpointer | None = None

    def commit(self) -> None:
        super().commit()
        if self.checkpointer is not None:
            self.checkpointer.committed()


def attach(checkpointer: Checkpointer) -> Any:
    """A ``connect`` listener giving each new connection of the engine its checkpointer."""

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        if isinstance(dbapi_connection, CheckpointingConnection):
            dbapi_connection.checkpointer = checkpointer

    return on_connect

