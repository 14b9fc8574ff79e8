"""The lab's one exception root.

Every failure the lab reports to a caller is a :class:`LabError` (or a subclass), so the CLI can turn any of
them into one clear message without catching unrelated exceptions::

    LabError
     +-- LabTimeoutError   (a readiness condition was not met before its deadline)
     +-- LabBusyError      (another process claims the lab: lab.claims)
"""

from __future__ import annotations


class LabError(Exception):
    """The lab could not do what was asked; the message says why and, where possible, how to fix it."""


class LabTimeoutError(LabError):
    """A readiness condition did not hold before its deadline (the message names the condition)."""
