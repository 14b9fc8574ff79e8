"""The BSS's ``/docs`` and ``/redoc`` work offline, as the agent's do: the pages name no outside URL,
their assets come from the package (``webui/apidocs.py``), and each carries a Content-Security-Policy
of its own origin. In Debian's Chromium (``tests/browser.py``) Swagger UI lists the operations with
no request leaving the origin and no policy violation."""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from bss_bridge.entrypoints.api import create_app
from webui.apidocs import STATIC

from ...browser import chromium, wait_for
from ...ports import free_port
from ..conftest import T0, Clock, KnownInventory, make_bss

PAGES = ("/docs", "/redoc")
OPERATION = "List or find Customer objects"
# Every violation the page meets is kept where the test can read it, from before the page's first script
VIOLATIONS = """window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.cspViolations.push(
  `${e.violatedDirective} ${e.blockedURI}`));"""


@pytest.mark.parametrize("page", PAGES)
def test_the_pages_name_only_their_own_assets_and_carry_a_policy_of_their_origin(client: TestClient, page: str) -> None:
    answer = client.get(page)
    html, policy = answer.text, answer.headers["content-security-policy"]
    assert not re.findall(r"(?:https?:)?//[\w.-]+", html), html
    assets = re.findall(r'(?:src|href)=["\']([^"\']+)["\']', html)
    assert any(a.endswith(".js") for a in assets)
    for asset in assets:
        assert asset.startswith("/docs-assets/"), asset
        served = client.get(asset)
        assert served.status_code == 200
        assert served.content == (STATIC / asset.removeprefix("/docs-assets/")).read_bytes()
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy and "unsafe-eval" not in policy
    inline = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    hashes = {f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in inline}
    assert set(re.findall(r"'sha256-[^']+'", policy)) == hashes  # Swagger UI's init script, and only it
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("bss-docs")
    bss = make_bss(f"sqlite:///{folder / 'bss.db'}", folder, KnownInventory(set(), set()), Clock(T0))
    port = free_port()
    config = uvicorn.Config(create_app(bss), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="bss-docs", daemon=True)
    thread.start()
    try:
        wait_for("the BSS's API to listen", lambda: server.started, timeout_s=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        bss.close()


@pytest.fixture(scope="module")
def browser(served: str) -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def _open(browser: Any, url: str, rendered: str) -> tuple[list[str], list[str], list[str], list[str]]:
    """Open ``url`` until ``rendered`` shows the operations; the URLs it requested, those that answered,
    its console and page errors, and the policy violations it met."""
    context = browser.new_context()
    tab = context.new_page()
    requested: list[str] = []
    answered: list[str] = []
    errors: list[str] = []
    tab.on("request", lambda r: requested.append(r.url))
    tab.on("response", lambda r: answered.append(r.url))
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.add_init_script(VIOLATIONS)
    try:
        tab.goto(url)
        tab.wait_for_selector(rendered, timeout=30_000)
        assert OPERATION in tab.inner_text("body")
        tab.wait_for_load_state("networkidle")
        violations: list[str] = tab.evaluate("window.cspViolations")
        return requested, answered, errors, violations
    finally:
        context.close()


def _outside(urls: list[str], origin: str) -> list[str]:
    return [u for u in urls if not u.startswith((f"{origin}/", "data:", "blob:"))]


def test_chromium_lists_swagger_ui_s_operations_from_this_origin_alone_within_the_policy(
    browser: Any, served: str
) -> None:
    requested, _, errors, violations = _open(browser, f"{served}/docs", ".opblock-summary")
    assert _outside(requested, served) == [] and errors == [] and violations == [], (requested, errors, violations)


def test_chromium_renders_redoc_and_the_policy_stops_its_one_call_out(browser: Any, served: str) -> None:
    """ReDoc's bundle hard-codes its sidebar logo from cdn.redoc.ly (the ``<img>`` hides itself when it
    fails to load): the policy blocks that request, so nothing leaves and the page is whole."""
    requested, answered, errors, violations = _open(browser, f"{served}/redoc", "[data-section-id]")
    logo = "https://cdn.redoc.ly/redoc/logo-mini.svg"
    assert _outside(answered, served) == [] and _outside(requested, served) in ([], [logo]), requested
    assert violations == [f"img-src {logo}"] and [e for e in errors if logo not in e] == [], (violations, errors)
