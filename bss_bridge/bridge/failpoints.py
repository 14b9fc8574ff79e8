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

from bss_bridge import failpoints

ENV = "OSS_BSS_BRIDGE_FAILPOINT"


class Failpoints(failpoints.Failpoints):
    env = ENV
