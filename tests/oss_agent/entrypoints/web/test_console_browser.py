"""The console in a real browser (Debian's Chromium) against ``oss-agent run`` on the lab.

Every page loads signed in with no console error; the alarm list follows a real link failure without a
reload, and acknowledge and clear work from it; the correlation tree puts a dead device's symptoms under
it; the topology shows the failed link; the charts draw the agent's series. An order is previewed (dry
run per device), submitted and followed device by device from the Orders page until it activates in
the lab, its service appears on the Services page and is terminated from there; a scheduled order is
shown in flight on the Overview and cancelled from the page. Set ``OSS_CONSOLE_SCREENSHOTS=DIR`` to
keep a screenshot of every page.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from adapters.blocking import BlockingRunner
from adapters.defaults import build_registry
from lab import faults
from oss_agent.bootstrap import bootstrap
from oss_agent.config import AgentSettings

from ....browser import shot
from ...provisioning.conftest import Prov, delete_order, ping, raw_configs, restore_lab, same_as

pytestmark = pytest.mark.lab
ORDERING, INVENTORY = "/tmf-api/serviceOrdering/v4", "/tmf-api/serviceInventory/v4"
FINAL = ("completed", "failed", "rejected", "cancelled", "partial")
STEPS = ["planned", "snapshot", "applying", "prepared", "committed"]
# Each device's phases as the Orders page shows them, in the order it showed them (for the test to read)
PHASE_RECORDER = """() => {
    window.seenPhases = {};
    const note = () => document.querySelectorAll('#devices .device').forEach((d) => {
        const seen = window.seenPhases[d.dataset.device] = window.seenPhases[d.dataset.device] || [];
        if (seen[seen.length - 1] !== d.dataset.phase) seen.push(d.dataset.phase);
    });
    new MutationObserver(note).observe(document.getElementById('detail'), {subtree: true, childList: true});
}"""
PAGES = ["/ui/", "/ui/topology", "/ui/alarms", "/ui/performance", "/ui/orders", "/ui/services"]


def row_of(page: Any, managed_object: str, state: str | None = None) -> Any:
    selector = f'#alarms tbody tr[data-object="{managed_object}"]'
    return page.locator(selector + (f'[data-state="{state}"]' if state else ""))


def test_every_page_loads_signed_in_with_its_content_and_no_secret(page: Any, agent: Any) -> None:
    for path in PAGES:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        html = page.content()
        for secret in agent.secrets:
            assert secret not in html, f"a secret reached {path}"
        assert page.locator("nav.sidebar a.active").count() == 1
        shot(page, path.strip("/").replace("/", "-") or "ui")
    page.goto("/ui/")
    assert page.locator("#devices tbody tr").count() == 5
    assert page.locator('[data-panel="Latency between sites"] tbody tr').count() == 2
    page.goto("/ui/topology")
    page.wait_for_function("() => window.consoleGraph && window.consoleGraph.nodes().length === 5")
    assert page.evaluate("window.consoleGraph.edges().length") == 5
    page.locator("#graph").click(position={"x": 5, "y": 5})  # empty canvas: the summary stays
    cookies = page.context.cookies()
    assert [c["name"] for c in cookies] == ["oss_console_session"]
    assert cookies[0]["httpOnly"] and cookies[0]["sameSite"] == "Strict"
    assert agent.token not in cookies[0]["value"]


def test_the_alarm_list_follows_a_link_failure_live_and_ack_and_clear_work_from_it(
    page: Any, agent: Any, lab_call: Any
) -> None:
    options = agent.lab.options
    page.goto("/ui/alarms")
    page.wait_for_selector("#alarms tbody tr")
    loads = page.evaluate("performance.getEntriesByType('navigation').length")
    lab_call(faults.link_down, options, "pe1", "eth2")
    try:
        row = row_of(page, "pe1:eth2").first
        row.wait_for(timeout=60_000)  # appears without a reload
        assert "new" in (row.get_attribute("class") or "")
        shot(page, "alarms-link-down")
        row.locator('button[data-action="ack"]').click()
        page.wait_for_selector('#alarms tbody tr[data-object="pe1:eth2"][data-ack="acknowledged"]')
        acked = agent.get("/tmf-api/alarm/v4/alarm", **{"alarmedObject.id": "pe1:eth2", "state": "raised,updated"})
        assert {a["ackUserId"] for a in acked} == {"Ann Operator"}
        page.goto("/ui/topology")
        page.wait_for_function(
            "() => window.consoleGraph && window.consoleGraph.edges().some(e => e.data('state') === 'down'"
            " && e.data('ends').includes('pe1:eth2'))"
        )
        page.evaluate("window.consoleGraph.edges().filter(e => e.data('ends').includes('pe1:eth2')).emit('tap')")
        page.wait_for_selector("#detail >> text=Active alarms")
        shot(page, "topology-link-down")
        page.goto("/ui/alarms")
        row = row_of(page, "pe1:eth2").first
        row.wait_for()
        row.locator('button[data-action="clear"]').click()
        row_of(page, "pe1:eth2").first.wait_for(state="detached")  # the active view no longer lists it
        cleared = agent.get("/tmf-api/alarm/v4/alarm", **{"alarmedObject.id": "pe1:eth2"})
        assert any(a["state"] == "cleared" and a["ackState"] == "acknowledged" for a in cleared)
        page.click('#view button[data-view="all"]')
        row_of(page, "pe1:eth2", "cleared").first.wait_for()
        assert page.evaluate("performance.getEntriesByType('navigation').length") == loads
    finally:
        lab_call(faults.link_up, options, "pe1", "eth2")
    deadline = time.monotonic() + 60  # the operator's clear and the link's recovery leave nothing active
    while time.monotonic() < deadline and agent.get(
        "/tmf-api/alarm/v4/alarm", **{"alarmedObject.id": "pe1:eth2", "state": "raised,updated"}
    ):
        time.sleep(0.5)
    assert not agent.get("/tmf-api/alarm/v4/alarm", **{"alarmedObject.id": "pe1:eth2", "state": "raised,updated"})


def test_a_dead_device_is_the_root_and_its_neighbours_link_alarm_a_symptom_under_it(
    page: Any, agent: Any, lab_call: Any
) -> None:
    options = agent.lab.options
    page.goto("/ui/alarms")
    page.wait_for_selector("#alarms tbody tr")
    lab_call(faults.kill_device, options, "ce2")
    try:
        root = row_of(page, "ce2", "raised").first
        root.wait_for(timeout=90_000)
        page.wait_for_selector('#alarms tbody tr.symptom[data-object="pe2:eth3"]', timeout=90_000)
        assert "symptom" in root.locator("td").nth(4).inner_text()
        order = page.eval_on_selector_all("#alarms tbody tr", "rows => rows.map(r => r.dataset.object)")
        assert order.index("pe2:eth3") == order.index("ce2") + 1  # directly under its root
        root.click()
        page.wait_for_selector("#detail >> text=symptoms")
        shot(page, "alarms-correlation")
        root.locator(".tree-toggle").click()  # collapse: the symptom is hidden
        page.wait_for_selector('#alarms tbody tr.symptom[data-object="pe2:eth3"]', state="detached")
    finally:
        lab_call(faults.revive_device, options, "ce2")
    lab_call(faults.wait_converged, options)


def test_the_charts_draw_the_interface_rates_and_the_latency_series(page: Any, agent: Any) -> None:
    page.goto("/ui/performance?device=pe1&interface=eth1&range=900&probe=pe1%3Epe2")
    page.wait_for_function(
        "() => window.consoleCharts && window.consoleCharts.rate && window.consoleCharts.latency"
        " && window.consoleCharts.rate.data[0].length >= 3 && window.consoleCharts.latency.data[0].length >= 1"
    )
    assert page.evaluate("window.consoleCharts.rate.data[1].filter(v => v !== null).length") >= 3
    # the series were drawn: pixels of the "in" line's blue (#2563eb) or the "out" line's green (#16a34a, drawn
    # over the blue where both carry the same rate) are on the canvas
    drawn = page.evaluate(
        """() => {
            const canvas = document.querySelector('#chart-rate canvas');
            const ctx = canvas.getContext('2d');
            const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
            const near = (i, r, g, b) => Math.abs(px[i] - r) < 30 && Math.abs(px[i + 1] - g) < 30
                && Math.abs(px[i + 2] - b) < 30 && px[i + 3] > 200;
            let drawn = 0;
            for (let i = 0; i < px.length; i += 4) {
                if (near(i, 37, 99, 235) || near(i, 22, 163, 74)) drawn++;
            }
            return drawn;
        }"""
    )
    assert drawn > 20, f"only {drawn} pixels of the series colours: nothing drawn"
    assert page.locator("#chart-latency canvas").count() == 1
    page.click('#range button[data-range="604800"]')  # a week asks for the 5-minute rollups
    page.wait_for_function(
        "() => location.search.includes('range=604800') && window.consoleCharts.rate !== undefined"
        " && (window.consoleCharts.rate === null || window.consoleCharts.rate.range === 604800)"
    )
    shot(page, "performance")


def _order_state(agent: Any, order_id: str) -> str:
    return str(agent.get(f"{ORDERING}/serviceOrder/{order_id}")["state"])


def _settle(agent: Any, order_id: str, timeout_s: float = 240) -> str:
    deadline = time.monotonic() + timeout_s
    while (state := _order_state(agent, order_id)) not in FINAL and time.monotonic() < deadline:
        time.sleep(1)
    return state


def _preview(page: Any, example: str) -> None:
    page.click("#new-order")
    page.select_option("#example", example)
    page.click("#preview-order")
    page.wait_for_selector("#preview .device", timeout=90_000)


def test_a_scheduled_order_is_previewed_shown_in_flight_and_cancelled_from_the_page(page: Any, agent: Any) -> None:
    page.goto("/ui/orders")
    _preview(page, "internet-access")
    assert page.input_value("#c-site") == "customer2" and page.input_value("#c-bandwidthMbps") == "20"
    assert sorted(page.eval_on_selector_all("#preview .device", "ds => ds.map(d => d.dataset.device)")) == [
        "ce2",
        "pe2",
    ]
    page.fill("#f-externalId", "console-scheduled-1")
    assert page.is_disabled("#submit-order")  # a change after the preview asks for a new one
    page.click("#preview-order")
    page.wait_for_selector("#preview .device")
    page.fill("#f-start", "2099-01-01T10:00")
    page.click("#preview-order")
    page.wait_for_function("() => !document.querySelector('#submit-order').disabled")
    page.click("#submit-order")
    page.wait_for_url("**/ui/orders?order=*")
    order_id = page.url.split("order=")[1]
    assert _order_state(agent, order_id) == "acknowledged"
    page.goto("/ui/")
    panel = page.locator('[data-panel="Orders in flight"] tbody tr')
    assert panel.count() == 1 and order_id[:8] in panel.inner_text() and "internet-access" in panel.inner_text()
    page.goto(f"/ui/orders?order={order_id}")
    page.once("dialog", lambda dialog: dialog.accept("ordered by mistake"))
    page.click("#cancel")
    page.wait_for_selector(f'#orders tr[data-id="{order_id}"][data-state="cancelled"]')
    cancelled = agent.get(f"{ORDERING}/serviceOrder/{order_id}")
    assert cancelled["state"] == "cancelled"
    assert page.locator("#cancel").count() == 0  # nothing left to cancel
    page.wait_for_selector("#detail >> text=No device was planned.")  # and the detail says it is over


def test_an_order_submitted_from_the_page_activates_shows_each_device_and_its_service_appears(
    page: Any, agent: Any, lab_call: Any
) -> None:
    baseline = lab_call(raw_configs, agent.lab)
    service_id = None
    try:
        page.goto("/ui/orders")
        _preview(page, "site-interconnect")
        preview = {d: page.inner_text(f'#preview .device[data-device="{d}"]') for d in ("pe1", "pe2", "ce1", "ce2")}
        added = [line for line in preview["pe1"].splitlines() if line.startswith("+") and not line.startswith("+++")]
        assert any(line.startswith("+ip route 198.18.2.0/24 ") for line in added), preview["pe1"]  # site A's LAN
        assert "error" not in " ".join(preview.values()).lower()
        shot(page, "orders-preview")
        page.evaluate(PHASE_RECORDER)
        page.click("#submit-order")
        page.wait_for_url("**/ui/orders?order=*")
        order_id = page.url.split("order=")[1]
        assert _settle(agent, order_id) == "completed", agent.get(f"{ORDERING}/serviceOrder/{order_id}")
        page.wait_for_selector(f'#orders tr[data-id="{order_id}"][data-state="completed"]')
        page.wait_for_function("() => document.querySelectorAll('#devices .device[data-phase=committed]').length === 4")
        seen = page.evaluate("window.seenPhases")
        for device in ("pe1", "pe2", "ce1", "ce2"):
            phases = [p for p in seen.get(device, []) if p in STEPS]
            assert phases and phases[-1] == "committed", seen
            assert phases == sorted(phases, key=STEPS.index), seen  # shown in the order they happen
        # (whether a 2-s poll catches a device mid-way depends on the machine's speed: how a device mid-way
        # is drawn is checked on the page's own renderer instead)
        midway = page.evaluate(
            "() => [...window.Provisioning.steps('applying').querySelectorAll('.step')].map(s => s.className)"
        )
        assert midway == ["step done", "step done", "step now", "step ", "step "], midway
        assert page.locator("#detail").inner_text().count("NOT OK") == 0
        shot(page, "orders-completed")
        service_id = agent.get(f"{ORDERING}/serviceOrder/{order_id}")["serviceOrderItem"][0]["service"]["id"]
        assert lab_call(ping, agent.lab, "lan1", "198.18.3.10")  # the service carries traffic

        page.goto("/ui/services")
        row = page.locator(f'#services tr[data-id="{service_id}"]')
        row.wait_for()
        assert row.get_attribute("data-state") == "active" and "acme-interconnect" in row.inner_text()
        row.click()
        page.wait_for_selector("#detail #characteristics")
        hrefs = dict(page.eval_on_selector_all("#resources a.res", "as => as.map(a => [a.textContent, a.href])"))
        assert hrefs["pe1"].endswith("/ui/topology#pe1")
        assert hrefs["pe1:eth3"].endswith("/ui/performance?device=pe1&interface=eth3")
        page.click("#check")
        page.wait_for_selector(f'#services tr[data-id="{service_id}"] >> text=in sync')
        shot(page, "services")
        page.once("dialog", lambda dialog: dialog.accept())
        page.click("#terminate")
        page.wait_for_selector(f'#services tr[data-id="{service_id}"]', state="detached", timeout=240_000)
        assert agent.get(f"{INVENTORY}/service/{service_id}")["state"] == "terminated"
        assert not lab_call(ping, agent.lab, "lan1", "198.18.3.10")
        assert lab_call(same_as, baseline, lab_call(raw_configs, agent.lab)) == []  # the lab as it was
        service_id = None
    finally:
        if service_id is not None:  # the test failed half-way: take the service away, put the lab back
            _clean_up(agent, service_id, baseline, lab_call)


def _clean_up(agent: Any, service_id: str, baseline: dict[str, str], lab_call: Any) -> None:
    """Delete the service through the API; if the lab is still not as it was, restore it the provisioning
    tests' way (each device back to its configuration before the test, verified)."""
    try:
        with agent.api() as client:
            gone = client.post(f"{ORDERING}/serviceOrder", json=delete_order(service_id)).json()
        _settle(agent, gone["id"])
    finally:
        if lab_call(same_as, baseline, lab_call(raw_configs, agent.lab)):
            lab_call(_restore, agent, baseline)


def _restore(agent: Any, baseline: dict[str, str]) -> None:
    runner = BlockingRunner(8)
    settings = AgentSettings(data_dir=agent.data_dir / "restore", inventory_file=agent.lab.options.inventory_path)
    helper = bootstrap(settings, registry=build_registry(runner), upgrade_schema=True, runner=runner)
    loop = asyncio.new_event_loop()
    prov = Prov(helper, runner, agent.lab, loop)
    try:
        restore_lab(prov, baseline)
    finally:
        prov.run(prov.ctx.close())
        loop.close()
        runner.shutdown()
        helper.close()
