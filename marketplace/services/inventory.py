"""Stock: reserve at checkout, commit at payment, release on expiry or cancel, restock on refund.

Every change is one conditional UPDATE whose row count is checked, so a pair can never be
sold twice and stock never goes negative, whatever the database: SQLAlchemy's
with_for_update() does nothing on SQLite, so correctness does not rest on it. Variants of
one order are updated in ascending id order, so two orders cannot deadlock on PostgreSQL.
Each function works inside the caller's transaction; nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, select, update

from marketplace import sizes
from marketplace.exceptions import OutOfStock
from marketplace.extensions import db, execute
from models import Listing, Variant

Lines = Iterable[tuple[int, int]]

# Each stock move, built once: (variant_id, pairs) fill them in.
_VARIANT, _PAIRS = bindparam("variant_id"), bindparam("pairs")
HOLD = (
    update(Variant)
    .where(Variant.id == _VARIANT, Variant.stock - Variant.reserved >= _PAIRS)
    .values(reserved=Variant.reserved + _PAIRS)
)
SELL_HELD = (
    update(Variant)
    .where(Variant.id == _VARIANT, Variant.reserved >= _PAIRS)
    .values(stock=Variant.stock - _PAIRS, reserved=Variant.reserved - _PAIRS)
)
RELEASE = (
    update(Variant)
    .where(Variant.id == _VARIANT, Variant.reserved >= _PAIRS)
    .values(reserved=Variant.reserved - _PAIRS)
)
RESTOCK = update(Variant).where(Variant.id == _VARIANT).values(stock=Variant.stock + _PAIRS)


def _moved(statement, variant_id: int, quantity: int) -> bool:
    """Whether the stock move applied (its condition held for the variant)."""
    return execute(statement, {"variant_id": variant_id, "pairs": quantity}).rowcount == 1


def _merged(lines: Lines) -> list[tuple[int, int]]:
    """(variant_id, quantity) pairs summed per variant, in ascending variant order."""
    totals: dict[int, int] = {}
    for variant_id, quantity in lines:
        if quantity <= 0:
            raise ValueError("stock moves need positive quantities")
        totals[variant_id] = totals.get(variant_id, 0) + quantity
    return sorted(totals.items())


def reserve(lines: Lines) -> None:
    """Hold stock for every line, or none of it.

    :raise OutOfStock: naming each size that has fewer pairs than asked (with what is
        left); the caller rolls back, so earlier holds of this call vanish too.
    """
    short = []
    for variant_id, quantity in _merged(lines):
        if not _moved(HOLD, variant_id, quantity):
            short.append((variant_id, quantity))
    if short:
        raise shortage(short)


def shortage(short: list[tuple[int, int]]) -> OutOfStock:
    """An OutOfStock error naming the sizes that ran out and what is left of each."""
    rows = db.session.execute(
        select(Variant, Listing.title, Listing.gender)
        .join(Listing, Listing.id == Variant.listing_id)
        .where(Variant.id.in_([variant_id for variant_id, _ in short]))
    ).all()
    found = {variant.id: (variant, title, gender) for variant, title, gender in rows}
    details, names = [], []
    for variant_id, quantity in short:
        if variant_id not in found:
            details.append({"variant_id": variant_id, "requested": quantity, "available": 0})
            continue
        variant, title, gender = found[variant_id]
        available = max(0, variant.stock - variant.reserved)
        details.append(
            {
                "variant_id": variant_id,
                "sku": variant.sku,
                "size_eu": variant.size_eu,
                "requested": quantity,
                "available": available,
            }
        )
        left = "sold out" if available == 0 else f"only {available} left"
        names.append(f"{title}, {sizes.label(variant.size_eu, gender)} ({left})")
    return OutOfStock("Not enough stock: " + "; ".join(names) + ".", variants=details)


def _apply(lines: Lines, statement, what: str) -> None:
    for variant_id, quantity in _merged(lines):
        if not _moved(statement, variant_id, quantity):
            raise RuntimeError(f"inventory out of step: cannot {what} {quantity} of {variant_id}")


def commit(lines: Lines) -> None:
    """Turn held pairs into sold pairs (stock and reservation both go down)."""
    _apply(lines, SELL_HELD, "commit")


def release(lines: Lines) -> None:
    """Give held pairs back to sale (an unpaid order expired or was cancelled)."""
    _apply(lines, RELEASE, "release")


def restock(lines: Lines) -> None:
    """Put sold pairs back on sale (a paid order cancelled, or a return refunded)."""
    _apply(lines, RESTOCK, "restock")
