"""The console in a real browser (Debian's Chromium) against ``oss-agent run`` on the lab.

Every page loads signed in with no console error; the alarm list follows a real link failure without a
reload, and acknowledge and clear work from it; the correlation tree puts a dead device's symptoms under
it; the topology shows the failed link; the charts draw the agent's series. Set
``OSS_CONSOLE_SCREENSHOTS=DIR`` to keep a screenshot of every page.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from lab import faults

pytestmark = pytest.mark.lab
PAGES = ["/ui/", "/ui/topology", "/ui/alarms", "/ui/performance"]


def shot(page: Any, name: str) -> None:
    folder = os.environ.get("OSS_CONSOLE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


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
