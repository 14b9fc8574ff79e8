"""The bridge's pure rules: ids that make retries safe, the characteristic mapping, labels, and
reading the OSS's TMF641/TMF642 answers."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bss_bridge.domain import bridge as rules
from bss_bridge.domain.billing.errors import InvalidBillingInputError
from bss_bridge.domain.billing.metering import UsageKind
from bss_bridge.domain.bridge_usage import usage_submission, usage_view
from bss_bridge.domain.catalog import ProductSpecification

from ..builders import internet_spec


def test_an_item_always_travels_under_the_same_external_id_and_odd_ids_are_digested() -> None:
    assert rules.item_key("po-1", "2") == "po-1:2" == rules.item_key("po-1", "2")
    odd = rules.item_key("po 1/ü", "x")
    assert odd.startswith("poi-") and odd == rules.item_key("po 1/ü", "x") and rules.EXTERNAL_ID.match(odd)
    assert odd != rules.item_key("po 1/ü", "y")
    assert rules.state_key("sub-1", 3) == "sub-1:state:3" != rules.state_key("sub-1", 4)
    # a final line break is odd too ('$' in match() let it through, and the OSS refuses such an externalId)
    assert rules.item_key("po-1", "2\n").startswith("poi-") and rules.item_key("po-1\n", "2").startswith("poi-")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ACME Corp.", "ACME Corp"),
        ("evil\nend\ninterface eth0\nshutdown", "evil eth0"),
        ("!!!", "fallback"),
        ("x" * 100, "x" * 64),
        ("Müller; exit", "M ller"),
    ],
)
def test_a_label_carries_no_configuration_keyword_nor_control_character(text: str, expected: str) -> None:
    assert rules.label(text, "fallback") == expected


def test_characteristics_map_as_the_specification_says_and_integers_stay_integers() -> None:
    spec: ProductSpecification = internet_spec()
    mapped = rules.service_characteristics(spec, {"site": "customer1", "bandwidthMbps": Decimal(100), "other": "x"})
    assert mapped == {
        next(c.maps_to for c in spec.characteristics if c.name == "site"): "customer1",
        next(c.maps_to for c in spec.characteristics if c.name == "bandwidthMbps"): 100,
    }
    changed = rules.changed_characteristics(
        spec, {"site": "customer1", "bandwidthMbps": 100}, {"site": "customer1", "bandwidthMbps": 1000}
    )
    assert list(changed.values()) == [1000]
    assert rules.wire_value(Decimal("2.50")) == "2.50" and rules.wire_value(True) == "true"


def test_order_bodies_are_tmf641_service_order_creates() -> None:
    party = rules.Party("c1", "ACME")
    add = rules.add_order(
        "po-1:1",
        "internet-access",
        {"site": "s", "bandwidthMbps": 10},
        party,
        "d",
        datetime(2026, 3, 1, 10, tzinfo=UTC),
    )
    assert add["externalId"] == "po-1:1" and add["requestedStartDate"] == "2026-03-01T10:00:00+00:00"
    assert add["serviceOrderItem"][0]["service"]["serviceCharacteristic"] == [
        {"name": "bandwidthMbps", "value": 10},
        {"name": "site", "value": "s"},
    ]
    suspend = rules.modify_order("sub:state:1", "svc-1", party, "d", state="inactive")
    assert suspend["serviceOrderItem"] == [
        {"id": "1", "action": "modify", "service": {"id": "svc-1", "state": "inactive"}}
    ]
    assert rules.delete_order("k", "svc-1", party, "d")["serviceOrderItem"][0]["action"] == "delete"


def test_a_service_order_is_read_with_its_services_errors_and_completion() -> None:
    view = rules.service_order_view(
        {
            "id": "so-1",
            "externalId": "po-1:1",
            "state": "failed",
            "completionDate": "2026-03-01T10:00:00Z",
            "errorMessage": [{"code": "x", "message": "traffic check failed"}],
            "serviceOrderItem": [
                {
                    "id": "1",
                    "service": {"id": "svc-9"},
                    "errorMessage": [{"message": "commit refused", "referenceError": "pe1"}],
                }
            ],
        }
    )
    assert (view.final, view.succeeded, view.service_ids) == (True, False, ("svc-9",))
    assert view.completed_at == datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert view.reason() == "traffic check failed; pe1: commit refused"
    assert not rules.service_order_view({"id": "so-2", "state": "inProgress"}).final


def test_an_alarm_is_keyed_by_its_root_cause_and_a_cleared_one_is_not_active() -> None:
    raised = {
        "id": "7",
        "state": "raised",
        "alarmType": "communicationsAlarm",
        "perceivedSeverity": "major",
        "alarmedObject": {"id": "pe1:eth3"},
        "alarmRaisedTime": "2026-03-01T10:00:00Z",
        "parentAlarm": [{"id": "5"}],
        "specificProblem": "linkDown",
    }
    symptom = rules.alarm_view(raised)
    assert (symptom.active, symptom.group, symptom.alarmed_object, symptom.problem) == (
        True,
        "5",
        "pe1:eth3",
        "linkDown",
    )
    cleared = rules.alarm_view(
        raised
        | {
            "state": "cleared",
            "alarmClearedTime": "2026-03-01T10:05:00Z",
            "alarmChangedTime": "2026-03-01T10:05:00Z",
            "parentAlarm": [],
        }
    )
    assert not cleared.active and cleared.group == "7" and rules.newest([cleared, symptom]) is cleared


def test_network_state_and_backoff() -> None:
    assert [rules.network_state(s) for s in ("active", "suspended", "terminated")] == ["active", "inactive", None]
    assert [rules.backoff_s(n, 1.0, 10.0) for n in (1, 2, 3, 4, 5, 99)] == [1, 2, 4, 8, 10, 10]


def rate_body(*values: tuple[str, object]) -> dict[str, object]:
    """A TMF635 rate record of svc-1 as the OSS publishes it, with these characteristics too."""
    return {
        "id": "svc-1:rate:20260301T100000Z:300",
        "usageDate": "2026-03-01T10:00:00Z",
        "usageType": "rate",
        "usageCharacteristic": [{"name": "serviceId", "value": "svc-1"}, *({"name": n, "value": v} for n, v in values)],
    }


def test_an_oss_rate_record_becomes_billing_s_exact_submission_of_the_product() -> None:
    body = rate_body(
        ("interface", "pe1:eth2"),
        ("endDateTime", "2026-03-01T10:05:00Z"),
        ("intervalSeconds", 300),
        ("measuredSeconds", 299.5),
        ("inboundMbps", 12.345678),
        ("outboundMbps", 0.1),
    )
    view = usage_view(body)
    assert view.service_id == "svc-1"
    found = usage_submission(view, "prod-9")
    assert (found.id, found.kind, found.product_id) == (body["id"], UsageKind.RATE, "prod-9")
    assert (found.inbound_mbps, found.outbound_mbps) == (Decimal("12.345678"), Decimal("0.1"))  # not the float's
    assert found.end_date == datetime(2026, 3, 1, 10, 5, tzinfo=UTC)
    with pytest.raises(InvalidBillingInputError, match="inboundOctets"):
        usage_submission(usage_view({**body, "usageType": "volume"}), "prod-9")


def test_a_rate_kept_as_a_decimal_by_the_inbox_is_taken_as_it_is() -> None:
    body = rate_body(("inboundMbps", Decimal("0.017629")), ("outboundMbps", 3))
    found = usage_submission(usage_view(body), "prod-9")
    assert (found.inbound_mbps, found.outbound_mbps) == (Decimal("0.017629"), Decimal(3))
