"""kill -9 of the agent in the middle of an activation, at several points; on restart every device is
either completed or rolled back, and the order's state tells which."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
import yaml
from sqlalchemy import delete, update

from lab.pytest_plugin import LabHandle
from oss_agent.domain.service_order import FINAL
from oss_agent.provisioning.views import order_view
from oss_agent.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from oss_agent.storage.engine import make_engine, make_session_factory
from oss_agent.storage.orm import ServiceOrderRow
from oss_agent.storage.provisioning_tables import DeviceLeaseRow, PoolAllocationRow, ServiceRenderingRow, ServiceRow

from .conftest import Prov, ping, raw_configs, same_as, site_interconnect

pytestmark = pytest.mark.lab
OSS_AGENT = str(Path(sys.executable).parent / "oss-agent")
T = TypeVar("T")


def cli(env: dict[str, str], *args: str, failpoint: str | None = None) -> subprocess.CompletedProcess[str]:
    merged = {k: v for k, v in os.environ.items() if not k.startswith("OSS_AGENT_")} | env
    if failpoint:
        merged["OSS_AGENT_FAILPOINT"] = failpoint
    return subprocess.run([OSS_AGENT, *args], capture_output=True, text=True, env=merged, timeout=300)


def read(env: dict[str, str], query: Callable[[SqlAlchemyUnitOfWork], T]) -> T:
    """What the CLI's agent stored, read in this process."""
    engine = make_engine(f"sqlite:///{env['OSS_AGENT_DATA_DIR']}/oss-agent.db")
    try:
        with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:
            return query(uow)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def cli_env(lab: LabHandle, prov: Prov, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    data = tmp_path_factory.mktemp("cli")
    env = {"OSS_AGENT_DATA_DIR": str(data), "OSS_AGENT_INVENTORY_FILE": str(lab.options.inventory_path),
           "OSS_AGENT_CATALOG_DIR": str(prov.agent.settings.catalog_dir)}
    assert cli(env, "discover").returncode == 0
    return env


@pytest.fixture
def cli_clean(cli_env: dict[str, str], clean: None) -> Iterator[None]:
    yield
    engine = make_engine(f"sqlite:///{cli_env['OSS_AGENT_DATA_DIR']}/oss-agent.db")
    with make_session_factory(engine)() as session, session.begin():
        for table in (ServiceRenderingRow, PoolAllocationRow, DeviceLeaseRow):
            session.execute(delete(table))
        session.execute(update(ServiceRow).values(state="terminated"))
        session.execute(update(ServiceOrderRow).where(ServiceOrderRow.state.not_in(FINAL)).values(state="failed"))
    engine.dispose()


@pytest.mark.parametrize(
    ("failpoint", "outcome"),
    [
        ("applying:pe1", "failed"),  # the journal says pe1 may change; other devices may have changed already
        ("prepared:pe2", "failed"),  # pe2 changed, its NETCONF commit pending; the decision not taken
        ("decided", "completed"),  # every device prepared and checked, the commit decided, nothing confirmed
        ("confirmed:pe1", "completed"),  # some devices confirmed, others not yet
    ],
)
def test_kill_9_during_activation_is_finished_on_restart(
    prov: Prov, baseline: dict[str, str], cli_env: dict[str, str], cli_clean: None, tmp_path: Path,
    failpoint: str, outcome: str,
) -> None:
    order = tmp_path / "order.yaml"
    order.write_text(yaml.safe_dump(site_interconnect()))
    killed = cli(cli_env, "order", "submit", str(order), "--wait", failpoint=failpoint)
    assert killed.returncode == -9, killed.stdout + killed.stderr
    [left] = read(cli_env, lambda uow: [o for o in uow.orders.list() if o.state.value == "inProgress"])
    recovered = cli(cli_env, "order", "recover", "--format", "json")
    assert recovered.returncode == 0, recovered.stderr
    summary = json.loads(recovered.stdout)
    shown = read(cli_env, lambda uow: order_view(uow, uow.orders.get(left.id)))
    assert shown["state"] == outcome, shown["errors"]
    phases = {ro["device"]: ro["phase"] for ro in shown["resource_orders"]}
    service = read(cli_env, lambda uow: uow.services.get(shown["items"][0]["service_id"]))
    if outcome == "completed":
        assert summary["completed"] == [shown["id"]] and set(phases.values()) == {"committed"}
        assert service.state.value == "active"
        assert ping(prov.lab, "lan1", "198.18.3.10")
        assert "site-interconnect" in raw_configs(prov.lab)["pe2:netconf"]
    else:
        assert summary["rolled_back"] == [shown["id"]]
        assert "agent stopped during the activation" in shown["errors"][-1]["message"]
        assert set(phases.values()) <= {"rolledBack", "snapshot"} and "rolledBack" in phases.values(), shown
        assert service.state.value == "terminated"
        assert same_as(baseline, raw_configs(prov.lab)) == []
        assert not ping(prov.lab, "lan1", "198.18.3.10")
    again = json.loads(cli(cli_env, "order", "recover", "--format", "json").stdout)
    assert again == {"completed": [], "rolled_back": [], "untouched": [], "retried": []}  # nothing left in progress
