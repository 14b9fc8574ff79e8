"""Queries over stored configuration versions (reads only; approval is a command on the bus). What they
answer is shown to people and clients: secrets are hidden (the stored versions keep them)."""

from __future__ import annotations

from typing import Any

from adapters.redact import mask_diff
from oss_agent.discovery.normalize import unified_diff
from oss_agent.domain.discovery import RUNNING
from oss_agent.domain.errors import NotFoundError
from oss_agent.service_layer.unit_of_work import UnitOfWork


def config_diff(
    uow: UnitOfWork, device: str, old: int | None = None, new: int | None = None, datastore: str = RUNNING
) -> dict[str, Any]:
    """The unified diff between two versions of one datastore; by default the last two (a single
    version diffs against empty). It is computed on the real texts, then its lines are masked: a
    change of a secret alone still shows, its values do not."""
    with uow:
        versions = {row.version: row for row in uow.configs.versions(device, datastore)}
        if not versions:
            others = [d for d in uow.configs.datastores(device) if d != datastore]
            hint = f" (it has: {', '.join(others)})" if others else ": run 'oss-agent discover' first"
            raise NotFoundError(f"no stored {datastore} configuration for device {device!r}{hint}")
        new = max(versions) if new is None else new
        old = (max((v for v in versions if v < new), default=0)) if old is None else old
        for wanted in (old, new):
            if wanted and wanted not in versions:
                raise NotFoundError(
                    f"device {device!r} has no configuration version {wanted} "
                    f"(versions: {', '.join(map(str, sorted(versions)))})"
                )
        old_text = versions[old].content if old else ""
        label = device if datastore == RUNNING else f"{device}/{datastore}"
        text = unified_diff(old_text, versions[new].content, f"{label}@{old}", f"{label}@{new}")
        approved = uow.configs.approved(device, datastore)
        approved_version = None if approved is None else approved.version
    return {
        "device": device,
        "datastore": datastore,
        "old": old,
        "new": new,
        "diff": mask_diff(text),
        "approved_version": approved_version,
    }
