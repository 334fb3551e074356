"""Prices and fees: one small policy per trade mode behind the same two questions.

`unit_price` answers what a buyer pays per pair now; `fee` what the platform charges the
seller on an order. Fees are config percentages, rounded half-up to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask import current_app

from marketplace.money import percent_of
from models import Variant

SHIPPING_METHODS = {"standard": "Standard (3–5 days, free)", "express": "Express (1–2 days)"}


@dataclass(frozen=True)
class LinePrice:
    """What one pair costs the buyer, and (B2M) what the seller gets for it."""

    unit_price_cents: int
    base_price_cents: int | None = None


class RetailPolicy:
    """B2C: the variant's retail price; fee on the item subtotal."""

    mode = "b2c"
    fee_setting = "FEE_B2C_PERCENT"

    def unit_price(self, variant: Variant) -> LinePrice:
        return LinePrice(variant.price_cents)

    def fee(self, subtotal_cents: int, base_subtotal_cents: int | None = None) -> int:
        return percent_of(subtotal_cents, Decimal(current_app.config[self.fee_setting]))


class WholesalePolicy(RetailPolicy):
    """B2B: unit prices come from the tier table (services.wholesale); fee on the subtotal."""

    mode = "b2b"
    fee_setting = "FEE_B2B_PERCENT"


class SecondHandPolicy(RetailPolicy):
    """C2C: the asking price or an accepted offer; fee on the item subtotal."""

    mode = "c2c"
    fee_setting = "FEE_C2C_PERCENT"


class ShopPolicy(RetailPolicy):
    """B2M: the manager's shop price; fee on the seller's base price, not the retail."""

    mode = "b2m"
    fee_setting = "FEE_B2M_PERCENT"

    def shop_price(self, item) -> LinePrice:
        return LinePrice(item.retail_price_cents, item.listing.b2m_base_price_cents)

    def fee(self, subtotal_cents: int, base_subtotal_cents: int | None = None) -> int:
        base = subtotal_cents if base_subtotal_cents is None else base_subtotal_cents
        return percent_of(base, Decimal(current_app.config[self.fee_setting]))


POLICIES = {
    policy.mode: policy
    for policy in (RetailPolicy(), WholesalePolicy(), SecondHandPolicy(), ShopPolicy())
}


def policy(mode: str) -> RetailPolicy:
    return POLICIES[mode]


def shipping_cents(method: str) -> int:
    """What the buyer pays a seller for shipping one order: standard is free."""
    return current_app.config["SHIPPING_EXPRESS_CENTS"] if method == "express" else 0
