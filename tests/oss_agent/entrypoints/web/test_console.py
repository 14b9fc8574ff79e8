"""The console over HTTP (no browser): sign-in, sessions, the gateway's checks, pages free of secrets."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from oss_agent.bootstrap import Agent, bootstrap
from oss_agent.config import AgentSettings
from oss_agent.domain.alarm import AlarmSpec, AlarmType, Severity
from oss_agent.domain.commands import RaiseAlarm
from oss_agent.entrypoints.api import create_app
from webui.auth import Sessions

TOKEN = "console-test-token-9f8e7d"
PAGES = [
    "/ui/",
    "/ui/topology",
    "/ui/alarms",
    "/ui/performance",
    "/ui/orders",
    "/ui/services",
    "/ui/data/topology",
    "/ui/data/orders",
    "/ui/data/services",
    "/ui/data/catalog",
]


@pytest.fixture
def agent(tmp_path: Path) -> Iterator[Agent]:
    agent = bootstrap(AgentSettings(data_dir=tmp_path, api_token=TOKEN), upgrade_schema=True)  # type: ignore[arg-type]
    spec = AlarmSpec("pe1:eth1|linkDown", "pe1:eth1", AlarmType.COMMUNICATIONS, "linkDown", Severity.MAJOR, "down")
    asyncio.run(agent.bus.handle(RaiseAlarm(spec, datetime.now(UTC) - timedelta(minutes=3))))
    yield agent
    agent.close()


@pytest.fixture
def client(agent: Agent) -> Iterator[TestClient]:
    with TestClient(create_app(agent), base_url="http://testserver") as test_client:
        yield test_client


def sign_in(client: TestClient, token: str = TOKEN, operator: str = "ann") -> int:
    answer = client.post("/ui/login", data={"operator": operator, "token": token, "next": "/ui/alarms"})
    return answer.status_code


def csrf_of(client: TestClient) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', client.get("/ui/alarms").text)
    assert found is not None
    return found.group(1)


def test_pages_need_a_session_and_the_root_leads_to_the_console(client: TestClient) -> None:
    assert client.get("/", follow_redirects=False).headers["location"] == "/ui/"
    for path in (p for p in PAGES if "/data/" not in p):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/ui/login?next=")
    assert client.get("/ui/data/topology").status_code == 401
    assert client.get("/ui/api/tmf-api/alarm/v4/alarm").status_code == 401
    assert client.get("/tmf-api/alarm/v4/alarm").status_code == 401  # the API still wants its bearer token


def test_a_wrong_token_or_name_is_refused_and_a_right_one_gives_an_httponly_strict_cookie(client: TestClient) -> None:
    assert sign_in(client, token="wrong") == 401
    assert sign_in(client, operator="<script>") == 401
    answer = client.post(
        "/ui/login", data={"operator": "ann", "token": TOKEN, "next": "https://evil.example/"}, follow_redirects=False
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/ui/"  # no open redirect
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/ui/" in cookie
    assert TOKEN not in cookie
    assert client.get("/ui/alarms").status_code == 200
    for forged in (
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
        {"origin": "https://evil.example"},
    ):
        refused = client.post("/ui/logout", headers=forged, follow_redirects=False)  # another site's page posting
        assert refused.status_code == 403 and "set-cookie" not in refused.headers
    assert client.get("/ui/alarms").status_code == 200  # still signed in
    own = client.post("/ui/logout", headers={"sec-fetch-site": "same-origin"}, follow_redirects=False)
    assert own.status_code == 303
    assert client.post("/ui/logout", follow_redirects=False).status_code == 303  # not a browser: neither header
    client.cookies.clear()
    assert client.get("/ui/alarms", follow_redirects=False).status_code == 303


def cookie_flags(answer: Any) -> set[str]:
    """The attributes of a Set-Cookie, lower case and without values (``secure``, ``httponly``...)."""
    return {part.strip().split("=")[0].lower() for part in answer.headers["set-cookie"].split(";")[1:]}


@pytest.mark.parametrize(
    ("forced", "scheme", "secure"), [(False, "http", False), (False, "https", True), (True, "http", True)]
)
def test_the_session_cookie_is_secure_over_https_or_always_when_the_settings_say_so(
    tmp_path: Path, forced: bool, scheme: str, secure: bool
) -> None:
    """Behind a TLS proxy whose X-Forwarded-Proto uvicorn does not trust (not on loopback),
    the request is plain HTTP and the cookie came without Secure: console_secure_cookie
    marks it Secure whatever the request's scheme."""
    settings = AgentSettings(data_dir=tmp_path, api_token=TOKEN, console_secure_cookie=forced)  # type: ignore[arg-type]
    agent = bootstrap(settings, upgrade_schema=True)
    try:
        with TestClient(create_app(agent), base_url=f"{scheme}://testserver") as client:
            answer = client.post("/ui/login", data={"operator": "ann", "token": TOKEN}, follow_redirects=False)
            assert answer.status_code == 303
            assert ("secure" in cookie_flags(answer)) is secure, answer.headers["set-cookie"]
    finally:
        agent.close()


def test_no_page_script_or_style_holds_the_token_and_each_sets_a_strict_policy(client: TestClient) -> None:
    assert sign_in(client) == 200
    bodies = []
    for path in PAGES:
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert "default-src 'self'" in answer.headers["content-security-policy"]
        bodies.append(answer.text)
    for asset in re.findall(r'(?:src|href)="(/ui/static/[^"]+)"', "".join(bodies)):
        answer = client.get(asset)
        assert answer.status_code == 200, asset
        bodies.append(answer.text)
    assert not any(TOKEN in body for body in bodies)
    assert not re.search(r'(?:src|href)="(?:https?:)?//', "".join(bodies))  # nothing from elsewhere


