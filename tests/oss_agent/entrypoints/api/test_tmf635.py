"""TMF635 over HTTP: the published usage listed with TMF630 filters and paging, each answer valid
against the official Usage schema; the hub delivers UsageCreateEvents valid against theirs."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from oss_agent.bootstrap import Agent
from oss_agent.domain.usage import UsageKind, UsageRecord, usage_id
from oss_agent.entrypoints.api import create_app
from oss_agent.fault.hub.store import HubStore
from oss_agent.fault.hub.tmf639 import RESOURCE_HUB
from oss_agent.performance.tmf635 import USAGE_HUB
from oss_agent.provisioning.hub import SERVICE_HUB
from oss_agent.storage.engine import make_session_factory
from oss_agent.storage.usage_repository import UsageRepository

from ...fault.test_hub import Receiver, deliver_pending
from ...service_layer.test_usage_publication import T0, add_samples, add_service, make_agent, publish
from .conftest import schema_validator

BASE = "/tmf-api/usageManagement/v4"
NOW = T0 + timedelta(hours=3, minutes=1)


def v635(definition: str, array: bool = False) -> Any:
    return schema_validator("TMF635-Usage-v4.0.0", definition, array)


@pytest.fixture
def agent(tmp_path: Path) -> Iterator[Agent]:
    agent = make_agent(tmp_path)
    yield agent
    agent.close()


@pytest.fixture
def client(agent: Agent) -> Iterator[TestClient]:
    add_service(agent, "svc-a")  # internet access on pe1:eth2: hourly volumes and 5-minute rates
    add_samples(agent, "pe1", "eth2", T0, NOW, in_bps=16_000, out_bps=1_000_000)
    publish(agent, NOW)
    with TestClient(create_app(agent)) as client:
        yield client


def chars(usage: dict[str, Any]) -> dict[str, Any]:
    return {c["name"]: c["value"] for c in usage["usageCharacteristic"]}


def test_the_list_is_tmf635_usage_with_paging_and_filters(client: TestClient) -> None:
    everything = client.get(f"{BASE}/usage")
    assert everything.status_code == 200
    v635("Usage", array=True).validate(everything.json())
    total = int(everything.headers["X-Total-Count"])
    assert total == len(everything.json()) == 3 + 32  # 08:20-11:00: 3 hours begun, 32 five-minute samples

    volumes = client.get(f"{BASE}/usage", params={"usageType": "volume"}).json()
    assert [v["usageDate"] for v in volumes] == [
        "2026-03-01T08:20:00+00:00", "2026-03-01T09:00:00+00:00", "2026-03-01T10:00:00+00:00"
    ]
    first = chars(volumes[0])
    assert first == {
        "serviceId": "svc-a", "interface": "pe1:eth2", "endDateTime": "2026-03-01T09:00:00+00:00",
        "intervalSeconds": 3600, "measuredSeconds": 2400.0, "inboundOctets": 125_000 * 2400,
        "outboundOctets": 2000 * 2400,
    }
    assert volumes[0]["id"] == "svc-a:volume:20260301T080000Z:3600"
    assert volumes[0]["href"].endswith(f"{BASE}/usage/svc-a:volume:20260301T080000Z:3600")

    rates = client.get(f"{BASE}/usage", params={"usageType": "rate", "usageDate.gte": "2026-03-01T10:00:00Z"})
    assert rates.headers["X-Total-Count"] == "12" and rates.headers["X-Result-Count"] == "12"
    assert {(chars(r)["inboundMbps"], chars(r)["outboundMbps"]) for r in rates.json()} == {(1.0, 0.016)}

    paged = client.get(f"{BASE}/usage", params={"offset": 30, "limit": 10})
    assert paged.headers["X-Total-Count"] == str(total) and len(paged.json()) == 5
    assert [u["id"] for u in paged.json()] == [u["id"] for u in everything.json()[30:]]

    # a filter on a characteristic is applied to the rendered records, paging after it
    mine = client.get(f"{BASE}/usage", params={"usageCharacteristic.value": "svc-a", "usageType": "volume",
                                               "limit": 2, "fields": "usageDate"})
    assert mine.headers["X-Total-Count"] == "3" and len(mine.json()) == 2
    assert set(mine.json()[0]) == {"id", "href", "@type", "usageDate"}
    assert client.get(f"{BASE}/usage", params={"usageCharacteristic.value": "svc-b"}).json() == []


def test_one_usage_and_the_refusals_in_tmf_error_shape(client: TestClient) -> None:
    one = client.get(f"{BASE}/usage/svc-a:rate:20260301T083000Z:300")
    assert one.status_code == 200
    v635("Usage").validate(one.json())
    assert chars(one.json())["measuredSeconds"] == 300.0
    for path, params, status, words in (
        ("/usage/nope", {}, 404, "no usage with id 'nope'"),
        ("/usage", {"usageDate.gte": "yesterday"}, 400, "not a date"),
        ("/usage", {"quantity": "3"}, 400, "cannot filter on 'quantity'"),
        ("/usage", {"usageType.gt": "a"}, 400, "compares numbers and dates"),
    ):
        answer = client.get(f"{BASE}{path}", params=params)
        assert answer.status_code == status and words in answer.json()["message"], answer.json()
        v635("Error").validate(answer.json())
    assert client.post(f"{BASE}/usage", json={}).status_code == 405  # usage is measured, not posted


# volume records starting at these instants, in this order: around 1 March (UTC) and on the day after
DAY_EDGES = [
    datetime(2026, 2, 28, 23, 59, 59, tzinfo=UTC),
    datetime(2026, 3, 1, 0, 0, tzinfo=UTC),
    datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
    datetime(2026, 3, 1, 23, 59, 59, 500000, tzinfo=UTC),
    datetime(2026, 3, 2, 0, 0, tzinfo=UTC),
    datetime(2026, 3, 2, 12, 0, tzinfo=UTC),
]


def add_records(agent: Agent, service_id: str, starts: list[datetime]) -> None:
    def record(start: float) -> UsageRecord:
        key = usage_id(service_id, UsageKind.VOLUME, start, 1)
        return UsageRecord(key, service_id, UsageKind.VOLUME, start, 1, start, start + 1, 1, ("pe1:eth2",), 1, 1)

    with make_session_factory(agent.engine)() as session:
        UsageRepository(session).add([record(at.timestamp()) for at in starts])
        session.commit()


@pytest.mark.parametrize("in_database", [True, False], ids=["in the database", "on the rendered records"])
def test_a_date_alone_is_the_utc_date_the_usage_shows(agent: Agent, in_database: bool) -> None:
    add_records(agent, "svc-a", DAY_EDGES)
    # a filter on a characteristic sends the others to the rendered records: both answer alike
    extra = {} if in_database else {"usageCharacteristic.value": "svc-a"}
    with TestClient(create_app(agent)) as client:

        def found(**params: str) -> list[int]:
            answer = client.get(f"{BASE}/usage", params=params | extra)
            assert answer.status_code == 200, answer.text
            assert answer.headers["X-Total-Count"] == str(len(answer.json()))
            return [DAY_EDGES.index(datetime.fromisoformat(u["usageDate"])) + 1 for u in answer.json()]

        assert found() == [1, 2, 3, 4, 5, 6]
        assert found(usageDate="2026-03-01") == [2, 3, 4]  # any time of that date
        assert found(**{"usageDate.lte": "2026-03-01"}) == [1, 2, 3, 4]  # up to its end: noon included
        assert found(**{"usageDate.gt": "2026-03-01"}) == [5, 6]  # after it: noon excluded
        assert found(**{"usageDate.gte": "2026-03-01"}) == [2, 3, 4, 5, 6]  # from it on
        assert found(**{"usageDate.lt": "2026-03-01"}) == [1]  # before it
        assert found(usageDate="2026-02-28,2026-03-02") == [1, 5, 6]
        assert found(usageDate="2026-03-01T12:00:00Z,2026-03-02") == [3, 5, 6]  # an instant among dates
        assert found(usageDate="2026-03-01", usageType="volume") == [2, 3, 4]
        assert found(usageDate="2026-03-01", usageType="rate") == []
        # a time keeps its instant semantics, UTC without an offset
        assert found(**{"usageDate.lte": "2026-03-01T13:00:00+01:00"}) == [1, 2, 3]
        assert found(**{"usageDate.lt": "2026-03-01T12:00:00"}) == [1, 2]
        # the ends of the calendar
        assert found(**{"usageDate.gt": "9999-12-31"}) == []
        assert found(**{"usageDate.lte": "9999-12-31"}) == [1, 2, 3, 4, 5, 6]
        assert found(**{"usageDate.gte": "9999-12-31"}) == []
        assert found(**{"usageDate.lt": "0001-01-01"}) == []
        assert found(usageDate="9999-12-31,2026-03-02") == [5, 6]

        page = client.get(f"{BASE}/usage", params={"usageDate": "2026-03-01", "offset": 1, "limit": 1} | extra)
        assert (page.headers["X-Total-Count"], page.headers["X-Result-Count"]) == ("3", "1")
        assert page.json()[0]["usageDate"] == "2026-03-01T12:00:00+00:00"
        for value, words in (
            ("2026-02-30", "usageDate='2026-02-30': not a date"),
            ("0001-01-01T00:00:00+01:00", "usageDate='0001-01-01T00:00:00+01:00': not a date"),
        ):
            refused = client.get(f"{BASE}/usage", params={"usageDate": value} | extra)
            assert refused.status_code == 400 and words in refused.json()["message"], refused.text


def test_the_hub_delivers_usage_create_events(agent: Agent, tmp_path: Path) -> None:
    receiver = Receiver()
    receiver.up()
    try:
        with TestClient(create_app(agent)) as client:
            alarm = {"callback": receiver.url("x"), "query": "eventType=AlarmCreateEvent"}
            refused = client.post(f"{BASE}/hub", json=alarm)
            assert refused.status_code == 400
            created = client.post(f"{BASE}/hub", json={"callback": receiver.url("usage"), "query": "usageType=volume"})
            assert created.status_code == 201
        add_service(agent, "svc-a", "site-interconnect")
        add_samples(agent, "pe1", "eth2", T0, T0 + timedelta(hours=2, minutes=1), in_bps=800, out_bps=1600)
        published = publish(agent, T0 + timedelta(hours=2, minutes=1)).published
        assert len(published) == 2
        sessions = make_session_factory(agent.engine)
        stores = [HubStore(sessions, hub=hub) for hub in (USAGE_HUB, SERVICE_HUB, RESOURCE_HUB)]

        async def deliver() -> None:  # the devices' and the service's own events are in the outbox too
            await asyncio.gather(*(deliver_pending(store) for store in stores))

        asyncio.run(deliver())
        events = receiver.got("usage")
        assert [e["event"]["usage"]["id"] for e in events] == published
        for body in events:
            v635("UsageCreateEvent").validate(body)
            assert body["eventType"] == "UsageCreateEvent"
        assert chars(events[0]["event"]["usage"])["inboundOctets"] == 200 * 2400
    finally:
        receiver.close()
