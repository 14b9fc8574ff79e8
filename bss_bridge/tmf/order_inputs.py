"""TMF622 bodies as commands: ProductOrder, CancelProductOrder, and a basket to quote."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from bss_bridge.domain import commands
from bss_bridge.domain.errors import InvalidRequestError
from bss_bridge.domain.requests import ItemRequest, OrderRequest
from bss_bridge.domain.window import utc
from bss_bridge.tmf.inputs import NONBLANK, Number, PartyRefIn, Ref, TmfModel, customer_of

JsonValue = str | bool | int | Number


class CharacteristicIn(TmfModel):
    name: str = Field(min_length=1, pattern=NONBLANK)
    value: JsonValue
    value_type: str | None = None


class ProductIn(TmfModel):
    id: str | None = None
    href: str | None = None
    name: str | None = None
    product_characteristic: list[CharacteristicIn] = Field(default_factory=list)


class ItemIn(TmfModel):
    id: str = Field(min_length=1, max_length=64, pattern=NONBLANK)
    action: str
    quantity: int = 1
    state: str | None = None
    product_offering: Ref | None = None
    product: ProductIn | None = None
    product_order_item: list[ItemIn] = Field(default_factory=list)

    def request(self) -> ItemRequest:
        product = self.product or ProductIn()
        return ItemRequest(
            self.id,
            self.action,
            None if self.product_offering is None else self.product_offering.id,
            product.id,
            tuple((c.name, c.value) for c in product.product_characteristic),
            tuple(i.request() for i in self.product_order_item),
            self.quantity,
        )


class NoteIn(TmfModel):
    text: str
    author: str | None = None
    date: datetime | None = None
    id: str | None = None


class ProductOrderIn(TmfModel):
    external_id: str | None = Field(None, min_length=1, max_length=128, pattern=NONBLANK)
    description: str = ""
    priority: str = ""
    category: str | None = None
    requested_start_date: datetime | None = None
    requested_completion_date: datetime | None = None
    note: list[NoteIn] = Field(default_factory=list)
    related_party: list[PartyRefIn] = Field(min_length=1)
    billing_account: Ref
    product_order_item: list[ItemIn] = Field(min_length=1)

    def customer_id(self) -> str:
        return customer_of(self.related_party)

    def command(self) -> commands.SubmitProductOrder:
        start, end = self.requested_start_date, self.requested_completion_date
        request = OrderRequest(
            self.customer_id(),
            self.billing_account.id,
            tuple(i.request() for i in self.product_order_item),
            self.external_id,
            None if start is None else utc(start, "requestedStartDate"),
            None if end is None else utc(end, "requestedCompletionDate"),
            self.description,
            self.priority,
            tuple(n.text for n in self.note),
        )
        return commands.SubmitProductOrder(request)


class CancelIn(TmfModel):
    product_order: Ref
    cancellation_reason: str = ""
    requested_cancellation_date: datetime | None = None

    def command(self) -> commands.CancelProductOrder:
        when = self.requested_cancellation_date
        return commands.CancelProductOrder(
            self.product_order.id,
            self.cancellation_reason,
            None if when is None else utc(when, "requestedCancellationDate"),
        )


class QuoteIn(TmfModel):
    """A basket: the items of an order, priced for a billing account (its currency and tax), or
    in a currency without tax for a prospect."""

    billing_account: Ref | None = None
    currency: str | None = Field(None, min_length=3, max_length=3)
    product_order_item: list[ItemIn] = Field(min_length=1)

    def items(self) -> tuple[ItemRequest, ...]:
        if (self.billing_account is None) == (self.currency is None):
            raise InvalidRequestError.one("billingAccount", "give a billingAccount, or a currency (not both)")
        return tuple(i.request() for i in self.product_order_item)


class ProductPatch(TmfModel):
    """TMF637 PATCH of a product: its status between active and suspended (anything else goes
    through a product order)."""

    status: Literal["active", "suspended"]
