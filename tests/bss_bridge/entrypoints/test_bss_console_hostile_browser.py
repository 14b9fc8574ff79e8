"""The BSS console in a real browser over data made to look like markup: a customer's name, contact
and account, an offering's name, a site, a tax exemption and a usage id holding HTML, a
``</script>``, a template expression and a ``javascript:`` URL. Every page and the invoice document
framed in one show them as text: no element is made from them, nothing runs, no link leads to a script."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from bss_bridge.domain import billing_commands as bc
from bss_bridge.domain import commands
from bss_bridge.domain.party import AccountTerms, BillCycle, ContactMedium, MediumType, TaxExemption
from bss_bridge.domain.pricing import RecurringCharge
from bss_bridge.domain.requests import ItemRequest, OrderRequest
from bss_bridge.domain.window import Window

from ...browser import chromium, signed_in_page
from ..billing_world import D, bill, run, set_clock, utc, volume
from ..conftest import Clock, KnownInventory, make_bss
from .test_bss_console_browser import Served

TOKEN = "bss-hostile-token-77aa"
MARKUP = '<b class="xss-marker">b</b><img class="xss-marker" src="x" onerror="window.__xss=1">'
BREAKOUT = "</script><script>window.__xss=2</script>"
NAME = f"Evil {MARKUP}{BREAKOUT} {{{{7*7}}}}"
SITE = f"site {MARKUP}"
URL = "javascript:window.__xss=3"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("bss-hostile")
    inventory = KnownInventory({SITE}, {"pe1"})
    bss = make_bss(f"sqlite:///{folder / 'bss.db'}", folder, inventory, Clock(utc(2026, 2, 1)), api_token=TOKEN)
    try:
        contact = ContactMedium(MediumType.POSTAL_ADDRESS, street1=MARKUP, city=URL, country="FR")
        customer = run(bss, commands.CreateCustomer(NAME, (contact,)))
        exemption = TaxExemption(f"J {MARKUP}", Window(utc(2026, 1, 1)), certificate=URL, reason=f"R {BREAKOUT}")
        terms = AccountTerms(BillCycle(1), "Europe/Paris", D("20"), exemption, payment_terms_days=30)
        account = run(bss, commands.OpenBillingAccount(customer.id, f"acct {MARKUP}", "EUR", terms)).id
        prices = (commands.PriceDefinition("monthly", "EUR", RecurringCharge(D("10.00"))),)
        run(bss, commands.DefineOffering("evil", f"Offer {MARKUP}{BREAKOUT}", "business-internet",
                                         valid_for=Window(utc(2026, 1, 1)), fixed={"bandwidthMbps": 100},
                                         prices=prices))  # fmt: skip
        at = utc(2026, 2, 10, 10)
        set_clock(bss, at - timedelta(hours=1))
        item = ItemRequest("1", "add", "evil", characteristics=(("site", SITE),))
        placed, _ = run(bss, commands.SubmitProductOrder(OrderRequest(customer.id, account, (item,))))
        run(bss, commands.StartProductOrder(placed.id))
        product = str(run(bss, commands.CompleteOrderItem(placed.id, "1", at)).items[0].subscription_id)
        run(bss, bc.ImportUsage((volume(f"u {MARKUP}", product, utc(2026, 2, 13, 10), 7, 5),)))
        bill(bss, utc(2026, 3, 1, 8))
        set_clock(bss, utc(2026, 3, 2, 8))
        with Served(bss, folder / "server.log") as server:
            yield server
    finally:
        bss.close()


def as_text(page: Any, *shown: str) -> None:
    """Nothing on the page (or in its frames) was made from the data or ran, and ``shown`` is there."""
    for frame in page.frames:
        assert frame.evaluate("document.querySelectorAll('.xss-marker').length") == 0, frame.url
        assert frame.evaluate("window.__xss") is None, frame.url
        hrefs = frame.evaluate("[...document.querySelectorAll('[href],[src]')].map(e => e.href || e.src)")
        assert not [h for h in hrefs if not h.startswith(("http://127.0.0.1", "data:"))], hrefs
    text = "\n".join(frame.evaluate("document.body.innerText") for frame in page.frames)
    for value in shown:
        assert value in text, (value, text[:2000])


def test_markup_in_customers_products_and_invoices_is_shown_as_text(served: Served) -> None:
    with (
        chromium() as browser,
        signed_in_page(browser, served.base_url, "/ui/", TOKEN, "bss-hostile", served.log) as page,
    ):
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        as_text(page, NAME)
        page.goto("/ui/?q=%3Ci%20class%3D%22xss-marker%22%3E")
        as_text(page, 'no customer matches “<i class="xss-marker">”')
        page.goto("/ui/")
        page.click("#customers tbody a")
        page.wait_for_url("**/ui/customers/*")
        as_text(page, NAME, f"acct {MARKUP}", f"Offer {MARKUP}{BREAKOUT}", f"site={SITE}", URL)
        page.click("#invoices tbody a >> nth=-1")
        page.wait_for_url("**/ui/invoices/*")
        page.frame_locator("#document").locator("text=Billing account").wait_for()
        as_text(page, f"← {NAME}", f"acct {MARKUP}", f"exempt (J {MARKUP}): R {BREAKOUT}")
        page.goto("/ui/kpis")
        as_text(page)
        assert dialogs == []
