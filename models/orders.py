"""Carts, checkouts, orders with their lines and history, payments, reviews, idempotency."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace import clock
from models.base import Model

ORDER_STATUSES = (
    "pending_payment",
    "invoiced",
    "paid",
    "shipped",
    "delivered",
    "completed",
    "cancelled",
    "expired",
    "return_requested",
    "returned",
    "refunded",
    "disputed",
)
MODES = ("b2c", "b2b", "c2c", "b2m")


class Cart(Model):
    """An account's cart (anonymous carts live in the browser session until sign-in)."""

    __tablename__ = "carts"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), unique=True)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)

    items: Mapped[list[CartItem]] = relationship(
        back_populates="cart", order_by="CartItem.id", cascade="all, delete-orphan"
    )


class CartItem(Model):
    """A size and quantity in a cart; prices are looked up again at checkout."""

    __tablename__ = "cart_items"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id"), index=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id"))
    # B2M: the manager's shop item this line was added through (its price applies).
    shop_item_id: Mapped[int | None] = mapped_column(ForeignKey("shop_items.id"))
    quantity: Mapped[int]
    # The price the buyer saw when adding, to tell them if it changed since.
    seen_price_cents: Mapped[int]

    cart: Mapped[Cart] = relationship(back_populates="items")
    variant = relationship("Variant")
    shop_item = relationship("ShopItem")


class Checkout(Model):
    """One payment for a whole cart; it creates one order per seller."""

    __tablename__ = "checkouts"

    buyer_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    total_cents: Mapped[int]
    shipping_method: Mapped[str] = mapped_column(String(20), default="standard")
    shipping_address: Mapped[dict] = mapped_column(JSON)

    orders: Mapped[list[Order]] = relationship(back_populates="checkout", order_by="Order.id")
    payments: Mapped[list[Payment]] = relationship(back_populates="checkout")


class Order(Model):
    """What one buyer bought from one seller in one mode; its status moves only through
    services.orders, which records every step in `events`."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(
            "subtotal_cents >= 0 AND total_cents >= 0 AND fee_cents >= 0", name="money_not_negative"
        ),
        CheckConstraint(
            "(seller_company_id IS NULL) <> (seller_account_id IS NULL)", name="one_seller"
        ),
        Index("ix_orders_status_hold", "status", "hold_expires_at"),
        Index("ix_orders_status_delivered", "status", "delivered_at"),
    )

    checkout_id: Mapped[int | None] = mapped_column(ForeignKey("checkouts.id"), index=True)
    mode: Mapped[str] = mapped_column(String(4))
    status: Mapped[str] = mapped_column(String(20), default="pending_payment")
    buyer_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    buyer_company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    seller_company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    seller_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    subtotal_cents: Mapped[int]
    shipping_cents: Mapped[int] = mapped_column(default=0)
    fee_cents: Mapped[int] = mapped_column(default=0)
    total_cents: Mapped[int]
    shipping_method: Mapped[str] = mapped_column(String(20), default="standard")
    shipping_address: Mapped[dict] = mapped_column(JSON, default=dict)
    carrier: Mapped[str | None] = mapped_column(String(60))
    tracking_number: Mapped[str | None] = mapped_column(String(80))
    po_number: Mapped[str | None] = mapped_column(String(60))
    quote_id: Mapped[int | None] = mapped_column(ForeignKey("quotes.id"))
    payment_terms: Mapped[str] = mapped_column(String(10), default="prepaid")
    due_date: Mapped[datetime | None]
    hold_expires_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]
    shipped_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    return_reason: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)

    checkout: Mapped[Checkout | None] = relationship(back_populates="orders")
    buyer = relationship("Account", foreign_keys=[buyer_id])
    seller_company = relationship("Company", foreign_keys=[seller_company_id])
    seller_account = relationship("Account", foreign_keys=[seller_account_id])
    manager = relationship("Account", foreign_keys=[manager_id])
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order", order_by="OrderEvent.id", cascade="all, delete-orphan"
    )

    @property
    def seller_id(self) -> int:
        return self.seller_company_id or self.seller_account_id

    @property
    def seller_type(self) -> str:
        return "company" if self.seller_company_id else "person"

    @property
    def seller_name(self) -> str:
        return self.seller_company.name if self.seller_company_id else self.seller_account.name

    @property
    def pairs(self) -> int:
        return sum(line.quantity for line in self.lines)


class OrderLine(Model):
    """A size bought: quantity and unit price frozen at the moment of the order."""

    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price_cents >= 0", name="price_not_negative"),
    )

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id"), index=True)
    # B2B: the prepack this size came in, if it was ordered as part of one.
    prepack_id: Mapped[int | None] = mapped_column(ForeignKey("prepacks.id"))
    quantity: Mapped[int]
    unit_price_cents: Mapped[int]
    # B2M: what the seller charges the platform per pair; the rest is the manager's margin.
    base_price_cents: Mapped[int | None]
    # B2B: the tier (its starting quantity) the unit price came from, for the invoice.
    tier_min_qty: Mapped[int | None]
    title: Mapped[str] = mapped_column(String(200))
    size_eu: Mapped[str] = mapped_column(String(5))
    sku: Mapped[str] = mapped_column(String(64))

    order: Mapped[Order] = relationship(back_populates="lines")
    listing = relationship("Listing")
    variant = relationship("Variant")
    prepack = relationship("Prepack")

    @property
    def total_cents(self) -> int:
        return self.quantity * self.unit_price_cents


class OrderEvent(Model):
    """One step of an order's history."""

    __tablename__ = "order_events"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(default=clock.now)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    note: Mapped[str] = mapped_column(String(500), default="")

    order: Mapped[Order] = relationship(back_populates="events")


class Payment(Model):
    """A charge or a refund at the payment provider."""

    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("provider", "provider_ref"),)

    checkout_id: Mapped[int | None] = mapped_column(ForeignKey("checkouts.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    provider: Mapped[str] = mapped_column(String(20))
    provider_ref: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(10), default="charge")
    status: Mapped[str] = mapped_column(String(12))
    amount_cents: Mapped[int]
    card_last4: Mapped[str | None] = mapped_column(String(4))

    checkout: Mapped[Checkout | None] = relationship(back_populates="payments")


class ProviderEvent(Model):
    """A webhook event, stored once: the unique key makes every replay a no-op."""

    __tablename__ = "provider_events"
    __table_args__ = (UniqueConstraint("provider", "event_id"),)

    provider: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(60))
    payload: Mapped[dict] = mapped_column(JSON)


class IdempotencyKey(Model):
    """The first answer to a request made with an Idempotency-Key, kept for replays."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("account_id", "scope", "key"),)

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    scope: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None]
    response: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None]


class Review(Model):
    """A buyer's stars and words on a delivered order."""

    __tablename__ = "reviews"
    __table_args__ = (CheckConstraint("stars BETWEEN 1 AND 5", name="stars_range"),)

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    stars: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")

    order = relationship("Order")
    author = relationship("Account")
