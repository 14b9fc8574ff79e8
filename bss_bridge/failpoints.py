"""Named points where a test can stop a process of the BSS dead (``kill -9``), as a crash would.

``OSS_BSS_FAILPOINT=usage-rated`` makes the BSS's process SIGKILL itself the first time it reaches
that point: nothing is flushed, committed or cleaned up. The BSS's point is ``usage-rated`` (a
rating pass has summed new records into their groups and moved the mark, its transaction not
committed yet); the bridge has its own (:mod:`bss_bridge.bridge.failpoints`). ``NAME@N`` stops at
the N-th time the point is reached. Unset, reaching a point counts it and does nothing else.
"""

from __future__ import annotations

import os
import signal
from collections import Counter
from collections.abc import Mapping

ENV = "OSS_BSS_FAILPOINT"


class Failpoints:
    env = ENV

    def __init__(self, spec: str | None = None, environ: Mapping[str, str] | None = None) -> None:
        text = spec if spec is not None else (environ if environ is not None else os.environ).get(self.env, "")
        self.kill: dict[str, int] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            name, _, nth = part.partition("@")
            self.kill[name] = int(nth) if nth.isdigit() and int(nth) > 0 else 1
        self.reached: Counter[str] = Counter()

    def reach(self, name: str) -> None:
        self.reached[name] += 1
        if self.kill.get(name) == self.reached[name]:
            os.kill(os.getpid(), signal.SIGKILL)
