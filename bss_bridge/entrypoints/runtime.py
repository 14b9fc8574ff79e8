"""Process-wide settings of the BSS's long-running and batch processes (``oss-bss run``, a bill run
from the CLI, the bill-run benchmark, which measures the BSS as those run it).

A bill run holds tens of thousands of live objects (lines, subscriptions, their price snapshots)
and allocates many short-lived ones per account. With CPython's default young-generation threshold
(700 container allocations) the collector runs thousands of times per run, and each full collection
walks every live object: on a run of 2,000 accounts that was over a second of the run's time
(measured with ``gc.callbacks`` during ``oss-bss bench billrun``).
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000


def tune_for_throughput() -> None:
    """Fewer, cheaper collections: a larger young generation, and what was loaded at start
    (modules, mappers, settings) moved out of the collector's sight for good."""
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, 50, 100)
