"""Integer-cent arithmetic and display; percentages are Decimals rounded half-up to the cent."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import format_currency

CENT = Decimal("0.01")


def percent_of(amount_cents: int, percent: Decimal) -> int:
    """`percent` % of `amount_cents`, rounded half-up to a whole cent."""
    share = Decimal(amount_cents) * Decimal(percent) / Decimal(100)
    return int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@lru_cache(maxsize=8192)  # Babel's formatting costs more than the page around it; prices repeat
def format_money(cents: int | None, currency: str = "USD", locale: str = "en_US") -> str:
    """`cents` as the locale shows money, e.g. 12999 -> '$129.99'."""
    if cents is None:
        return ""
    return format_currency(Decimal(cents) / 100, currency, locale=locale)


def parse_money(text: str | Decimal | int | float) -> int:
    """'129.99' (or '$1,129.99') -> 12999; refuses negatives, more than two decimals and
    non-numbers."""
    try:
        value = Decimal(str(text).strip().removeprefix("$").strip().replace(",", ""))
    except InvalidOperation as exc:
        raise ValueError("Enter an amount like 129.99.") from exc
    if not value.is_finite() or value < 0:
        raise ValueError("Enter an amount of zero or more.")
    if value != value.quantize(CENT):
        raise ValueError("Use at most two decimals.")
    return int((value * 100).to_integral_value())
