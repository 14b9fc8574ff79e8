"""Storage on SQLite and on a real PostgreSQL 15: migrations and repository round trips."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from oss_agent.domain.alarm import Alarm, AlarmSpec, AlarmState, AlarmType, Severity
from oss_agent.domain.model import Device, InterfaceState, Link, LinkEnd
from oss_agent.domain.service_order import ItemAction, OrderState, ServiceOrder, ServiceOrderItemSpec
from oss_agent.errors import StorageError
from oss_agent.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from oss_agent.storage import migrate
from oss_agent.storage.engine import make_engine, make_session_factory, normalise_url

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.fixture
def uow(database_url: str) -> SqlAlchemyUnitOfWork:
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    return SqlAlchemyUnitOfWork(make_session_factory(engine))


def test_upgrade_on_empty_then_up_to_date_database(database_url: str) -> None:
    engine = make_engine(database_url)
    assert migrate.current_revision(engine) is None
    before, after = migrate.upgrade(engine)
    assert (before, after) == (None, migrate.head_revision())
    assert migrate.upgrade(engine) == (after, after)
    engine.dispose()


def test_autogenerate_finds_no_difference_between_models_and_migrations(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    assert migrate.pending_differences(engine) == []
    engine.dispose()


def test_configuration_versions_stored_before_datastores_become_the_running_ones(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate.upgrade(engine, "0006_latency")  # the revision before configuration datastores
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO config_versions (device, version, content, digest, source, collected_at, approved_at,"
                " approved_by) VALUES ('pe1', 1, 'hostname pe1', 'd1', 'napalm', :at, :at, 'baseline')"
            ),
            {"at": T0},
        )
    migrate.upgrade(engine)
    uow = SqlAlchemyUnitOfWork(make_session_factory(engine))
    with uow:
        latest = uow.configs.latest("pe1")
        assert latest is not None and (latest.datastore, latest.version, latest.content) == (
            "running",
            1,
            "hostname pe1",
        )
        assert uow.configs.latest("pe1", "netconf") is None
        second = uow.configs.add("pe1", "<config/>", "d2", "netconf", T0, "netconf")
        assert second.version == 1  # numbered per datastore
        uow.commit()
    engine.dispose()


def test_device_with_interfaces_round_trips(uow: SqlAlchemyUnitOfWork) -> None:
    device = Device("pe1", "198.51.100.11", "frr", "pop1", "pe", ["lab", "core"], "FRRouting", "FRR", "8.4", "")
    device.update_interfaces(
        [
            InterfaceState("eth0", 2, "mgmt", "ethernetCsmacd", 10**9, 1500, "02:00:00:00:00:01", True, "up"),
            InterfaceState("lo", 1, "", "softwareLoopback", None, 65536, None, True, "up"),
        ],
        T0,
    )
    with uow:
        uow.devices.add(device)
        uow.commit()
    with uow:
        loaded = uow.devices.get("pe1")
        assert loaded is not None
        assert loaded == device
        assert loaded.interfaces["eth0"].last_change == T0
        assert loaded.interfaces["eth0"].last_change.tzinfo is not None
        loaded.update_interfaces([InterfaceState("eth0", 2, "mgmt", oper_status="down", speed_bps=10**9)], T0)
        uow.commit()
    with uow:
        again = uow.devices.get("pe1")
        assert again is not None
        assert set(again.interfaces) == {"eth0"}
        assert again.interfaces["eth0"].oper_status == "down"


def test_device_names_are_unique(uow: SqlAlchemyUnitOfWork) -> None:
    with uow:
        uow.devices.add(Device("pe1", "198.51.100.11", "frr"))
        uow.commit()
    with uow, pytest.raises(IntegrityError):
        uow.devices.add(Device("pe1", "198.51.100.99", "frr"))
        uow.commit()
    with uow:
        assert uow.devices.count() == 1


def test_a_failed_unit_of_work_stores_nothing(uow: SqlAlchemyUnitOfWork) -> None:
    with pytest.raises(RuntimeError), uow:
        uow.devices.add(Device("pe1", "198.51.100.11", "frr"))
        raise RuntimeError("handler failed half-way")
    with uow:
        assert uow.devices.get("pe1") is None


def test_alarm_round_trips_with_comments_and_root_cause(uow: SqlAlchemyUnitOfWork) -> None:
    root = Alarm.raise_new(
        AlarmSpec("pe1|unreachable", "pe1", AlarmType.COMMUNICATIONS, "lossOfSignal", Severity.CRITICAL), T0
    )
    symptom = Alarm.raise_new(
        AlarmSpec(
            "pe1:eth1|linkDown",
            "pe1:eth1",
            AlarmType.COMMUNICATIONS,
            "linkDown",
            Severity.MAJOR,
            "ifOperStatus down",
            ("pe1", "pe1:eth1"),
        ),
        T0,
    )
    symptom.mark_symptom_of(root)
    symptom.add_comment("noc", "looking", T0 + timedelta(seconds=5))
    symptom.acknowledge("noc", T0 + timedelta(seconds=6))
    with uow:
        uow.alarms.add(root)
        uow.alarms.add(symptom)
        uow.commit()
    with uow:
        loaded = uow.alarms.get(symptom.id)
        assert loaded == symptom
        assert loaded is not None
        assert loaded.root_cause_id == root.id
        assert uow.alarms.active("pe1:eth1|linkDown") == symptom
        loaded.clear(T0 + timedelta(minutes=1))
        uow.commit()
    with uow:
        assert uow.alarms.active("pe1:eth1|linkDown") is None
        cleared = uow.alarms.get(symptom.id)
        assert cleared is not None
        assert cleared.state is AlarmState.CLEARED
        assert [a.id for a in uow.alarms.list(active_only=True)] == [root.id]


def test_service_order_round_trips(uow: SqlAlchemyUnitOfWork) -> None:
    order = ServiceOrder.submit(
        "so-1",
        (
            ServiceOrderItemSpec("1", ItemAction.ADD, "l3vpn-site", (("pe", "pe1"), ("vlan", "100"))),
            ServiceOrderItemSpec("2", ItemAction.ADD, "l3vpn-site", (("pe", "pe2"),)),
        ),
        T0,
        external_id="PO-42",
    )
    with uow:
        uow.orders.add(order)
        uow.commit()
    with uow:
        loaded = uow.orders.get("so-1")
        assert loaded is not None
        assert [i.item_id for i in loaded.items] == ["1", "2"]
        assert loaded.items[0].characteristics == {"pe": "pe1", "vlan": "100"}
        loaded.transition(OrderState.IN_PROGRESS, T0)
        loaded.items[0].state = OrderState.COMPLETED
        loaded.settle(T0 + timedelta(seconds=3))
        uow.commit()
    with uow:
        final = uow.orders.get("so-1")
        assert final is not None
        assert final.state is OrderState.PARTIAL
        assert final.completed_at == T0 + timedelta(seconds=3)


def test_links_upsert_by_key_whichever_end_reports_them(uow: SqlAlchemyUnitOfWork) -> None:
    one = Link.between(LinkEnd("pe1", "eth1"), LinkEnd("p1", "eth1"))
    other = Link.between(LinkEnd("p1", "eth1"), LinkEnd("pe1", "eth1"))
    with uow:
        assert uow.links.upsert(one, T0) is True
        assert uow.links.upsert(other, T0 + timedelta(seconds=1)) is False
        uow.commit()
    with uow:
        assert uow.links.list() == [one]


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: object) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/x/agent.db")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


@pytest.mark.parametrize("umask", [0o022, 0o000])
def test_sqlite_file_its_journal_and_directory_are_readable_by_their_owner_only(tmp_path: Path, umask: int) -> None:
    """The database holds running configurations: 0600 files in a 0700 directory, whatever the umask."""
    directory = tmp_path / "data"
    old = os.umask(umask)
    try:
        engine = make_engine(f"sqlite:///{directory}/agent.db")
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
            connection.execute(text("INSERT INTO t VALUES (1)"))
            names = sorted(p.name for p in directory.iterdir())
            modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in directory.iterdir()}
        engine.dispose()
    finally:
        os.umask(old)
    assert names == ["agent.db", "agent.db-shm", "agent.db-wal"]
    assert modes == dict.fromkeys(names, 0o600)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700


def test_postgresql_urls_use_psycopg_3() -> None:
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"


def test_unreachable_database_is_a_storage_error_without_the_password(tmp_path: object) -> None:
    engine = make_engine(f"postgresql://oss:s3cr3t-pw@/nodb?host={tmp_path}&connect_timeout=2")
    with pytest.raises(StorageError) as caught:
        migrate.upgrade(engine)
    assert "s3cr3t-pw" not in str(caught.value)
    assert "***" in str(caught.value)
