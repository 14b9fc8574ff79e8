"""Resource orders after TMF652: one per device an order changes, and the journal of that change.

The phase is written to the database *before* each step that touches the device, so after a crash
the agent knows, per device, whether it may have been changed and from which snapshot to restore it.
"""

from __future__ import annotations

from enum import StrEnum


class Phase(StrEnum):
    PLANNED = "planned"  # nothing read yet
    SNAPSHOT = "snapshot"  # running configuration saved; the device is untouched
    NO_CHANGE = "noChange"  # the device needs nothing (already as wanted)
    APPLYING = "applying"  # about to change: from here on a crash means "restore from the snapshot"
    PREPARED = "prepared"  # changed (CLI applied; NETCONF confirmed commit pending)
    COMMITTED = "committed"  # confirmed
    ROLLED_BACK = "rolledBack"  # restored and proven equal to the snapshot
    ROLLBACK_FAILED = "rollbackFailed"  # restoring did not give the snapshot back: needs a person


# TMF652 leaves the state values open; these are TMF641's words for the same life cycle.
STATE_OF_PHASE: dict[Phase, str] = {
    Phase.PLANNED: "acknowledged",
    Phase.SNAPSHOT: "inProgress",
    Phase.NO_CHANGE: "completed",
    Phase.APPLYING: "inProgress",
    Phase.PREPARED: "inProgress",
    Phase.COMMITTED: "completed",
    Phase.ROLLED_BACK: "failed",
    Phase.ROLLBACK_FAILED: "failed",
}
TOUCHED = frozenset({Phase.APPLYING, Phase.PREPARED, Phase.COMMITTED})
