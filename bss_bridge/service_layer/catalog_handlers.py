"""Handlers for the product catalog (TMF620): specifications, offerings, prices, catalog files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bss_bridge.domain import commands
from bss_bridge.domain.catalog import CharacteristicSpec, ProductSpecification
from bss_bridge.domain.errors import ConflictError, InvalidRequestError, Problem, found
from bss_bridge.domain.offering import ProductOffering
from bss_bridge.domain.pricing import Promotion
from bss_bridge.service_layer.deps import Deps
from bss_bridge.service_layer.unit_of_work import UnitOfWork, judged_again
from bss_bridge.storage.holds import hold_offerings, hold_specifications
from bss_bridge.storage.order_repository import values_in_force


def _define_specification(uow: UnitOfWork, cmd: commands.DefineSpecification, now: datetime) -> ProductSpecification:
    if uow.specifications.get(cmd.specification_id) is not None:
        raise ConflictError(f"product specification {cmd.specification_id} already exists")
    return _new_specification(uow, cmd, now)


def _new_specification(uow: UnitOfWork, cmd: commands.DefineSpecification, now: datetime) -> ProductSpecification:
    """Not looked for again (the caller did): one committed since is the insert's error, judged again."""
    spec = ProductSpecification.create(
        cmd.specification_id, cmd.name, cmd.service_specification, cmd.characteristics, now, cmd.description
    )
    uow.specifications.add(spec)
    return spec


def _check_offering(uow: UnitOfWork, cmd: commands.DefineOffering) -> None:
    problems: list[Problem] = []
    if cmd.specification_id is not None:
        # held (shared) before it is read: a load tightening a rule waits for the offering, or is seen
        hold_specifications(uow.session, [cmd.specification_id], shared=True)
        spec = uow.specifications.get(cmd.specification_id)
        if spec is None:
            problems.append(Problem("productSpecification.id", f"no product specification {cmd.specification_id!r}"))
        else:
            for name, value in cmd.fixed.items():
                characteristic = spec.characteristic(name)
                if characteristic is None:
                    problems.append(
                        Problem(f"prodSpecCharValueUse[{name}]", f"{spec.id} has no characteristic {name!r}")
                    )
                    continue
                try:
                    characteristic.check(value)
                except InvalidRequestError as exc:
                    problems += exc.within(f"prodSpecCharValueUse[{name}]").problems
    components = uow.offerings.get_many(list(cmd.bundled))
    for n, component_id in enumerate(cmd.bundled):
        component = components.get(component_id)
        if component is None:
            problems.append(Problem(f"bundledProductOffering[{n}].id", f"no product offering {component_id!r}"))
        elif component.is_bundle:
            problems.append(Problem(f"bundledProductOffering[{n}].id", f"{component_id} is itself a bundle"))
    if problems:
        raise InvalidRequestError(problems)


def _define_offering(uow: UnitOfWork, cmd: commands.DefineOffering, now: datetime) -> ProductOffering:
    if uow.offerings.get(cmd.offering_id) is not None:
        raise ConflictError(f"product offering {cmd.offering_id} already exists")
    return _new_offering(uow, cmd, now)


def _new_offering(uow: UnitOfWork, cmd: commands.DefineOffering, now: datetime) -> ProductOffering:
    """Not looked for again (the caller did): one committed since is the insert's error, judged again."""
    _check_offering(uow, cmd)
    offering = ProductOffering.create(
        cmd.offering_id,
        cmd.name,
        now,
        specification_id=cmd.specification_id,
        bundled=cmd.bundled,
        description=cmd.description,
        sellable=cmd.sellable,
        valid_for=cmd.valid_for,
        lifecycle_status=cmd.lifecycle_status,
        fixed=dict(cmd.fixed),
        sla=cmd.sla,
    )
    # promotions last: what they discount is there to be checked against
    for n, price in sorted(enumerate(cmd.prices), key=lambda pair: isinstance(pair[1].charge, Promotion)):
        try:
            offering.add_price(price.name, price.currency, price.charge, price.valid_from or cmd.valid_for.start or now)
        except InvalidRequestError as exc:
            raise exc.within(f"productOfferingPrice[{n}]") from None
        except ConflictError as exc:
            raise InvalidRequestError.one(
                f"productOfferingPrice[{n}]", f"{price.name} ({price.currency}) is given twice"
            ) from exc
    uow.offerings.add(offering)
    return offering


async def define_specification(cmd: commands.DefineSpecification, uow: UnitOfWork, deps: Deps) -> ProductSpecification:
    def attempt() -> ProductSpecification:
        with uow:
            spec = _define_specification(uow, cmd, deps.clock())
            uow.commit()
        return spec

    return judged_again(attempt)  # the same id defined at once: the later ones refused as already existing


