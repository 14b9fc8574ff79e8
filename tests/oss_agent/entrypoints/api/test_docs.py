"""``/docs`` and ``/redoc`` work offline: the pages name no outside URL, their assets come from the
package, and Debian's Chromium, with every host but this one unresolvable, renders both."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient

from oss_agent.bootstrap import Agent, bootstrap
from oss_agent.config import AgentSettings
from oss_agent.entrypoints.api import create_app
from webui.apidocs import STATIC

from ....ports import free_port

PAGES = ("/docs", "/redoc")
OPERATION = "List or find Alarm objects"  # a summary both pages show once they have rendered the document


@pytest.fixture
def agent(tmp_path: Path) -> Iterator[Agent]:
    agent = bootstrap(AgentSettings(data_dir=tmp_path, inventory_file=tmp_path / "i.yaml"), upgrade_schema=True)
    yield agent
    agent.close()


@pytest.mark.parametrize("page", PAGES)
def test_pages_name_no_outside_url_and_their_assets_come_from_the_package(agent: Agent, page: str) -> None:
    with TestClient(create_app(agent)) as client:
        html = client.get(page).text
        assert not re.findall(r"(?:https?:)?//[\w.-]+", html), html
        policy = client.get(page).headers["content-security-policy"]  # the agent's pages, like the BSS's
        assert "default-src 'self'" in policy and "connect-src 'self'" in policy
        assets = re.findall(r'(?:src|href)=["\']([^"\']+)["\']', html)
        assert any(a.endswith(".js") for a in assets)
        for asset in assets:
            served = client.get(asset)
            assert served.status_code == 200, asset
            assert served.content == (STATIC / asset.split("/docs-assets/", 1)[1]).read_bytes()


@pytest.fixture
def served(agent: Agent) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(agent), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the API server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)


@pytest.mark.parametrize("page", PAGES)
def test_chromium_renders_the_page_without_any_outside_host(served: str, page: str, tmp_path: Path) -> None:
    chromium = shutil.which("chromium")
    assert chromium is not None, "Debian's chromium is installed by ./dev setup"
    done = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",  # no CDN could be reached
            "--virtual-time-budget=20000",
            "--dump-dom",
            f"{served}{page}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert OPERATION in done.stdout, done.stderr[-2000:]
