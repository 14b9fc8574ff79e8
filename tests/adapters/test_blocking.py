"""The bounded thread pool with per-device locks and timeouts that blocking drivers use."""

from __future__ import annotations

import asyncio
import threading

import pytest

from adapters import AdapterError, DeviceTimeoutError, DeviceUnreachableError
from adapters.blocking import BlockingRunner, DeviceSession


def test_a_stuck_call_times_out_and_other_devices_are_unaffected() -> None:
    runner = BlockingRunner(max_workers=4)
    release = threading.Event()

    async def scenario() -> None:
        stuck = asyncio.create_task(runner.run("slow", "get", 0.3, lambda: release.wait(10)))
        fast = await runner.run("fast", "get", 2.0, lambda: "answer")
        assert fast == "answer"
        with pytest.raises(DeviceTimeoutError, match=r"slow: get: no answer within 0\.3 s"):
            await stuck

    try:
        asyncio.run(scenario())
    finally:
        release.set()
        runner.shutdown()


def test_calls_to_one_device_never_overlap() -> None:
    runner = BlockingRunner(max_workers=8)
    active = 0
    peak = 0
    guard = threading.Lock()

    def work() -> None:
        nonlocal active, peak
        with guard:
            active += 1
            peak = max(peak, active)
        threading.Event().wait(0.01)
        with guard:
            active -= 1

    async def scenario() -> None:
        await asyncio.gather(*(runner.run("pe1", "op", 5, work) for _ in range(10)))

    asyncio.run(scenario())
    runner.shutdown()
    assert peak == 1


def translate(exc: Exception, operation: str) -> AdapterError:
    return DeviceUnreachableError(str(exc), device="pe1", operation=operation)


class Conn:
    def __init__(self) -> None:
        self.alive = True
        self.closed = False


def test_session_reuses_the_connection_and_reopens_a_dead_one() -> None:
    runner = BlockingRunner()
    opened: list[Conn] = []

    def connect() -> Conn:
        opened.append(Conn())
        return opened[-1]

    session: DeviceSession[Conn] = DeviceSession(
        "pe1", runner, 2.0, connect, lambda c: c.alive, lambda c: setattr(c, "closed", True), translate
    )

    async def scenario() -> None:
        first = await session.call("a", lambda c: c)
        assert await session.call("b", lambda c: c) is first
        first.alive = False
        second = await session.call("c", lambda c: c)
        assert second is not first and first.closed

        def boom(c: Conn) -> None:
            raise OSError("connection reset by peer")

        with pytest.raises(DeviceUnreachableError, match="pe1: d: connection reset by peer"):
            await session.call("d", boom)
        assert second.closed
        assert await session.call("e", lambda c: c) is opened[-1]

    asyncio.run(scenario())
    runner.shutdown()
    assert len(opened) == 3


def test_a_connection_abandoned_by_a_timeout_is_not_reused() -> None:
    runner = BlockingRunner()
    release = threading.Event()
    opened: list[Conn] = []

    def connect() -> Conn:
        opened.append(Conn())
        return opened[-1]

    session: DeviceSession[Conn] = DeviceSession(
        "pe1", runner, 0.2, connect, lambda c: c.alive, lambda c: setattr(c, "closed", True), translate
    )

    async def scenario() -> None:
        with pytest.raises(DeviceTimeoutError):
            await session.call("stuck", lambda c: release.wait(10))
        release.set()
        fresh = await session.call("after", lambda c: c, timeout_s=5)
        assert fresh is opened[-1]
        assert len(opened) == 2

    asyncio.run(scenario())
    runner.shutdown()


def test_a_held_device_serves_its_holder_only_and_the_holders_calls_still_take_turns() -> None:
    runner = BlockingRunner(max_workers=8)
    order: list[str] = []
    inside = 0
    overlap = False
    guard = threading.Lock()

    def work(label: str) -> str:
        nonlocal inside, overlap
        with guard:
            inside += 1
            overlap = overlap or inside > 1
        threading.Event().wait(0.05)
        with guard:
            inside -= 1
            order.append(label)
        return label

    async def scenario() -> None:
        held = asyncio.Event()
        release = asyncio.Event()

        async def holder() -> None:
            async with runner.hold("pe1"):
                held.set()
                # the holder's own calls (also from tasks it starts) go through, one at a time
                await asyncio.gather(*(runner.run("pe1", "x", 5, lambda i=i: work(f"mine{i}")) for i in range(3)))
                await release.wait()

        task = asyncio.create_task(holder())
        await held.wait()
        other = asyncio.create_task(runner.run("pe1", "x", 5, lambda: work("other")))
        await asyncio.sleep(0.3)
        assert not other.done()  # waits for the holder to let go
        release.set()
        await task
        assert await other == "other"

    try:
        asyncio.run(scenario())
    finally:
        runner.shutdown()
    assert order[-1] == "other" and sorted(order[:3]) == ["mine0", "mine1", "mine2"] and not overlap
