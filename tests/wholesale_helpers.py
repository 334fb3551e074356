"""Builders for wholesale (B2B) tests: buying companies, listings with tiers, MOQ, case packs
and prepacks, and small readers of stock and money; each returns plain ids or values."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.services import ledger
from models import Prepack, Variant
from tests.helpers import make_company_member, make_listing

CARD_OK = "4242 4242 4242 4242"
CARD_NEEDS_BANK = "4000 0025 0000 3155"

# Prices ending in 50 cents make 3 % of many subtotals end in exactly half a cent, so the
# half-up rounding of the fee shows.
TIERS = [
    {"min_qty": 12, "unit_price_cents": 5050},
    {"min_qty": 48, "unit_price_cents": 4550},
    {"min_qty": 120, "unit_price_cents": 4050},
]
RUN_OF_SIX = {"40": 1, "41": 2, "42": 2, "43": 1}


def make_buyer(app, company_name: str | None = None, credit_limit_cents: int = 1_000_000, **kw):
    """A member of a company verified to buy wholesale (not to sell), with a credit limit."""
    return make_company_member(
        app,
        company_name,
        sells=False,
        buys_wholesale=True,
        credit_limit_cents=credit_limit_cents,
        **kw,
    )


def make_wholesale_listing(
    app,
    company_id: int,
    sizes: dict[str, int] | None = None,
    *,
    moq: int = 12,
    order_multiple: int = 1,
    tiers: list[dict] | None = None,
    prepacks: dict[str, dict[str, int]] | None = None,
    **facts,
) -> SimpleNamespace:
    """A business listing open to wholesale; `prepacks` maps a name to its size run."""
    sizes = sizes or {"40": 200, "41": 200, "42": 200, "43": 200}
    prepacks = {"Run of 6": RUN_OF_SIX} if prepacks is None else prepacks
    terms = {
        "enabled": True,
        "moq": moq,
        "order_multiple": order_multiple,
        "tiers": tiers or TIERS,
        "prepacks": [{"name": name, "sizes": run} for name, run in prepacks.items()],
    }
    made = make_listing(app, company_id, sizes, 9900, b2b=terms, **facts)
    with app.app_context():
        packs = db.session.scalars(select(Prepack).where(Prepack.listing_id == made.id)).all()
        made.prepacks = {pack.name: pack.id for pack in packs}
    return made


def mixed_lines(listing, pairs: int) -> list[dict]:
    """`pairs` pairs of the listing as prepacks of six plus single sizes spread over 40-43."""
    packs = max(1, pairs // 12)
    singles = pairs - 6 * packs
    sizes = ["40", "41", "42", "43"]
    lines = [{"prepack_id": listing.prepacks["Run of 6"], "quantity": packs}]
    for index, size in enumerate(sizes):
        quantity = singles // 4 + (1 if index < singles % 4 else 0)
        if quantity:
            lines.append({"variant_id": listing.variants[size], "quantity": quantity})
    return lines


def stock(app, variant_id: int) -> tuple[int, int]:
    """(pairs on hand, pairs reserved) of a size."""
    with app.app_context():
        variant = db.session.get(Variant, variant_id)
        return variant.stock, variant.reserved


def stocks(app, listing) -> dict[str, tuple[int, int]]:
    return {size: stock(app, variant_id) for size, variant_id in listing.variants.items()}


def balance(app, code: str) -> int:
    with app.app_context():
        return ledger.balance(code)


def balanced(app) -> bool:
    with app.app_context():
        return ledger.trial_balance()["balanced"]


def order_body(payment_terms: str = "net30", card: str | None = None, **extra) -> dict:
    body = {"payment_terms": payment_terms, **extra}
    if card:
        body["payment"] = {"card_number": card}
    return body
