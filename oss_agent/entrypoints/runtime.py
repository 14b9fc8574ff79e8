"""Process-wide settings of the long-running agent, shared by ``oss-agent run`` and the benchmarks
that measure it (so that they measure the agent as it runs)."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

# A trap storm allocates several short-lived objects per trap (decoded varbinds, a notification, a
# signal, an event row). With CPython's default young-generation threshold (700 allocations) the
# collector runs constantly, and every full collection walks each long-lived object of the process.
# `oss-agent bench traps` measures the agent both ways (its "default GC" row).
YOUNG_THRESHOLD = 20_000
CPYTHON_DEFAULTS = (700, 10, 10)


def tune_for_throughput() -> None:
    """Fewer, cheaper garbage collections: a larger young generation, and what was loaded at start
    (modules, mappers, configuration) moved out of the collector's sight for good."""
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, 50, 100)


@contextlib.contextmanager
def default_gc() -> Iterator[None]:
    """CPython's own collector settings for a while (to measure what the tuning is worth)."""
    saved = gc.get_threshold()
    frozen = gc.get_freeze_count() > 0
    gc.unfreeze()
    gc.set_threshold(*CPYTHON_DEFAULTS)
    try:
        yield
    finally:
        if frozen:
            gc.freeze()
        gc.set_threshold(*saved)