async def update_specification(cmd: commands.UpdateSpecification, uow: UnitOfWork, deps: Deps) -> ProductSpecification:
    with uow:
        hold_specifications(uow.session, [cmd.specification_id])  # a change at once waits, or is seen
        spec = found(uow.specifications.get(cmd.specification_id), "productSpecification", cmd.specification_id)
        spec.update(deps.clock(), name=cmd.name, description=cmd.description, lifecycle_status=cmd.lifecycle_status)
        uow.commit()
    return spec


async def define_offering(cmd: commands.DefineOffering, uow: UnitOfWork, deps: Deps) -> ProductOffering:
    def attempt() -> ProductOffering:
        with uow:
            offering = _define_offering(uow, cmd, deps.clock())
            uow.commit()
        return offering

    return judged_again(attempt)  # the same id defined at once: the later ones refused as already existing


async def update_offering(cmd: commands.UpdateOffering, uow: UnitOfWork, deps: Deps) -> ProductOffering:
    with uow:
        hold_offerings(uow.session, [cmd.offering_id])  # a price change at once waits, or is seen
        offering = found(uow.offerings.get(cmd.offering_id), "productOffering", cmd.offering_id)
        offering.update(deps.clock(), **cmd.changes)
        uow.commit()
    return offering


def _change_price(offering: ProductOffering, price: commands.PriceDefinition, now: datetime) -> None:
    start = price.valid_from or now
    if start < now:
        raise InvalidRequestError.one(
            "validFor.startDateTime",
            f"a price change applies to new orders: it starts now or later, not {start.isoformat()}",
        )
    offering.add_price(price.name, price.currency, price.charge, start)


async def change_price(cmd: commands.ChangePrice, uow: UnitOfWork, deps: Deps) -> ProductOffering:
    with uow:
        hold_offerings(uow.session, [cmd.offering_id])  # another change at once waits, or is seen
        offering = found(uow.offerings.get(cmd.offering_id), "productOffering", cmd.offering_id)
        _change_price(offering, cmd.price, deps.clock())
        uow.commit()
    return offering


@dataclass
class CatalogReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    repriced: list[str] = field(default_factory=list)
    differs: list[str] = field(default_factory=list)  # what the file says otherwise and was kept (seed mode)
    refused: list[str] = field(default_factory=list)  # what even --apply does not change: define a new spec
    # characteristics now checked by the file's regex or format (applied in seed mode too), with what changed
    revalidated: dict[str, str] = field(default_factory=dict)
    # characteristics whose file's rule refuses values already sold: kept, with the products to change first
    not_revalidated: dict[str, list[str]] = field(default_factory=dict)


def _rule(c: CharacteristicSpec) -> str:
    return (
        " and ".join([f"regex {c.regex!r}"] * (c.regex is not None) + [f"format {c.format}"] * (c.format is not None))
        or "no regex or format"
    )


def _refused_values(uow: UnitOfWork, spec_id: str, revised: CharacteristicSpec, now: datetime) -> list[str]:
    """What already stored under ``spec_id`` the revised characteristic would refuse: the values of
    its products not ended (in force or to come) and its offerings' fixed values."""
    refused = []
    stored = [(f"product {p}", values) for p, values in values_in_force(uow.session, spec_id, now)]
    offerings, _ = uow.offerings.list({"specification_id": [spec_id]})
    stored += [(f"offering {o.id}", dict(o.fixed)) for o in offerings]
    for where, values in stored:
        if revised.name not in values:
            continue
        try:
            revised.check(values[revised.name])
        except InvalidRequestError as exc:
            refused.append(f"{where}: {'; '.join(p.message for p in exc.problems)}")
    return refused


