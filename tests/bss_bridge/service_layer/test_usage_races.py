"""Usage imported as its product is activated, on SQLite and PostgreSQL: the record is guided,
whichever commits first (the activation's guiding of what was kept ``received`` finds it, or the
import reads the product active)."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import event, select

from bss_bridge.bootstrap import Bss
from bss_bridge.domain import billing_commands as bc
from bss_bridge.domain import commands
from bss_bridge.domain.requests import ItemRequest, OrderRequest
from bss_bridge.storage.billing_tables import UsageRow

from ..billing_world import account, run, set_clock, utc, volume


def test_usage_imported_while_its_product_is_activated_is_guided(any_bss: Bss) -> None:
    """The activation commits right after the import read the product (not active yet)."""
    bss = any_bss
    acme = account(bss)
    set_clock(bss, utc(2026, 1, 5, 9))
    with bss.uow() as uow:
        customer_id = uow.accounts.get(acme).customer_id  # type: ignore[union-attr]
    item = ItemRequest("1", "add", "bia-100", characteristics=(("site", "customer1"),))
    placed, _ = run(bss, commands.SubmitProductOrder(OrderRequest(customer_id, acme, (item,))))
    run(bss, commands.StartProductOrder(placed.id))
    with bss.uow() as uow:
        sub = uow.orders.get(placed.id).items[0].subscription_id  # type: ignore[union-attr]
    set_clock(bss, utc(2026, 1, 20, 9))
    armed: list[threading.Thread] = []
    errors: list[BaseException] = []

    def activate() -> None:
        try:
            run(bss, commands.CompleteOrderItem(placed.id, "1", utc(2026, 1, 10)))
        except BaseException as exc:  # reported below
            errors.append(exc)

    def activate_now(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not armed and "FROM bss_subscriptions" in statement:  # the import's guiding facts
            armed.append(threading.Thread(target=activate))
            armed[0].start()
            armed[0].join(timeout=0.5)  # done by then, unless it waits for the import

    event.listen(bss.engine, "after_cursor_execute", activate_now)
    try:
        run(bss, bc.ImportUsage((volume("u1", str(sub), utc(2026, 1, 15), 10),)))
    finally:
        event.remove(bss.engine, "after_cursor_execute", activate_now)
    armed[0].join(timeout=30)
    assert not armed[0].is_alive() and not errors
    with bss.uow() as uow:
        assert uow.session.execute(select(UsageRow.status, UsageRow.problem)).all() == [("guided", "")]
