"""Pool allocations on SQLite and PostgreSQL: concurrent orders never share a value (the unique
constraint decides, not timing), asking again gives the same value, deleting releases it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from oss_agent.domain.pools import PoolSpec
from oss_agent.domain.service import Service
from oss_agent.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from oss_agent.storage import migrate
from oss_agent.storage.engine import make_engine, make_session_factory
from oss_agent.storage.pool_repository import PoolExhaustedError, PoolStore

POOL = PoolSpec("access-link", "ipv4", prefix="198.19.128.0/26", size=31)  # 32 values
T0 = datetime(2026, 11, 30, tzinfo=UTC)


@pytest.fixture
def store(database_url: str) -> PoolStore:
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    with SqlAlchemyUnitOfWork(factory) as uow:
        for index in range(40):
            uow.services.add(Service.reserve(f"s{index}", f"n{index}", "spec", {}, "o", "1", T0))
        uow.commit()
    return PoolStore(factory)


def test_concurrent_allocations_are_unique_and_asking_again_gives_the_same(store: PoolStore) -> None:
    got: dict[str, str] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(16)

    def take(index: int) -> None:
        try:
            start.wait()
            for purpose in ("link-a", "link-b"):
                got[f"s{index}/{purpose}"] = store.allocate(POOL, f"s{index}", purpose)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=take, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == [] and len(got) == 32
    assert len(set(got.values())) == 32  # 16 orders x 2 links, all different: the pool is now full
    assert store.allocate(POOL, "s3", "link-b") == got["s3/link-b"]  # idempotent per service and purpose
    with pytest.raises(PoolExhaustedError, match="exhausted"):
        store.allocate(POOL, "s20", "link-a")
    assert store.release("s3") == 2
    freed = {got["s3/link-a"], got["s3/link-b"]}
    assert store.allocate(POOL, "s20", "link-a") == min(freed, key=lambda v: int(v.split(".")[3].split("/")[0]))


def test_the_database_refuses_a_value_held_twice(store: PoolStore) -> None:
    from oss_agent.storage.provisioning_tables import PoolAllocationRow

    store.allocate(POOL, "s1", "link-a")
    with pytest.raises(IntegrityError), store.session_factory() as session, session.begin():
        session.add(
            PoolAllocationRow(pool=POOL.name, value="198.19.128.0/31", service_id="s2", purpose="x", allocated_at=T0)
        )
    assert store.claim("access-port", "ce1:eth1", "s1", "port-a") == "s1"
    assert store.claim("access-port", "ce1:eth1", "s2", "port-a") == "s1"  # held: the holder is answered
    assert store.holder("access-port", "ce1:eth1") == "s1" and store.usage() == {"access-link": 1, "access-port": 1}
