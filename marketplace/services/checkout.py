"""Checkout: a whole cart, one payment, one order per seller, in one transaction.

The cart is priced again, the pairs are held (all or none), the orders are written and the
card is charged. If the charge succeeds the orders are paid and booked in the ledger in the
same transaction; if it is declined everything is rolled back, so nothing stays held and
the cart is kept; if the bank must approve, the orders wait in `pending_payment` (holding
their pairs for PAYMENT_HOLD_MINUTES) for the provider's webhook.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from marketplace import clock
from marketplace.exceptions import Conflict, NotFound, PaymentDeclined, ValidationFailed
from marketplace.extensions import commit_keeping_loaded, db, insert_now
from marketplace.services import cart, inventory, orders, payments, pricing
from models import Account, Checkout, Order, OrderEvent, OrderLine

ADDRESS_FIELDS = {"name": 120, "line1": 200, "city": 100, "postal_code": 20, "country": 60}


@dataclass
class OrderDraft:
    """The lines of one seller, with what they cost."""

    mode: str
    seller_company_id: int | None
    seller_account_id: int | None
    lines: list[cart.CartLine]
    shipping_cents: int
    manager_id: int | None = None

    @property
    def subtotal_cents(self) -> int:
        return sum(line.total_cents for line in self.lines)

    @property
    def base_subtotal_cents(self) -> int | None:
        if self.mode != "b2m":
            return None
        return sum(line.base_price_cents * line.quantity for line in self.lines)

    @property
    def fee_cents(self) -> int:
        return pricing.policy(self.mode).fee(self.subtotal_cents, self.base_subtotal_cents)

    @property
    def total_cents(self) -> int:
        return self.subtotal_cents + self.shipping_cents


def clean_address(address: dict | None) -> dict:
    """The shipping address with its fields trimmed.

    :raise ValidationFailed: a field missing or too long (as `shipping_address.<field>`).
    """
    address = address or {}
    cleaned, fields = {}, {}
    for name, limit in ADDRESS_FIELDS.items():
        value = str(address.get(name) or "").strip()
        if not value:
            fields[f"shipping_address.{name}"] = ["Required."]
        elif len(value) > limit:
            fields[f"shipping_address.{name}"] = [f"At most {limit} characters."]
        cleaned[name] = value
    if address.get("line2"):
        cleaned["line2"] = str(address["line2"]).strip()[:200]
    if fields:
        raise ValidationFailed(fields=fields)
    return cleaned


def drafts(view: cart.CartView, shipping_method: str) -> list[OrderDraft]:
    """The cart split into one order per seller."""
    shipping = pricing.shipping_cents(shipping_method)
    result = []
    for (owner_type, owner_id, manager_id), lines in view.by_seller().items():
        result.append(
            OrderDraft(
                mode=lines[0].mode,
                seller_company_id=owner_id if owner_type == "company" else None,
                seller_account_id=owner_id if owner_type == "person" else None,
                lines=lines,
                shipping_cents=shipping,
                manager_id=manager_id,
            )
        )
    return result


def totals_by_method(view: cart.CartView) -> dict[str, int]:
    """What the whole cart costs with each shipping method (shipping is per seller)."""
    return {
        method: sum(draft.total_cents for draft in drafts(view, method))
        for method in pricing.SHIPPING_METHODS
    }


def place_order(
    buyer: Account,
    *,
    shipping_address: dict,
    card_number: str,
    shipping_method: str = "standard",
    before_commit: Callable[[Checkout], None] | None = None,
) -> Checkout:
    """Buy the buyer's whole cart; commits once. `before_commit(checkout)` runs last in that
    transaction (the API stores its idempotent answer there).

    :raise ValidationFailed: empty cart, bad address, bad card number or shipping method.
    :raise OutOfStock: a size has fewer pairs than asked (naming each); nothing is held.
    :raise Conflict: a line can no longer be bought (withdrawn, own listing).
    :raise PaymentDeclined: the card was refused; nothing is held and the cart is kept.
    """
    if shipping_method not in pricing.SHIPPING_METHODS:
        raise ValidationFailed(fields={"shipping_method": ["Choose standard or express."]})
    address = clean_address(shipping_address)
    card = payments.card_digits(card_number)
    # Everything below is one transaction, begun by holding the cart against other tabs.
    cart.lock(buyer)
    view = cart.view(buyer)
    if not view.lines:
        db.session.rollback()
        raise ValidationFailed("Your cart is empty.", fields={"cart": ["Your cart is empty."]})
    if blocked := [line.blocked for line in view.lines if line.blocked]:
        db.session.rollback()
        raise Conflict(" ".join(blocked) + " Remove it from your cart.", code="cart_changed")
    inventory.reserve((line.variant.id, line.quantity) for line in view.lines)
    plan = drafts(view, shipping_method)
    # Written at once, row by row, rather than flushed (extensions.insert_now).
    checkout = insert_now(
        Checkout(
            buyer_id=buyer.id,
            total_cents=sum(draft.total_cents for draft in plan),
            shipping_method=shipping_method,
            shipping_address=address,
        )
    )
    hold_until = clock.now() + timedelta(minutes=current_app.config["PAYMENT_HOLD_MINUTES"])
    placed = []
    for draft in plan:
        order = insert_now(
            Order(
                checkout_id=checkout.id,
                mode=draft.mode,
                status="pending_payment",
                buyer_id=buyer.id,
                seller_company_id=draft.seller_company_id,
                seller_account_id=draft.seller_account_id,
                subtotal_cents=draft.subtotal_cents,
                shipping_cents=draft.shipping_cents,
                fee_cents=draft.fee_cents,
                total_cents=draft.total_cents,
                shipping_method=shipping_method,
                shipping_address=address,
                hold_expires_at=hold_until,
                manager_id=draft.manager_id,
            )
        )
        lines = [
            insert_now(
                OrderLine(
                    order_id=order.id,
                    listing_id=line.listing.id,
                    variant_id=line.variant.id,
                    quantity=line.quantity,
                    unit_price_cents=line.unit_price_cents,
                    base_price_cents=line.base_price_cents,
                    title=line.listing.title,
                    size_eu=line.variant.size_eu,
                    sku=line.variant.sku,
                )
            )
            for line in draft.lines
        ]
        placed_event = insert_now(
            OrderEvent(
                order_id=order.id, status="pending_payment", actor_id=buyer.id, note="Order placed."
            )
        )
        set_committed_value(order, "lines", lines)
        set_committed_value(order, "events", [placed_event])
        placed.append(order)
    set_committed_value(checkout, "orders", placed)

    result = payments.provider().charge(
        checkout.total_cents, card, f"Solemate checkout {checkout.id}"
    )
    if result.status == "declined":
        db.session.rollback()
        raise PaymentDeclined(result.message or "The card was declined.")
    payments.record_charge(result, checkout.total_cents, card, checkout_id=checkout.id)
    emails = []
    if result.status == "succeeded":
        for order in checkout.orders:
            orders.capture(order, actor_id=buyer.id, note="Paid by card.")
            emails += orders.confirmation_emails(order)
    cart.clear(buyer)
    if before_commit is not None:
        before_commit(checkout)
    commit_keeping_loaded()  # the answer is read from the checkout just written
    orders.send_emails(emails)
    return checkout


def checkout_for(checkout_id: int, buyer: Account) -> Checkout:
    """A checkout of this buyer. :raise NotFound: absent or someone else's."""
    found = db.session.scalar(
        select(Checkout)
        .where(Checkout.id == checkout_id, Checkout.buyer_id == buyer.id)
        .options(selectinload(Checkout.orders).selectinload(Order.lines))
    )
    if found is None:
        raise NotFound("No such checkout.")
    return found
