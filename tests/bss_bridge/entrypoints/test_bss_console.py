"""The BSS console over HTTP (no browser): sign-in with the BSS's token, every page rendered from the
stored data, 404s for what does not exist, the invoice document only with a session, no secret on a page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bss_bridge.bootstrap import Bss
from bss_bridge.entrypoints.api import create_app
from bss_bridge.entrypoints.web import COOKIE

from ..billing_world import set_clock, utc, world
from ..conftest import Clock, KnownInventory, make_bss

TOKEN = "bss-console-token-5d4c3b"


@pytest.fixture
def guarded(tmp_path: Path, inventory: KnownInventory, clock: Clock) -> Iterator[Bss]:
    bss = make_bss(f"sqlite:///{tmp_path / 'bss.db'}", tmp_path, inventory, clock, api_token=TOKEN)
    yield bss
    bss.close()


@pytest.fixture
def console(guarded: Bss) -> Iterator[TestClient]:
    with TestClient(create_app(guarded)) as client:
        yield client


def sign_in(client: TestClient, token: str = TOKEN) -> int:
    answer = client.post(
        "/ui/login", data={"operator": "Carl Care", "token": token, "next": "/ui/"}, follow_redirects=False
    )
    return answer.status_code


def test_pages_need_the_bss_token_and_show_customers_products_usage_and_invoices(
    guarded: Bss, console: TestClient
) -> None:
    w = world(guarded)
    set_clock(guarded, utc(2026, 4, 2, 8))
    assert console.get("/", follow_redirects=False).headers["location"] == "/ui/"
    assert console.get("/ui/", follow_redirects=False).headers["location"].startswith("/ui/login?next=")
    assert console.get("/tmf-api/customerManagement/v4/customer").status_code == 401  # the API still wants the token
    assert sign_in(console, "wrong") == 401
    assert sign_in(console) == 303 and COOKIE in console.cookies

    home = console.get("/ui/").text
    assert "ACME" in home and "Globex" in home and 'data-kpi="churn"' in home
    assert "Churn 2026-04" in home  # the current month (the clock's)
    acme_id = re.search(r'href="/ui/customers/([^"]+)">ACME<', home)
    assert acme_id is not None
    assert "Globex" not in console.get("/ui/", params={"q": "acm"}).text.split("<tbody>")[1]
    page = console.get(f"/ui/customers/{acme_id.group(1)}").text
    assert f'data-id="{w["first"]}" data-status="active"' in page and w["second"] not in page  # Globex's
    usage = page.split('id="usage"')[1].split("</table>")[0]
    assert "1255.000 GB" in usage and "2026-03-01" in usage  # 700 GB in and 555 GB out, in March
    invoices = re.findall(r'href="/ui/invoices/([^"]+)">(INV-[\d-]+)<', page)
    assert invoices
    invoice_page = console.get(f"/ui/invoices/{invoices[0][0]}")
    assert invoice_page.status_code == 200 and invoices[0][1] in invoice_page.text
    document = console.get(f"/ui/data/invoices/{invoices[0][0]}/document")
    assert document.status_code == 200 and invoices[0][1] in document.text
    assert "frame-ancestors 'self'" in document.headers["content-security-policy"]
    assert document.headers["content-security-policy"].startswith("default-src 'none'; style-src 'unsafe-inline';")
    pdf = console.get(f"/ui/api/bss/v1/invoice/{invoices[0][0]}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    kpis = console.get("/ui/kpis").text
    assert 'id="churn"' in kpis and "2026-03" in kpis and "50.00 %" in kpis
    for path in ("/ui/", f"/ui/customers/{acme_id.group(1)}", f"/ui/invoices/{invoices[0][0]}", "/ui/kpis"):
        assert TOKEN not in console.get(path).text
    assert console.get("/ui/customers/nobody").status_code == 404
    assert console.get("/ui/invoices/nothing").status_code == 404
    assert console.get("/ui/data/invoices/nothing/document").status_code == 404
    console.cookies.clear()
    assert console.get(f"/ui/data/invoices/{invoices[0][0]}/document").status_code == 401


def test_what_the_gateway_hands_back_carries_the_consoles_policy(guarded: Bss, console: TestClient) -> None:
    """The invoice's HTML through the gateway is a page on the console's origin with the customer's
    data in it: it keeps the API's document policy (no script at all, no framing), stricter than the
    console's pages; the gateway's refusals and the static files get the console's own policy (no
    inline script), and all of them nosniff."""
    world(guarded)
    assert sign_in(console) == 303
    number = re.search(r'href="/ui/invoices/([^"]+)"', console.get(f"/ui/customers/{acme(console)}").text)
    assert number is not None
    html = console.get(f"/ui/api/bss/v1/invoice/{number.group(1)}/html")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert html.headers["content-security-policy"].startswith("default-src 'none'; style-src 'unsafe-inline';")
    for answer in (html, console.get("/ui/api/metrics"), console.get("/ui/static/kit/console.js")):
        policy = answer.headers.get("content-security-policy", "")
        assert "frame-ancestors 'none'" in policy, answer.url
        assert answer.headers.get("x-content-type-options") == "nosniff", answer.url
    for answer in (console.get("/ui/api/metrics"), console.get("/ui/static/kit/console.js")):
        assert "script-src 'self';" in answer.headers["content-security-policy"], answer.url
    assert html.headers["cache-control"] == "no-store"


def test_the_session_cookie_is_secure_always_when_the_settings_say_so(
    tmp_path: Path, inventory: KnownInventory, clock: Clock
) -> None:
    """Behind a TLS proxy uvicorn does not trust for X-Forwarded-Proto, a sign-in is a plain HTTP
    request: its cookie had no Secure. console_secure_cookie marks it Secure anyway."""
    for forced in (False, True):
        bss = make_bss(
            f"sqlite:///{tmp_path / f'{forced}.db'}",
            tmp_path,
            inventory,
            clock,
            api_token=TOKEN,
            console_secure_cookie=forced,
        )
        try:
            with TestClient(create_app(bss), base_url="http://testserver") as client:
                answer = client.post(
                    "/ui/login", data={"operator": "Carl Care", "token": TOKEN}, follow_redirects=False
                )
                assert answer.status_code == 303
                flags = {p.strip().split("=")[0].lower() for p in answer.headers["set-cookie"].split(";")[1:]}
                assert ("secure" in flags) is forced, answer.headers["set-cookie"]
        finally:
            bss.close()


def acme(client: TestClient) -> str:
    found = re.search(r'href="/ui/customers/([^"]+)">ACME<', client.get("/ui/").text)
    assert found is not None
    return found.group(1)