def _reconcile_specification(
    uow: UnitOfWork,
    spec: ProductSpecification,
    cmd: commands.DefineSpecification,
    apply: bool,
    now: datetime,
    report: CatalogReport,
) -> None:
    """A specification already in the database beside the file's. Its name and description follow
    the file (with ``apply``), and so do new characteristics that are optional or have a default
    (products already sold stay valid). A characteristic whose value the file checks by another
    regex or format, nothing else about it changed, follows the file even without ``apply`` (it
    cannot be changed but by a catalog file, and a database created from an older file would go on
    accepting what the OSS refuses), unless a value already stored fails it: then it is kept, and
    the products to change first reported. Another change to a characteristic, one removed, or
    another service specification would change what was sold: that is refused, reported, never applied."""
    changed = {k: v for k, v in (("name", cmd.name), ("description", cmd.description)) if getattr(spec, k) != v}
    in_file = {c.name: c for c in cmd.characteristics}
    added = [c for c in cmd.characteristics if spec.characteristic(c.name) is None]
    refused, revised = [], []
    for current in spec.characteristics:
        given = in_file.get(current.name)
        if given == current:
            continue
        if given is None or not current.validation_differs(given):
            refused.append(f"{spec.id}.{current.name}")
        elif failing := _refused_values(uow, spec.id, given, now):
            report.not_revalidated[f"{spec.id}.{current.name}"] = failing
        else:
            revised.append(given)
            report.revalidated[f"{spec.id}.{current.name}"] = f"{_rule(given)} (was {_rule(current)})"
    if spec.service_specification != cmd.service_specification:
        refused.append(f"{spec.id}.serviceSpecification")
    compatible = [c for c in added if c.may_join_a_sold_specification]
    refused += [f"{spec.id}.{c.name}" for c in added if c not in compatible]
    report.refused += refused
    spec.revalidate(now, revised)
    if not apply:
        report.differs += [f"{spec.id}.{k}" for k in changed] + [f"{spec.id}.{c.name}" for c in compatible]
        return
    if changed:
        spec.update(now, **changed)
    spec.extend(now, compatible)
    if changed or compatible:
        report.updated.append(spec.id)


def _reconcile(
    offering: ProductOffering, cmd: commands.DefineOffering, apply: bool, now: datetime, report: CatalogReport
) -> None:
    """An offering already in the database beside the file's. Its name, description, sellability,
    validity and status follow the file (with ``apply``); a changed price is a new version from now.
    What its products were sold under (the specification or bundle, the fixed characteristics, the
    SLA with its credit table) cannot change: a difference is refused and reported, never applied
    nor silently kept (billing credits every period, past ones billed again included, on the
    offering's SLA)."""
    sold_under = {
        "productSpecification": (offering.specification_id, cmd.specification_id),
        "bundledProductOffering": (offering.bundled, tuple(cmd.bundled)),
        "sla": (offering.sla, cmd.sla),
    }
    refused = [f"{offering.id}.{name}" for name, (kept, given) in sold_under.items() if kept != given]
    fixed = dict(cmd.fixed)
    refused += [
        f"{offering.id}.fixed.{name}"
        for name in sorted(set(offering.fixed) | set(fixed))
        if offering.fixed.get(name) != fixed.get(name)
    ]
    report.refused += refused
    changes = {
        "name": cmd.name,
        "description": cmd.description,
        "sellable": cmd.sellable,
        "valid_for": cmd.valid_for,
        "lifecycle_status": cmd.lifecycle_status,
    }
    changed = {k: v for k, v in changes.items() if getattr(offering, k) != v}
    current = {(p.name, p.currency): p.charge for p in offering.prices if p.valid_for.contains(now)}
    repriced = [p for p in cmd.prices if current.get((p.name, p.currency)) != p.charge]
    if not apply:
        report.differs += [f"{offering.id}.{k}" for k in changed] + [f"{offering.id}.{p.name}" for p in repriced]
        return
    if changed:
        offering.update(now, **changed)
        report.updated.append(offering.id)
    for price in repriced:
        offering.add_price(price.name, price.currency, price.charge, now)
        report.repriced.append(f"{offering.id}.{price.name}.{price.currency}")


async def load_catalog(cmd: commands.LoadCatalog, uow: UnitOfWork, deps: Deps) -> CatalogReport:
    # two loads of a new catalog at once: the later one, refused its inserts, reconciles with the first
    return judged_again(lambda: _load_catalog(cmd, uow, deps.clock))


def _load_catalog(cmd: commands.LoadCatalog, uow: UnitOfWork, clock: Callable[[], datetime]) -> CatalogReport:
    report = CatalogReport()
    with uow:
        # a change at once waits, or is seen (specifications first: what changes both holds them in that order)
        hold_specifications(uow.session, [s.specification_id for s in cmd.specifications])
        hold_offerings(uow.session, [o.offering_id for o in cmd.offerings])
        now = clock()  # once held: a new price starts after any order that held an offering first
        for spec in cmd.specifications:
            current = uow.specifications.get(spec.specification_id)
            if current is None:
                _new_specification(uow, spec, now)
                report.created.append(spec.specification_id)
            else:
                _reconcile_specification(uow, current, spec, cmd.apply, now, report)
        for definition in cmd.offerings:
            offering = uow.offerings.get(definition.offering_id)
            if offering is None:
                _new_offering(uow, definition, now)
                report.created.append(definition.offering_id)
            else:
                _reconcile(offering, definition, cmd.apply, now, report)
        uow.commit()
    return report


HANDLERS = {
    commands.DefineSpecification: define_specification,
    commands.UpdateSpecification: update_specification,
    commands.DefineOffering: define_offering,
    commands.UpdateOffering: update_offering,
    commands.ChangePrice: change_price,
    commands.LoadCatalog: load_catalog,
}
