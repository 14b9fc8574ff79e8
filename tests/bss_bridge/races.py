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


def second_sent_after(
    bss: Bss, first: Callable[[], Any], second: Callable[[], Any], statement: str, nth: int
) -> list[Any]:
    """``first``, and ``second`` sent on a thread of its own right after ``first``'s ``nth`` read
    that begins with ``statement``, holds not counted (``first`` goes on once ``second`` is done,
    or after a second if it waits); their results (or exceptions), in that order."""
    results: list[Any] = [None, None]
    seen, starter = [0], threading.get_ident()

    def call(n: int, what: Callable[[], Any]) -> None:
        try:
            results[n] = what()
        except Exception as exc:  # returned to the test, which says what it expects
            results[n] = exc

    thread = threading.Thread(target=call, args=(1, second))

    def send_now(_conn: Any, _cursor: Any, sent: str, *_: Any) -> None:
        hold = "FOR UPDATE" in sent or "FOR SHARE" in sent
        if threading.get_ident() == starter and sent.startswith(statement) and not hold:
            seen[0] += 1
            if seen[0] == nth:
                thread.start()
                thread.join(timeout=1)

    event.listen(bss.engine, "after_cursor_execute", send_now)
    try:
        call(0, first)
    finally:
        event.remove(bss.engine, "after_cursor_execute", send_now)
    thread.join(timeout=60)
    assert seen[0] >= nth and not thread.is_alive()
    return results


# A hold as sent: PostgreSQL's row locks; SQLite's write first, a column set to itself (storage/holds.py)
HOLD = re.compile(r"FOR (UPDATE|SHARE)|^UPDATE (\w+) SET (\w+)=\2\.\3 WHERE")


def second_sent_before_the_first_holds(bss: Bss, first: Callable[[], Any], second: Callable[[], Any]) -> list[Any]:
    """``first``, and ``second`` sent on a thread of its own as ``first`` is about to send its first
    hold (``first`` goes on once ``second`` is done, or after a second if it waits); their results
    (or exceptions), in that order."""
    results: list[Any] = [None, None]
    starter, sent_once = threading.get_ident(), threading.Event()

    def call(n: int, what: Callable[[], Any]) -> None:
        try:
            results[n] = what()
        except Exception as exc:  # returned to the test, which says what it expects
            results[n] = exc

    thread = threading.Thread(target=call, args=(1, second))

    def send_now(_conn: Any, _cursor: Any, sent: str, *_: Any) -> None:
        if threading.get_ident() == starter and not sent_once.is_set() and HOLD.search(sent):
            sent_once.set()
            thread.start()
            thread.join(timeout=1)

    event.listen(bss.engine, "before_cursor_execute", send_now)
    try:
        call(0, first)
    finally:
        event.remove(bss.engine, "before_cursor_execute", send_now)
    thread.join(timeout=60)
    assert sent_once.is_set() and not thread.is_alive()
    return results
