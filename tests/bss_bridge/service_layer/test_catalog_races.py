"""The catalog changed by requests at once, on SQLite and PostgreSQL. An offering's prices changed
by two: each reads the price's versions and adds the next. A specification or offering defined with
one id, a new catalog loaded, by several: each looks for the id, then inserts. Two catalog loads
extending one specification: each reads its characteristics and writes them back. Whatever the
interleaving, they end as one after the other would: both versions chained (each ends where the next
starts), or the later-sent refused as starting before the version the other added; one creation,
the others refused as existing or reconciling with it; both characteristics added. Never a database
error for a request."""

from __future__ import annotations

import itertools
from decimal import Decimal

from bss_bridge.bootstrap import Bss
from bss_bridge.domain import commands
from bss_bridge.domain.catalog import CharacteristicSpec, ProductSpecification, ValueFormat, ValueType
from bss_bridge.domain.errors import ConflictError
from bss_bridge.domain.offering import ProductOffering
from bss_bridge.domain.pricing import RecurringCharge
from bss_bridge.service_layer.catalog_handlers import CatalogReport

from ..billing_world import run, set_clock, utc
from ..races import race


def reprice(bss: Bss, day: int, amount: str) -> object:
    price = commands.PriceDefinition("monthly", "EUR", RecurringCharge(Decimal(amount)), utc(2026, 4, day))
    return run(bss, commands.ChangePrice("bia-100", price))


def test_two_price_changes_of_one_offering_at_once_end_as_one_after_the_other(any_bss: Bss) -> None:
    bss = any_bss
    set_clock(bss, utc(2026, 3, 1, 9))
    for n in range(10):
        day = 1 + 2 * n
        results = race(lambda day=day: reprice(bss, day, "50"), lambda day=day: reprice(bss, day + 1, "51"))
        errors = [r for r in results if isinstance(r, BaseException)]
        assert all(isinstance(e, ConflictError) and "must start after version" in str(e) for e in errors), errors
        assert len(errors) <= 1
    with bss.uow() as uow:
        offering = uow.offerings.get("bia-100")
        assert offering is not None
        chain = sorted((p for p in offering.prices if p.chain == ("monthly", "EUR")), key=lambda p: p.version)
    assert [p.version for p in chain] == list(range(1, len(chain) + 1))
    assert all(a.valid_for.end == b.valid_for.start for a, b in itertools.pairwise(chain))


def created_once(results: list[object], what: str, made: type) -> None:
    """One of the requests created ``what``; the others refused as a request sent after it would be
    (it used to be a database error: a 500 through the API)."""
    assert len([r for r in results if isinstance(r, made)]) == 1, results
    refusals = [r for r in results if not isinstance(r, made)]
    assert all(isinstance(r, ConflictError) and f"{what} already exists" in str(r) for r in refusals), results


def test_a_specification_and_an_offering_defined_many_times_at_once_with_one_id_exist_once(any_bss: Bss) -> None:
    bss = any_bss
    lan = CharacteristicSpec("lan", ValueType.STRING, format=ValueFormat.IPV4_PREFIX)
    for n in range(8):
        spec = commands.DefineSpecification(f"spec-{n}", "LAN", "lanService", (lan,))
        results = race(*[lambda spec=spec: run(bss, spec)] * 4)
        created_once(results, f"product specification spec-{n}", ProductSpecification)
        price = commands.PriceDefinition("monthly", "EUR", RecurringCharge(Decimal("10")))
        offering = commands.DefineOffering(f"offer-{n}", "LAN", f"spec-{n}", prices=(price,))
        results = race(*[lambda offering=offering: run(bss, offering)] * 4)
        created_once(results, f"product offering offer-{n}", ProductOffering)
    with bss.uow() as uow:
        assert len(uow.offerings.get_many([f"offer-{n}" for n in range(8)])) == 8


def test_a_new_catalog_loaded_twice_at_once_is_created_once_and_the_other_load_finds_it(any_bss: Bss) -> None:
    """Two loads of one file on a database that lacks it: one creates, the other reconciles with
    what the first created (nothing differs), as a load after it would."""
    bss = any_bss
    for n in range(6):
        lan = CharacteristicSpec("lan", ValueType.STRING, format=ValueFormat.IPV4_PREFIX)
        price = commands.PriceDefinition("monthly", "EUR", RecurringCharge(Decimal("10")))
        load = commands.LoadCatalog(
            (commands.DefineSpecification(f"spec-{n}", "LAN", "lanService", (lan,)),),
            (commands.DefineOffering(f"offer-{n}", "LAN", f"spec-{n}", prices=(price,)),),
        )
        results = race(lambda load=load: run(bss, load), lambda load=load: run(bss, load))
        assert all(isinstance(r, CatalogReport) for r in results), results
        assert sorted(len(r.created) for r in results) == [0, 2], results
        assert all(not (r.differs or r.refused or r.updated) for r in results), results


def test_two_catalog_loads_extending_one_specification_at_once_keep_both_characteristics(any_bss: Bss) -> None:
    """Each load reads the specification's characteristics and writes them back with its own added
    (and the next version): without the specification held, one load's characteristic was lost."""
    bss = any_bss
    site = CharacteristicSpec("site", ValueType.STRING)
    run(bss, commands.DefineSpecification("grown", "Grown", "svc", (site,)))
    for n in range(6):
        with bss.uow() as uow:
            now = uow.specifications.get("grown").characteristics  # type: ignore[union-attr]

        def extend(name: str, now: tuple[CharacteristicSpec, ...] = now) -> object:
            added = CharacteristicSpec(name, ValueType.STRING, required=False)
            spec = commands.DefineSpecification("grown", "Grown", "svc", (*now, added))
            return run(bss, commands.LoadCatalog((spec,), (), apply=True))

        results = race(lambda n=n: extend(f"a{n}"), lambda n=n: extend(f"b{n}"))
        assert all(isinstance(r, CatalogReport) for r in results), results
        with bss.uow() as uow:
            spec = uow.specifications.get("grown")
            assert spec is not None
            names = [c.name for c in spec.characteristics]
        assert f"a{n}" in names and f"b{n}" in names, names
        assert spec.version == str(1 + 2 * (n + 1)), spec.version
