"""Pool allocations: in transactions of their own (:class:`PoolStore`), or inside the caller's
(:class:`Allocations`, to release values together with the change that frees them).

A value taken must be visible to every other order at once, and the unique constraints on
``pool_allocations`` turn a race into an ``IntegrityError`` that is answered by trying the next free value.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from oss_agent.domain.errors import DomainError
from oss_agent.domain.pools import PoolSpec
from oss_agent.storage.provisioning_tables import PoolAllocationRow

ALLOCATION_ATTEMPTS = 50


def _now() -> datetime:
    return datetime.now(UTC)


class PoolExhaustedError(DomainError):
    """A pool has no free value left."""


@dataclass(frozen=True, slots=True)
class Allocation:
    pool: str
    value: str
    service_id: str
    purpose: str
    allocated_at: datetime


class Allocations:
    """Pool values inside the caller's transaction: released together with the change that frees them."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def release(self, service_id: str) -> None:
        self.session.execute(delete(PoolAllocationRow).where(PoolAllocationRow.service_id == service_id))


class PoolStore:
    """Allocations, each in a transaction of its own (see the module docstring)."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def held(self, service_id: str) -> dict[str, Allocation]:
        """The values a service holds, by purpose."""
        with self.session_factory() as session:
            rows = session.scalars(select(PoolAllocationRow).where(PoolAllocationRow.service_id == service_id))
            return {r.purpose: _allocation(r) for r in rows}

    @staticmethod
    def _choice(
        session: Session, pool: PoolSpec, service_id: str, purpose: str, also_taken: Iterable[str] = ()
    ) -> tuple[str, bool]:
        """(value, held already): what the service holds for the purpose, or the lowest value nobody holds."""
        mine = session.scalar(
            select(PoolAllocationRow.value).where(
                PoolAllocationRow.pool == pool.name,
                PoolAllocationRow.service_id == service_id,
                PoolAllocationRow.purpose == purpose,
            )
        )
        if mine is not None:
            return mine, True
        used = set(session.scalars(select(PoolAllocationRow.value).where(PoolAllocationRow.pool == pool.name)))
        used |= set(also_taken)
        value = next((v for v in pool.values() if v not in used), None)
        if value is None:
            raise PoolExhaustedError(f"pool {pool.name} is exhausted ({pool.capacity} values, all held)")
        return value, False

    def allocate(self, pool: PoolSpec, service_id: str, purpose: str) -> str:
        """The value ``service_id`` holds in ``pool`` for ``purpose``: the one it has, or the lowest free one."""
        for _ in range(ALLOCATION_ATTEMPTS):
            try:
                with self.session_factory() as session, session.begin():
                    value, held = self._choice(session, pool, service_id, purpose)
                    if held:
                        return value
                    session.add(
                        PoolAllocationRow(
                            pool=pool.name, value=value, service_id=service_id, purpose=purpose, allocated_at=_now()
                        )
                    )
                return value
            except (IntegrityError, OperationalError):
                continue  # another order took that value (or this purpose) first, or SQLite was busy: look again
        raise PoolExhaustedError(f"pool {pool.name}: no value could be taken after {ALLOCATION_ATTEMPTS} attempts")

    def holder(self, pool: str, value: str) -> str | None:
        """The service holding ``value`` in ``pool`` (any name: a claim needs no pool definition)."""
        with self.session_factory() as session:
            return session.scalar(
                select(PoolAllocationRow.service_id).where(
                    PoolAllocationRow.pool == pool, PoolAllocationRow.value == value
                )
            )

    def claim(self, pool: str, value: str, service_id: str, purpose: str) -> str:
        """Hold a named value (a port) for ``service_id``; the service already holding it when it is taken."""
        try:
            with self.session_factory() as session, session.begin():
                session.add(
                    PoolAllocationRow(
                        pool=pool, value=value, service_id=service_id, purpose=purpose, allocated_at=_now()
                    )
                )
        except IntegrityError:
            pass  # held already: by this service (asked again), or by another one
        return self.holder(pool, value) or service_id

    def peek(self, pool: PoolSpec, service_id: str, purpose: str, also_taken: Iterable[str] = ()) -> str:
        """The value :meth:`allocate` would give now, taking nothing (for a dry run)."""
        with self.session_factory() as session:
            return self._choice(session, pool, service_id, purpose, also_taken)[0]

    def release(self, service_id: str) -> int:
        with self.session_factory() as session, session.begin():
            result = session.execute(delete(PoolAllocationRow).where(PoolAllocationRow.service_id == service_id))
            return int(getattr(result, "rowcount", 0) or 0)

    def allocations(self, pool: str | None = None) -> list[Allocation]:
        with self.session_factory() as session:
            query = select(PoolAllocationRow).order_by(PoolAllocationRow.pool, PoolAllocationRow.id)
            if pool is not None:
                query = query.where(PoolAllocationRow.pool == pool)
            return [_allocation(r) for r in session.scalars(query)]

    def usage(self) -> dict[str, int]:
        with self.session_factory() as session:
            rows = session.execute(select(PoolAllocationRow.pool, func.count()).group_by(PoolAllocationRow.pool))
            return {pool: int(count) for pool, count in rows}


def _allocation(row: PoolAllocationRow) -> Allocation:
    return Allocation(row.pool, row.value, row.service_id, row.purpose, row.allocated_at)
