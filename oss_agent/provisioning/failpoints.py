"""Named points in an activation where a test can stop the agent dead (``kill -9``) or act.

``OSS_AGENT_FAILPOINT=prepared:pe2`` makes the process SIGKILL itself when it reaches that point, as
a crash would: nothing is flushed or cleaned up. The points are ``before-snapshot``,
``applying:DEVICE`` (journal says applying, nothing sent yet), ``applied:DEVICE`` (CLI changed,
NETCONF not yet), ``prepared:DEVICE``, ``checked``, ``rollback`` (about to restore after a failure),
``decided``, ``confirmed:DEVICE`` and ``finalized``. Outside activations: ``alarm-stored:OBJECT``
(an alarm on the managed object ``OBJECT``, such as ``pe2:eth3``, raised or cleared and committed
with its hub events, none delivered yet) and ``usage-published`` (usage records committed with
their hub events, none delivered yet). In-process tests pass hooks instead (a coroutine run at the
point), to inject real faults into the lab at a precise moment. Unarmed (no kill, no hook), reaching
a point does nothing and keeps nothing.
"""

from __future__ import annotations

import inspect
import os
import signal
from collections.abc import Awaitable, Callable, Mapping

ENV = "OSS_AGENT_FAILPOINT"
Hook = Callable[[], Awaitable[None] | None]


class Failpoints:
    def __init__(self, hooks: Mapping[str, Hook] | None = None, kill: str | None = None) -> None:
        self.hooks = dict(hooks or {})
        self.kill = set(filter(None, (kill if kill is not None else os.environ.get(ENV, "")).split(",")))
        self.reached: list[str] = []

    @property
    def armed(self) -> bool:
        return bool(self.kill or self.hooks)

    async def reach(self, name: str) -> None:
        if not self.armed:
            return
        self.reached.append(name)
        if name in self.kill:
            os.kill(os.getpid(), signal.SIGKILL)
        hook = self.hooks.get(name)
        if hook is not None:
            result = hook()
            if inspect.isawaitable(result):
                await result