def test_the_gateway_forwards_only_console_paths_and_changes_only_with_the_csrf_token(client: TestClient) -> None:
    assert sign_in(client) == 200
    alarms = client.get("/ui/api/tmf-api/alarm/v4/alarm").json()
    number = alarms[0]["id"]
    assert client.get("/ui/api/metrics").status_code == 404
    assert client.get("/ui/api/tmf-api/alarm/v4/hub").status_code == 404
    ack = {"ackState": "acknowledged", "ackUserId": "ann"}
    assert client.patch(f"/ui/api/tmf-api/alarm/v4/alarm/{number}", json=ack).status_code == 403
    wrong = {"X-CSRF-Token": "nope"}
    assert client.patch(f"/ui/api/tmf-api/alarm/v4/alarm/{number}", json=ack, headers=wrong).status_code == 403
    done = client.patch(
        f"/ui/api/tmf-api/alarm/v4/alarm/{number}",
        content=b'{"ackState": "acknowledged", "ackUserId": "ann"}',
        headers={"X-CSRF-Token": csrf_of(client), "Content-Type": "application/merge-patch+json"},
    )
    assert done.status_code == 200 and done.json()["ackState"] == "acknowledged"
    assert done.json()["href"].startswith("http://testserver/tmf-api/alarm/v4/alarm/")  # the API's own address


def test_without_a_token_the_console_is_open_as_the_api_is(tmp_path: Path) -> None:
    agent = bootstrap(AgentSettings(data_dir=tmp_path), upgrade_schema=True)
    try:
        with TestClient(create_app(agent)) as client:
            assert client.get("/ui/login", follow_redirects=False).status_code == 303
            page = client.get("/ui/")
            assert page.status_code == 200 and "open access" in page.text
            assert client.patch("/ui/api/tmf-api/alarm/v4/alarm/1", json={}).status_code == 403  # CSRF still asked
    finally:
        agent.close()


def test_a_session_proves_the_token_without_holding_it_and_expires() -> None:
    sessions = Sessions("t0ken", lifetime_s=100)
    cookie = sessions.issue("ann", now=1000.0)
    assert "t0ken" not in cookie
    session = sessions.check(cookie, now=1050.0)
    assert session is not None and session.operator == "ann"
    assert sessions.check(cookie, now=1100.0) is None  # expired
    assert sessions.check(cookie, now=999.0) is None  # from the future
    assert Sessions("other").check(cookie, now=1050.0) is None  # a new token revokes every session
    payload, signature = cookie.split(".")
    assert sessions.check(payload[:-2] + "xx." + signature, now=1050.0) is None
    assert sessions.check("garbage", now=1050.0) is None
    assert sessions.csrf_ok(session, sessions.csrf(session)) and not sessions.csrf_ok(session, None)


def test_orders_go_through_the_gateway_as_tmf641_with_the_csrf_token(client: TestClient) -> None:
    assert sign_in(client) == 200
    body = {"serviceOrderItem": [{"id": "1", "action": "add", "service": {"serviceSpecification": {"id": "nope"}}}]}
    assert client.post("/ui/api/tmf-api/serviceOrdering/v4/serviceOrder", json=body).status_code == 403
    headers = {"X-CSRF-Token": csrf_of(client)}
    refused = client.post("/ui/api/tmf-api/serviceOrdering/v4/serviceOrder", json=body, headers=headers)
    assert refused.status_code == 201 and refused.json()["state"] == "rejected"  # stored, with the reason
    [listed] = client.get("/ui/data/orders").json()
    assert listed["id"] == refused.json()["id"] and listed["state"] == "rejected" and listed["final"]
    assert not listed["cancellable"] and listed["devices"] == []
    detail = client.get(f"/ui/data/orders/{listed['id']}").json()
    assert "nope" in detail["errors"][0]["message"] and detail["resource_orders"] == []
    missing = client.get("/ui/data/orders/no-such-order")
    assert missing.status_code == 404 and "default-src 'self'" in missing.headers["content-security-policy"]
    assert client.get("/ui/data/services/no-such-service").status_code == 404
    dry = client.post("/ui/api/provisioning/v1/dryRun", json=body, headers=headers).json()
    assert dry["problems"] and dry["devices"] == []
    assert client.post("/ui/api/tmf-api/serviceOrdering/v4/hub", json={}, headers=headers).status_code == 404


def test_the_order_form_offers_the_catalog_the_sites_and_the_shipped_examples(client: TestClient) -> None:
    assert sign_in(client) == 200
    catalog = client.get("/ui/data/catalog").json()
    specs = {s["id"]: s for s in catalog["specs"]}
    assert {"site-interconnect", "internet-access"} <= set(specs)
    kinds = {c["name"]: c["type"] for c in specs["site-interconnect"]["characteristics"]}
    assert kinds["siteA"] == "site" and kinds["bandwidthMbps"] == "integer"
    examples = {e["name"]: e["order"] for e in catalog["examples"]}
    assert examples["site-interconnect"]["externalId"] == "demo-site-interconnect-1"
    assert catalog["sites"] == []  # no inventory here: no site to offer


def test_the_menu_links_to_the_bss_console_when_its_address_is_set(tmp_path: Path) -> None:
    settings = AgentSettings(data_dir=tmp_path, bss_console_url="http://127.0.0.1:8081/ui/")
    agent = bootstrap(settings, upgrade_schema=True)
    try:
        with TestClient(create_app(agent)) as client:
            assert '<a href="http://127.0.0.1:8081/ui/" >BSS console' in client.get("/ui/").text
    finally:
        agent.close()
    with pytest.raises(ValueError, match="bss_console_url"):
        AgentSettings(data_dir=tmp_path, bss_console_url="javascript:alert(1)")
