"""The provisioning rules of the domain: typed and injection-safe values, ownership of configuration
items, order dependencies and cancellation, service states, pools."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oss_agent.domain.catalog import CharacteristicSpec, EndpointSpec, ServiceSpec, ValueType, check_text
from oss_agent.domain.errors import DomainError, InvalidTransitionError
from oss_agent.domain.ownership import Rendered, plan
from oss_agent.domain.pools import PoolSpec, describe
from oss_agent.domain.service import Service, ServiceState
from oss_agent.domain.service_order import ItemAction, OrderState, ServiceOrder, ServiceOrderItemSpec

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SPEC = ServiceSpec(
    id="s",
    name="S",
    description="",
    version="1",
    characteristics=(
        CharacteristicSpec("customer", ValueType.STRING),
        CharacteristicSpec("siteA", ValueType.SITE, modifiable=False),
        CharacteristicSpec("siteB", ValueType.SITE),
        CharacteristicSpec("lan", ValueType.IPV4_PREFIX),
        CharacteristicSpec("mbps", ValueType.INTEGER, minimum=1, maximum=100, default=10),
        CharacteristicSpec("asn", ValueType.ASN, required=False),
    ),
    endpoints=(EndpointSpec("a", "siteA", "lan"), EndpointSpec("b", "siteB", "lan")),
    pools=(),
    templates={},
)
GOOD = {"customer": "ACME Ltd.", "siteA": "customer1", "siteB": "customer2", "lan": "10.1.0.0/24"}


@pytest.mark.parametrize(
    "value",
    [
        "ACME\nend",
        "ACME\r",
        "x\tinterface eth0",
        "end",
        "Exit",
        "do write",
        "no router bgp 65000",
        "a ]]>]]> b",
        "&lt;",
        "<x/>",
        "it's",
        "a;b",
        "$(reboot)",
        "`id`",
        "a|b",
        "x" * 65,
        "",
        "-leading",
        "a{b}",
    ],
)
def test_free_text_that_could_carry_configuration_is_refused(value: str) -> None:
    assert check_text(value) is not None


@given(st.text(max_size=80))
def test_whatever_passes_holds_no_character_a_cli_xml_or_shell_gives_meaning_to(value: str) -> None:
    if check_text(value) is None:
        assert set(value) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _.,:/@()+-")
        assert {w.lower() for w in value.split()}.isdisjoint({"end", "exit", "quit", "write", "configure"})


def test_values_are_typed_defaulted_and_each_problem_names_its_field() -> None:
    values, problems = SPEC.values(GOOD | {"mbps": "25"}, "item[0]")
    assert problems == [] and values["mbps"] == 25 and values["lan"] == "10.1.0.0/24"
    assert SPEC.values(GOOD, "i")[0]["mbps"] == 10
    _, problems = SPEC.values({"customer": "A\nend", "siteA": "x", "lan": "10.1.0.1/24", "mbps": 0, "colour": 1}, "i")
    fields = {p.field: p.message for p in problems}
    assert set(fields) == {"i[colour]", "i[customer].value", "i[lan].value", "i[mbps].value", "i[siteB]"}
    assert "injection" in fields["i[customer].value"] and "host bits" in fields["i[lan].value"]
    assert fields["i[siteB]"] == "is required" and "between 1 and 100" in fields["i[mbps].value"]
    _, same_sites = SPEC.values(GOOD | {"siteB": "customer1"}, "i")
    assert "different sites" in same_sites[0].message
    _, fixed = SPEC.values({"siteA": "elsewhere"}, "i", base=SPEC.values(GOOD, "i")[0])
    assert fixed[0].field == "i[siteA].value" and "cannot be changed" in fixed[0].message
    with pytest.raises(DomainError, match="boolean"):
        SPEC.characteristic("mbps").parse(True)  # type: ignore[union-attr]
    assert SPEC.characteristic("asn").parse("4200000000") == 4200000000  # type: ignore[union-attr]


def test_ownership_removes_only_what_the_service_owned() -> None:
    running = {"base", "shared", "mine", "pre"}
    mine = Rendered(frozenset({"shared", "mine", "pre"}), frozenset(), frozenset({"pre"}))
    change = plan({"s1": mine}, others={"shared"}, running=running)
    assert change.remove == {"mine"} and change.add == set()  # "shared" has another owner, "pre" was there before
    created = plan({"s2": Rendered(frozenset(), frozenset({"base", "new"}))}, others=set(), running={"base"})
    assert created.add == {"new"} and created.preexisting["s2"] == {"base"}
    owned_by_other = plan({"s3": Rendered(frozenset(), frozenset({"shared"}))}, others={"shared"}, running={"shared"})
    assert owned_by_other.preexisting["s3"] == set()  # when the other goes, the next owner still removes it
    moved = plan(
        {"old": Rendered(frozenset({"x"}), frozenset()), "new": Rendered(frozenset(), frozenset({"x"}))},
        others=set(),
        running={"x"},
    )
    assert moved.empty and moved.preexisting["new"] == set()  # one order deletes and adds the same item: it stays
    redeploy = plan({"s": Rendered(frozenset({"a", "b"}), frozenset({"a", "b"}))}, set(), running={"a"})
    assert redeploy.add == {"b"} and redeploy.remove == set()


def _item(item_id: str, *depends: str) -> ServiceOrderItemSpec:
    return ServiceOrderItemSpec(item_id, ItemAction.ADD, "s", depends_on=depends)


def test_items_run_after_those_they_depend_on_and_a_cycle_is_refused() -> None:
    order = ServiceOrder.submit("o", (_item("3", "2"), _item("1"), _item("2", "1")), T0)
    assert [i.item_id for i in order.execution_order()] == ["1", "2", "3"]
    with pytest.raises(InvalidTransitionError, match="depend on each other"):
        ServiceOrder.submit("o", (_item("1", "2"), _item("2", "1")), T0)
    with pytest.raises(InvalidTransitionError, match="unknown item"):
        ServiceOrder.submit("o", (_item("1", "9"),), T0)


def test_an_order_can_be_cancelled_until_its_commit_starts() -> None:
    waiting = ServiceOrder.submit("o", (_item("1"),), T0)
    waiting.cancel(T0, "changed plans")
    assert waiting.state is OrderState.CANCELLED and waiting.items[0].state is OrderState.CANCELLED
    running = ServiceOrder.submit("p", (_item("1"),), T0)
    running.start(T0)
    running.begin_commit(T0)
    assert not running.cancellable
    with pytest.raises(InvalidTransitionError, match="commit started"):
        running.cancel(T0)
    running.fail(T0, "pe2: refused")
    assert running.state is OrderState.FAILED and running.items[0].error == "pe2: refused"


def test_service_states_follow_tmf638() -> None:
    service = Service.reserve("s1", "n", "s", {}, "o", "1", T0)
    service.transition(ServiceState.ACTIVE, T0)
    service.transition(ServiceState.INACTIVE, T0)
    service.transition(ServiceState.TERMINATED, T0)
    with pytest.raises(InvalidTransitionError):
        service.transition(ServiceState.ACTIVE, T0)
    assert [type(e).__name__ for e in service.events] == ["ServiceCreated"] + ["ServiceStateChanged"] * 3


def test_pools_enumerate_blocks_and_ranges() -> None:
    links = PoolSpec("l", "ipv4", prefix="198.19.128.0/30", size=31)
    assert list(links.values()) == ["198.19.128.0/31", "198.19.128.2/31"] and links.capacity == 2
    assert describe(links, "198.19.128.2/31") == {
        "value": "198.19.128.2/31",
        "prefix": "198.19.128.2/31",
        "prefixlen": 31,
        "first": "198.19.128.2",
        "second": "198.19.128.3",
    }
    assert list(PoolSpec("asn", "integer", first=65001, last=65003).values()) == ["65001", "65002", "65003"]
    with pytest.raises(DomainError):
        PoolSpec("bad", "ipv4", prefix="10.0.0.0/24", size=16)
