"""Money: ``Decimal`` amounts in a currency, and the BSS's one rounding rule.

**The rounding rule.** Amounts are computed unrounded (quantity x unit price, proration factors,
tier sums, discounts) and rounded exactly once, by :func:`round_money`, to the currency's ISO 4217
minor unit with ``ROUND_HALF_UP`` (commercial rounding: 0.067 x 55 = 3.685 -> 3.69). It is applied
to each charge line's amount and to each line's tax, never to intermediate values and never to a
sum of already rounded lines, so an invoice's total is always the sum of its lines and the same
price reaches the same total through the quote, the preview and the invoice.

Floats never enter: :func:`to_decimal` refuses them.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from bss_bridge.domain.errors import InvalidMoneyError

# ISO 4217 currencies whose minor unit is not 2 (every other code has 2 decimals).
_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(
        ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV",
         "XAF", "XOF", "XPF"),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}

ROUNDING = ROUND_HALF_UP
# Amounts, quantities and prices stay within 1e-18 .. 1e18: beyond that a value is a mistake or an attack.
MAX_EXPONENT = 18


@lru_cache(maxsize=512)  # billing checks the same one or two codes on every line
def check_currency(currency: str) -> str:
    """The code itself when it has the shape of an ISO 4217 code (three capital letters)."""
    if len(currency) != 3 or not currency.isascii() or not currency.isalpha() or not currency.isupper():
        raise InvalidMoneyError(f"currency {currency!r} is not an ISO 4217 code (three capital letters)")
    return currency


def minor_units(currency: str) -> int:
    """Decimals of the currency's minor unit (EUR 2, JPY 0, KWD 3)."""
    return _EXPONENTS.get(check_currency(currency), 2)


@lru_cache(maxsize=512)
def quantum(currency: str) -> Decimal:
    """The smallest amount of the currency (Decimal('0.01') for EUR)."""
    return Decimal(1).scaleb(-minor_units(currency))


def to_decimal(value: Decimal | int | str) -> Decimal:
    """A finite Decimal from a Decimal, an int or a decimal string; floats are refused."""
    if isinstance(value, (bool, float)):
        raise InvalidMoneyError(f"{value!r}: money is never a float; pass a Decimal or a decimal string")
    try:
        result = value if isinstance(value, Decimal) else Decimal(value)
    except (InvalidOperation, ValueError) as exc:
        raise InvalidMoneyError(f"{value!r} is not a decimal number") from exc
    if not result.is_finite():
        raise InvalidMoneyError(f"{value!r} is not a finite amount")
    if result and not -MAX_EXPONENT <= result.adjusted() < MAX_EXPONENT:
        raise InvalidMoneyError(f"{value!r} is out of range (magnitudes from 1e-{MAX_EXPONENT} to 1e{MAX_EXPONENT})")
    return result


def round_money(amount: Decimal, currency: str) -> Decimal:
    """The one rounding of the BSS: to the currency's minor unit, half up."""
    return to_decimal(amount).quantize(quantum(currency), rounding=ROUNDING)


def format_money(amount: Decimal, currency: str) -> str:
    """``'3.69 EUR'``: the amount with exactly the currency's decimals."""
    return f"{round_money(amount, currency):f} {currency}"
