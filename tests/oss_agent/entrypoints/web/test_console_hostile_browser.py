"""The agent's console in a real browser (Debian's Chromium) over data made to look like markup: a
device, its site, role, interface and its description, an alarm and a comment, a service and its
characteristics, an order's description, each holding HTML, a ``</script>`` and a ``javascript:``
URL. Every page shows them as text: no element is made from them, nothing runs, no link leads to a
script. No lab: the agent's API and console are served by uvicorn over a database filled here."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from oss_agent.bootstrap import bootstrap
from oss_agent.config import AgentSettings
from oss_agent.domain.alarm import AlarmSpec, AlarmType, Severity
from oss_agent.domain.commands import RaiseAlarm
from oss_agent.domain.model import Device, InterfaceState, Link, LinkEnd
from oss_agent.domain.service import Service, ServiceState
from oss_agent.entrypoints.api import create_app

from ....browser import chromium, forgive, signed_in_page, wait_for
from ....ports import free_port

TOKEN = "console-hostile-token-55cc"
MARKUP = '<b class="xss-marker">b</b><img class="xss-marker" src="x" onerror="window.__xss=1">'
BREAKOUT = "</script><script>window.__xss=2</script>"
DEVICE = f"pe{MARKUP}"
INTERFACE = f"eth{BREAKOUT}"
URL = "javascript:window.__xss=3"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("console-hostile")
    agent = bootstrap(AgentSettings(data_dir=folder, api_token=TOKEN), upgrade_schema=True)  # type: ignore[arg-type]
    now = datetime.now(UTC)
    device = Device(DEVICE, "198.51.100.11", "frr", f"site{MARKUP}", f"role{MARKUP}", [], f"v{MARKUP}", "", URL)
    device.update_interfaces([InterfaceState(INTERFACE, 2, f"to {MARKUP}", "ethernetCsmacd", 10**9, 1500)], now)
    peer = Device("pe2", "198.51.100.12", "frr")
    peer.update_interfaces([InterfaceState("eth1", 2, "", "ethernetCsmacd", 10**9, 1500)], now)
    service = Service(
        "5e1", f"svc {MARKUP}{BREAKOUT}", "internet-access", ServiceState.ACTIVE,
        {"customer": f"cust {MARKUP}", "site": URL}, "order-1", "1", now, now, external_id=URL,
        supporting_resources=(DEVICE, f"{DEVICE}:{INTERFACE}"), in_sync=False, sync_detail=f"missing {MARKUP}",
        checks=[{"ok": False, "label": f"check {MARKUP}", "detail": f"saw {BREAKOUT}"}],
    )  # fmt: skip
    with agent.uow as uow:
        uow.devices.add(device)
        uow.devices.add(peer)
        uow.links.upsert(Link.between(LinkEnd(DEVICE, INTERFACE), LinkEnd("pe2", "eth1")), now)
        uow.services.add(service)
        uow.commit()
    place = f"{DEVICE}:{INTERFACE}"
    alarm = AlarmSpec(
        f"{place}|linkDown", place, AlarmType.COMMUNICATIONS, f"cause {MARKUP}", Severity.MAJOR, f"problem {BREAKOUT}"
    )
    asyncio.run(agent.bus.handle(RaiseAlarm(alarm, now - timedelta(minutes=3))))
    port = free_port()
    config = uvicorn.Config(create_app(agent), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="console-hostile", daemon=True)
    thread.start()
    try:
        wait_for("the agent's API to listen", lambda: server.started, timeout_s=60)
        yield f"http://127.0.0.1:{port}", folder / "server.log"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        agent.close()


@pytest.fixture(scope="module")
def browser(served: Any) -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Any, served: tuple[str, Path], request: pytest.FixtureRequest) -> Iterator[Any]:
    base_url, log = served
    with signed_in_page(browser, base_url, "/ui/", TOKEN, request.node.name, log) as signed_in:
        dialogs: list[str] = []
        signed_in.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        signed_in.dialogs = dialogs
        yield signed_in


def as_text(page: Any, *shown: str) -> None:
    """Nothing on the page was made from the data or ran, and ``shown`` is there, literally."""
    for frame in page.frames:
        assert frame.evaluate("document.querySelectorAll('.xss-marker').length") == 0, frame.url
        assert frame.evaluate("window.__xss") is None, frame.url
        hrefs = frame.evaluate("[...document.querySelectorAll('[href],[src]')].map(e => e.href || e.src)")
        assert not [h for h in hrefs if not h.startswith(("http://127.0.0.1", "data:"))], hrefs
    assert page.dialogs == []
    text = page.inner_text("main")
    for value in shown:
        assert value in text, (value, text[:2000])


def until(page: Any, what: str, script: str, arg: Any = None) -> None:
    """Waits for ``script`` to be true (not ``page.wait_for_function``: the console's policy forbids its eval)."""
    wait_for(what, lambda: bool(page.evaluate(script, arg)), timeout_s=30)


def test_markup_in_devices_alarms_and_services_is_shown_as_text_on_every_page(page: Any) -> None:
    as_text(page, DEVICE, f"site{MARKUP}", f"svc {MARKUP}{BREAKOUT}")  # the Overview
    page.goto("/ui/alarms")
    page.click("#alarms tbody tr[data-id]")
    page.fill("#detail input", f"seen {MARKUP}{BREAKOUT}")
    page.click("#detail button[type=submit]")
    page.wait_for_selector(f"#detail >> text=seen {MARKUP}{BREAKOUT}")
    as_text(page, f"cause {MARKUP}", f"problem {BREAKOUT}", f"{DEVICE}:{INTERFACE}")
    page.goto("/ui/topology")
    until(page, "the map", "() => window.consoleGraph && window.consoleGraph.nodes().length === 2")
    page.evaluate("(id) => window.consoleGraph.getElementById(id).emit('tap')", DEVICE)
    page.wait_for_selector("#detail >> text=performance →")
    as_text(page, DEVICE, f"role{MARKUP}", f"v{MARKUP} frr {URL}", f"cause {MARKUP}")
    page.goto("/ui/performance")  # the interfaces are JSON in the page: a </script> in one must not end it
    until(page, "the interfaces", "() => document.getElementById('interface').options.length > 0")
    assert DEVICE in page.locator("#device option").all_inner_texts()
    assert page.evaluate("JSON.parse(document.getElementById('perf-data').textContent).interfaces")[DEVICE] == [
        {"name": INTERFACE, "speed": 10**9}
    ]
    as_text(page)
    page.goto("/ui/services?service=5e1")
    page.wait_for_selector("#characteristics")
    as_text(page, f"svc {MARKUP}{BREAKOUT}", f"cust {MARKUP}", URL, f"missing {MARKUP}", f"check {MARKUP}")


def test_a_refused_orders_description_and_reasons_are_shown_as_text(page: Any) -> None:
    order = {
        "description": f"for {MARKUP}{BREAKOUT}",
        "serviceOrderItem": [{"id": "1", "action": "add", "service": {
            "name": f"svc {MARKUP}", "serviceSpecification": {"id": "internet-access"},
            "serviceCharacteristic": [{"name": "customer", "value": URL}]}}],
    }  # fmt: skip
    csrf = page.get_attribute('meta[name="csrf-token"]', "content")
    answer = page.request.post(
        "/ui/api/tmf-api/serviceOrdering/v4/serviceOrder", data=order, headers={"X-CSRF-Token": csrf}
    )
    assert answer.status == 201 and answer.json()["state"] == "rejected"
    reason = answer.json()["errorMessage"][0]["message"]
    page.goto(f"/ui/orders?order={answer.json()['id']}")
    page.wait_for_selector("#detail >> text=Why it was refused or failed")
    as_text(page, f"for {MARKUP}{BREAKOUT}", reason)
    assert "[object" not in page.inner_text("#detail")


PROXY_PAGE = (  # a proxy's error page, with markup of its own in it
    "<html><head><title>502 Bad Gateway</title><style>h1 {color: red}</style></head>"
    f"<body><h1>502 Bad Gateway</h1>{MARKUP}<hr>nginx<script>window.__xss=4</script></body></html>"
)


def test_an_answer_that_is_not_json_is_shown_as_its_status_and_text(page: Any) -> None:
    """A proxy's HTML 502 or a plain-text 404 used to show a JSON parse error: the operator now reads
    the status and the start of the answer's text (markup in it stays text), and a JSON refusal keeps
    its TMF reason."""
    gone = {"status": 404, "content_type": "text/plain", "body": f"gone {MARKUP}"}
    page.route("**/ui/data/services/**", lambda r: r.fulfill(**gone))
    page.goto("/ui/services?service=5e1")
    page.wait_for_selector("#detail p.error")
    assert page.inner_text("#detail p.error") == f"404 Not Found: gone {MARKUP}"
    as_text(page)
    page.route("**/ui/api/tmf-api/alarm/**", lambda r: r.fulfill(status=502, content_type="text/html", body=PROXY_PAGE))
    page.goto("/ui/alarms")
    until(page, "the live mark", "() => document.getElementById('live').textContent.startsWith('not updating')")
    assert page.inner_text("#live") == "not updating: 502 Bad Gateway: 502 Bad Gateway 502 Bad Gateway b nginx"
    as_text(page)
    page.unroute("**/ui/api/tmf-api/alarm/**")
    refused = page.evaluate("window.Console.api('/api/tmf-api/alarm/v4/alarm/99999').catch((e) => e.message)")
    assert refused == "no alarm with id '99999'", refused
    own_404 = page.evaluate("window.Console.api('/data/nowhere').catch((e) => e.message)")  # the console's own text
    assert own_404 == "404 Not Found: not found", own_404
    forgive(page, "status of 404", "status of 502", "HTTP 404 GET", "HTTP 502 GET")


def test_a_link_with_a_malformed_address_still_draws_the_map(page: Any) -> None:
    page.goto("/ui/topology#%E0%A4%A")
    until(page, "the map", "() => window.consoleGraph && window.consoleGraph.nodes().length === 2")
    page.wait_for_selector("#detail >> text=Click a device or a link")


def test_sign_out_works_from_the_page_and_not_from_another_site(page: Any, served: tuple[str, Path]) -> None:
    """The browser says where a post comes from: another site's form posting to /ui/logout is refused
    (it used to sign the operator out), the console's own button signs out."""
    base_url, _ = served
    forged = page.request.post(f"{base_url}/ui/logout", headers={"Sec-Fetch-Site": "cross-site"}, max_redirects=0)
    assert forged.status == 403
    page.goto("/ui/alarms")
    assert page.url.endswith("/ui/alarms")  # still signed in
    page.click("text=Sign out")
    page.wait_for_url("**/ui/login")
    page.goto("/ui/alarms")  # signed out: the page asks for the token
    assert "/ui/login?next=" in page.url, page.url
