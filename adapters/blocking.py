"""Running blocking device libraries (ncclient, netmiko, NAPALM) from the asyncio core.

One bounded thread pool serves every blocking driver, so 500 devices never mean 500 threads; a
per-device lock keeps two calls from interleaving on one session (CLI prompts and NETCONF message
ids are not safe to share); every call has a timeout. A call that times out leaves its thread
running inside the library, so the caller must treat the connection as dead: :class:`DeviceSession`
does that by closing and forgetting it, and the next call opens a fresh one.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

from adapters.errors import AdapterError, DeviceTimeoutError

T = TypeVar("T")
C = TypeVar("C")
# The devices the current task (and the tasks it starts) holds with BlockingRunner.hold.
_HELD: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar("held_devices", default=frozenset())


class BlockingRunner:
    """A bounded thread pool plus one lock per device."""

    def __init__(self, max_workers: int = 16) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="device-io")
        self._locks: dict[str, asyncio.Lock] = {}
        self._inner: dict[str, asyncio.Lock] = {}
        self.max_workers = max_workers

    def lock(self, device: str) -> asyncio.Lock:
        lock = self._locks.get(device)
        if lock is None:
            lock = self._locks[device] = asyncio.Lock()
        return lock

    @contextlib.asynccontextmanager
    async def hold(self, device: str) -> AsyncIterator[None]:
        """Hold ``device``'s lock across many calls (a provisioning order does, from snapshot to commit).

        Calls made by the holding task, or by tasks it starts, go through; everyone else's wait until
        it lets go. Among themselves the holder's calls still run one at a time.
        """
        if device in _HELD.get():
            yield
            return
        async with self.lock(device):
            token = _HELD.set(_HELD.get() | {device})
            try:
                yield
            finally:
                _HELD.reset(token)

    async def run(self, device: str, operation: str, timeout_s: float, func: Callable[[], T]) -> T:
        """Run ``func`` in the pool under ``device``'s lock; raise DeviceTimeoutError after ``timeout_s``.

        The lock wait counts toward the timeout: a caller queued behind a stuck call fails in time too.
        """
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        if device in _HELD.get():
            lock = self._inner.get(device)
            if lock is None:
                lock = self._inner[device] = asyncio.Lock()
        else:
            lock = self.lock(device)
        try:
            async with asyncio.timeout(timeout_s):
                async with lock:
                    return await loop.run_in_executor(self._pool, functools.partial(context.run, func))
        except TimeoutError as exc:
            raise DeviceTimeoutError(f"no answer within {timeout_s:g} s", device=device, operation=operation) from exc

    def submit(self, func: Callable[[C], object], arg: C) -> None:
        """Fire-and-forget work in the pool (closing an abandoned connection)."""
        self._pool.submit(func, arg)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class DeviceSession(Generic[C]):
    """A reusable connection to one device, opened on first use and re-opened after it dies.

    ``connect`` opens a connection (blocking), ``alive`` tells whether it still works, ``disconnect``
    closes it; all three run in the runner's pool. ``translate`` turns library exceptions into the
    adapter error tree; it is applied to every failure.
    """

    def __init__(
        self,
        device: str,
        runner: BlockingRunner,
        timeout_s: float,
        connect: Callable[[], C],
        alive: Callable[[C], bool],
        disconnect: Callable[[C], None],
        translate: Callable[[Exception, str], AdapterError],
    ) -> None:
        self.device = device
        self.runner = runner
        self.timeout_s = timeout_s
        self._connect, self._alive, self._disconnect, self._translate = connect, alive, disconnect, translate
        self._connection: C | None = None
        self.connects = 0

    def _ensure(self) -> C:
        if self._connection is not None and not self._alive(self._connection):
            self._drop()
        if self._connection is None:
            self._connection = self._connect()
            self.connects += 1
        return self._connection

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            self._disconnect_quietly(connection)

    async def call(self, operation: str, func: Callable[[C], T], timeout_s: float | None = None) -> T:
        """Run ``func(connection)`` on a live connection, within the timeout, errors translated."""

        def work() -> T:
            try:
                return func(self._ensure())
            except AdapterError:
                raise
            except Exception as exc:
                if not isinstance(exc, ValueError | KeyError | TypeError):
                    self._drop()
                raise self._translate(exc, operation) from exc

        try:
            return await self.runner.run(self.device, operation, timeout_s or self.timeout_s, work)
        except DeviceTimeoutError:
            # The thread may still be inside the library: never reuse that connection.
            self._connection_abandoned()
            raise

    def _connection_abandoned(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            self.runner.submit(self._disconnect_quietly, connection)

    def _disconnect_quietly(self, connection: C) -> None:
        # Closing a dead or abandoned session may fail; it is gone either way.
        with contextlib.suppress(Exception):
            self._disconnect(connection)

    async def close(self) -> None:
        if self._connection is not None:
            await self.runner.run(self.device, "close", self.timeout_s, self._drop)
