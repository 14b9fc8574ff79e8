"""Requests at once: what the race tests of the BSS share."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import event

from bss_bridge.bootstrap import Bss


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Each call on a thread of its own, released together; their results (or exceptions) in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def one(n: int) -> None:
        barrier.wait()
        try:
            results[n] = calls[n]()
        except BaseException as exc:  # returned to the test, which says what it expects
            results[n] = exc

    threads = [threading.Thread(target=one, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    return results


# A hold as sent: PostgreSQL's row locks; SQLite's write first, a column set to itself (storage/holds.py)
HOLD = re.compile(r"FOR (UPDATE|SHARE)|^UPDATE (\w+) SET (\w+)=\2\.\3 WHERE")


def second_sent_after(
    bss: Bss, first: Callable[[], Any], second: Callable[[], Any], statement: str, nth: int
) -> list[Any]:
    """``first``, and ``second`` sent on a thread of its own right after ``first``'s ``nth`` read
    that begins with ``statement``, holds not counted (``first`` goes on once ``second`` is done,
    or after a second if it waits); their results (or exceptions), in that order."""
    seen = [0]

    def is_it(sent: str) -> bool:
        if sent.startswith(statement) and not HOLD.search(sent):
            seen[0] += 1
        return seen[0] == nth

    return _second_sent_when(bss, first, second, "after_cursor_execute", is_it)


def second_sent_before_the_first_holds(bss: Bss, first: Callable[[], Any], second: Callable[[], Any]) -> list[Any]:
    """``first``, and ``second`` sent on a thread of its own as ``first`` is about to send its first
    hold (``first`` goes on once ``second`` is done, or after a second if it waits); their results
    (or exceptions), in that order."""
    return _second_sent_when(bss, first, second, "before_cursor_execute", lambda sent: bool(HOLD.search(sent)))


def _second_sent_when(
    bss: Bss, first: Callable[[], Any], second: Callable[[], Any], moment: str, is_it: Callable[[str], bool]
) -> list[Any]:
    """``second`` started (and waited for, up to a second) at ``moment`` of the first statement of
    ``first``'s thread that ``is_it``."""
    results: list[Any] = [None, None]
    starter, sent = threading.get_ident(), threading.Event()

    def call(n: int, what: Callable[[], Any]) -> None:
        try:
            results[n] = what()
        except Exception as exc:  # returned to the test, which says what it expects
            results[n] = exc

    thread = threading.Thread(target=call, args=(1, second))

    def send_now(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if threading.get_ident() == starter and not sent.is_set() and is_it(statement):
            sent.set()
            thread.start()
            thread.join(timeout=1)

    event.listen(bss.engine, moment, send_now)
    try:
        call(0, first)
    finally:
        event.remove(bss.engine, moment, send_now)
    thread.join(timeout=60)
    assert sent.is_set() and not thread.is_alive()
    return results
