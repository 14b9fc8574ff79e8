"""What the consoles' browser tests share (the agent's and the BSS's): Debian's Chromium driven by
Playwright, a signed-in page that fails its test on any console error, failed request or page error,
screenshots, and waiting with a deadline.

Chromium is Debian's (``/usr/bin/chromium``); Playwright's own browser download is never used. A
browser lives for one test module: Playwright's sync API keeps an event loop running in this thread,
and other tests call ``asyncio.run``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = "OSS_CONSOLE_SCREENSHOTS"  # a directory: every test keeps screenshots of its pages there


def wait_for(what: str, check: Callable[[], bool], timeout_s: float = 90, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    tail = log.read_text()[-3000:] if log is not None and log.exists() else ""
    raise AssertionError(f"timed out waiting for {what}\n{tail}")


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium under Playwright, closed on leaving."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run './dev setup' (Debian package chromium)", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class PageErrors:
    messages: list[str] = field(default_factory=list)


def shot(page: Any, name: str) -> None:
    folder = os.environ.get(SCREENSHOTS)
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def forgive(page: Any, *fragments: str) -> None:
    """Forgets the errors a test provoked on purpose (an answer it made fail): any message holding one of
    ``fragments`` (the URL, the status) is the test's doing, not the page's."""
    page.errors.messages[:] = [m for m in page.errors.messages if not any(f in m for f in fragments)]


@contextmanager
def signed_in_page(browser: Any, base_url: str, start: str, token: str, name: str, log: Path) -> Iterator[Any]:
    """A page in a fresh context, signed in through the login form at ``start``; any console error,
    page error or HTTP error answer fails the test (with the tail of ``log``)."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, base_url=base_url)
    page = context.new_page()
    errors = PageErrors()
    page.on("console", lambda m: errors.messages.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.messages.append(f"page error: {e}"))
    page.on(
        "response",
        lambda r: errors.messages.append(f"HTTP {r.status} {r.request.method} {r.url}") if r.status >= 400 else None,
    )
    page.set_default_timeout(30_000)
    page.goto(start)
    root = start.rsplit("/", 1)[0]
    assert f"{root}/login" in page.url, page.url
    page.fill("input[name=operator]", "Ann Operator")
    page.fill("input[name=token]", token)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{start}")
    page.errors = errors
    try:
        yield page
    finally:
        shot(page, f"{name}-end")
        context.close()
    assert errors.messages == [], (errors.messages, log.read_text()[-3000:] if log.exists() else "")
