"""Named points in the bridge's work where a test can stop it dead (``kill -9``), as a crash would.

``OSS_BSS_BRIDGE_FAILPOINT=order-posted`` makes the process SIGKILL itself the first time it reaches
that point: nothing is flushed or cleaned up. The points are ``order-carried`` (requests owed, the
order not started yet), ``order-posted`` (the OSS has the service order, the bridge has not noted
it), ``order-applied`` (the BSS completed or failed the item, the request not marked done),
``event-received`` (a notification kept in the inbox, the hub not answered yet), ``incident-opened``
(an incident stored, the BSS not told yet), ``ticket-opened`` (the BSS has the ticket and outages,
the incident not marked synced) and ``usage-imported`` (a batch of usage in the BSS, the inbox not
marked). ``NAME@N`` stops at the N-th time the point is reached.
"""

from __future__ import annotations

import os
import signal
from collections import Counter
from collections.abc import Mapping

ENV = "OSS_BSS_BRIDGE_FAILPOINT"


class Failpoints:
    def __init__(self, spec: str | None = None, environ: Mapping[str, str] | None = None) -> None:
        text = spec if spec is not None else (environ if environ is not None else os.environ).get(ENV, "")
        self.kill: dict[str, int] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            name, _, nth = part.partition("@")
            self.kill[name] = int(nth) if nth.isdigit() and int(nth) > 0 else 1
        self.reached: Counter[str] = Counter()

    def reach(self, name: str) -> None:
        self.reached[name] += 1
        if self.kill.get(name) == self.reached[name]:
            os.kill(os.getpid(), signal.SIGKILL)
