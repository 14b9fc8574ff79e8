"""Billing's domain events (facts in the past tense, immutable), published on the TMF678 and
TMF676 hubs by the unit of work in the transaction that made them."""

from __future__ import annotations

from dataclasses import dataclass

from bss_bridge.domain.events import Event


@dataclass(frozen=True, slots=True)
class CustomerBillCreated(Event):
    bill_id: str


@dataclass(frozen=True, slots=True)
class CustomerBillStateChanged(Event):
    bill_id: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class PaymentRecorded(Event):
    payment_key: str
