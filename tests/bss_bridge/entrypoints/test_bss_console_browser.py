"""The BSS console in a real browser (Debian's Chromium, ``tests/browser.py``): the BSS's API and
console served by uvicorn over a BSS with two customers, a termination, usage and a bill run. Every
page loads signed in with no console error, failed request or page error, links lead from the
customers to a customer's products, usage and invoices, and to the invoice's document; no page holds
the token. Set ``OSS_CONSOLE_SCREENSHOTS=DIR`` to keep a screenshot of every page."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from bss_bridge.bootstrap import Bss
from bss_bridge.entrypoints.api import create_app

from ...browser import chromium, forgive, shot, signed_in_page, wait_for
from ...ports import free_port
from ..billing_world import set_clock, utc, world
from ..conftest import Clock, KnownInventory, make_bss

TOKEN = "bss-browser-token-1a2b3c4d"


class Served:
    def __init__(self, bss: Bss, log: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log = log
        config = uvicorn.Config(create_app(bss), host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="bss-console", daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        wait_for("the BSS's API to listen", lambda: self.server.started, timeout_s=60)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, dict[str, str]]]:
    folder = tmp_path_factory.mktemp("bss-console")
    clock = Clock(utc(2026, 4, 1))
    bss = make_bss(
        f"sqlite:///{folder / 'bss.db'}",
        folder,
        KnownInventory({"customer1", "customer2"}, {"pe1", "pe2"}),
        clock,
        api_token=TOKEN,
    )
    try:
        made = world(bss)
        set_clock(bss, utc(2026, 4, 2, 8))
        with Served(bss, folder / "server.log") as server:
            yield server, made
    finally:
        bss.close()


@pytest.fixture(scope="module")
def browser(served: Any) -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Any, served: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    server, _ = served
    with signed_in_page(browser, server.base_url, "/ui/", TOKEN, request.node.name, server.log) as signed_in:
        yield signed_in


def test_from_the_customers_to_a_customers_products_usage_invoices_and_an_invoice_document(
    page: Any, served: Any
) -> None:
    _, made = served
    assert page.locator("#customers tbody tr").count() == 2
    assert page.inner_text('[data-kpi="churn"] .value') == "0.00 %"  # April: ACME's product still runs
    shot(page, "bss-customers")
    page.click("#customers >> text=ACME")
    page.wait_for_url("**/ui/customers/*")
    assert page.get_attribute(f'#subscriptions tr[data-id="{made["first"]}"]', "data-status") == "active"
    assert "1255.000 GB" in page.inner_text("#usage")
    shot(page, "bss-customer")
    page.locator("#invoices tbody a").first.click()
    page.wait_for_url("**/ui/invoices/*")
    number = page.inner_text(".page-head h1").removeprefix("Invoice ").strip()
    frame = page.frame_locator("#document")
    frame.locator(f"text={number}").first.wait_for()
    assert page.get_attribute("#pdf", "href").endswith("/pdf")
    shot(page, "bss-invoice")
    page.click("nav >> text=KPIs")
    page.wait_for_url("**/ui/kpis")
    assert page.inner_text('#churn tr[data-month="2026-03"]').split("\t")[3] == "50.00 %"
    shot(page, "bss-kpis")
    for path in ("/ui/", page.url):
        page.goto(path)
        assert TOKEN not in page.content()


def test_the_pages_helper_reads_a_plain_text_refusal_as_text(page: Any) -> None:
    """The console's shared script (``Console.api``) used to parse every answer as JSON: the console's
    own plain-text 404 read as a JSON parse error. It now reads as its status and text, and a JSON
    refusal through the gateway keeps its message."""
    assert page.evaluate("window.Console.api('/data/nowhere').catch((e) => e.message)") == "404 Not Found: not found"
    refused = page.evaluate("window.Console.api('/api/tmf-api/nowhere').catch((e) => e.message)")
    assert refused == "/tmf-api/nowhere is not served through the console", refused
    forgive(page, "status of 404", "HTTP 404 GET")


STYLE = """() => {
    const th = getComputedStyle(document.querySelector('table.lines th'));
    return [th.borderBottomStyle, th.fontWeight, getComputedStyle(document.body).fontSize];
}"""
INLINE_SCRIPT = """() => {
    const script = document.createElement('script');
    script.textContent = 'window.__ran = 1';
    document.body.append(script);
    return window.__ran === undefined;
}"""


def test_the_apis_invoice_html_renders_styled_and_runs_no_script(browser: Any, served: Any) -> None:
    """The invoice's HTML as a client of the API opens it with the token: the template's styles apply
    under the document's policy with no violation, and the browser refuses any script in it."""
    server, _ = served
    context = browser.new_context(base_url=server.base_url, extra_http_headers={"Authorization": f"Bearer {TOKEN}"})
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        bill = page.request.get("/tmf-api/customerBillManagement/v4/customerBill?limit=1").json()[0]
        answer = page.goto(f"/bss/v1/invoice/{bill['id']}/html")
        assert answer is not None and answer.status == 200
        assert answer.headers["content-security-policy"].startswith("default-src 'none';")
        page.locator(f"h1 >> text=Invoice {bill['billNo']}").wait_for()
        assert page.evaluate(STYLE) == ["solid", "700", "12px"]  # 1.2pt solid, bold, 9pt
        assert errors == []  # no style, font or image of the document was refused
        shot(page, "bss-invoice-api")
        assert page.evaluate(INLINE_SCRIPT), "an inline script ran in the invoice"
        assert len(errors) == 1 and "Content Security Policy" in errors[0], errors
    finally:
        context.close()


def test_a_wrong_token_is_refused_on_the_sign_in_form(browser: Any, served: Any) -> None:
    server, _ = served
    context = browser.new_context(base_url=server.base_url)
    try:
        page = context.new_page()
        page.goto("/ui/")
        page.fill("input[name=operator]", "Carl Care")
        page.fill("input[name=token]", "not-the-token")
        page.click("button[type=submit]")
        assert "That token is not the BSS's API token." in page.inner_text("[role=alert]")
        assert "/ui/login" in page.url and TOKEN not in page.content()
    finally:
        context.close()
