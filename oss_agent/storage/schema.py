"""Every table of the agent, in one metadata: migrations and their checks import this module, so a
table defined in any storage module is never missed by Alembic."""

from __future__ import annotations

from oss_agent.storage import fault_tables, hub_tables, perf_tables, provisioning_tables, usage_tables
from oss_agent.storage.orm import Base

__all__ = ["Base", "fault_tables", "hub_tables", "perf_tables", "provisioning_tables", "usage_tables"]
