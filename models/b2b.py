"""Wholesale: tier prices, prepacks (size runs), the wholesale cart, quotes and invoices."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Model

QUOTE_STATUSES = ("requested", "quoted", "accepted", "declined", "expired")


class Tier(Model):
    """From `min_qty` pairs of a listing in one order, each pair costs `unit_price_cents`."""

    __tablename__ = "b2b_tiers"
    __table_args__ = (
        UniqueConstraint("listing_id", "min_qty"),
        CheckConstraint("min_qty >= 1", name="min_qty_positive"),
        CheckConstraint("unit_price_cents >= 0", name="price_not_negative"),
    )

    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    min_qty: Mapped[int]
    unit_price_cents: Mapped[int]


class Prepack(Model):
    """A named size run sold as one unit, e.g. 40x1 41x2 42x2 43x1."""

    __tablename__ = "prepacks"

    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    active: Mapped[bool] = mapped_column(default=True)

    sizes: Mapped[list[PrepackSize]] = relationship(
        back_populates="prepack", cascade="all, delete-orphan", order_by="PrepackSize.id"
    )
    listing = relationship("Listing", back_populates="prepacks")

    @property
    def pairs(self) -> int:
        return sum(size.quantity for size in self.sizes)


class PrepackSize(Model):
    __tablename__ = "prepack_sizes"
    __table_args__ = (
        UniqueConstraint("prepack_id", "variant_id"),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
    )

    prepack_id: Mapped[int] = mapped_column(ForeignKey("prepacks.id"), index=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id"))
    quantity: Mapped[int]

    prepack: Mapped[Prepack] = relationship(back_populates="sizes")
    variant = relationship("Variant")


class WholesaleCartLine(Model):
    """A size or a prepack in a wholesale buyer's cart."""

    __tablename__ = "wholesale_cart_lines"
    __table_args__ = (
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint("(variant_id IS NULL) <> (prepack_id IS NULL)", name="size_or_prepack"),
    )

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"))
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("variants.id"))
    prepack_id: Mapped[int | None] = mapped_column(ForeignKey("prepacks.id"))
    quantity: Mapped[int]


class Quote(Model):
    """A wholesale buyer asks a seller for a price on a quantity of one listing."""

    __tablename__ = "quotes"
    __table_args__ = (
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint(
            "status IN ('requested', 'quoted', 'accepted', 'declined', 'expired')",
            name="status_known",
        ),
    )

    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    buyer_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    buyer_company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    seller_company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    quantity: Mapped[int]
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="requested", index=True)
    unit_price_cents: Mapped[int | None]
    valid_until: Mapped[datetime | None]
    seller_note: Mapped[str] = mapped_column(Text, default="")
    responded_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]

    listing = relationship("Listing")
    buyer_company = relationship("Company", foreign_keys=[buyer_company_id])
    seller_company = relationship("Company", foreign_keys=[seller_company_id])
    buyer = relationship("Account", foreign_keys=[buyer_account_id])
    # The order an accepted quote became.
    order = relationship(
        "Order", primaryjoin="Quote.id == foreign(Order.quote_id)", viewonly=True, uselist=False
    )


class Invoice(Model):
    """A net-terms order's bill to the buying company, due NET_TERMS_DAYS after ordering."""

    __tablename__ = "invoices"
    __table_args__ = (CheckConstraint("status IN ('open', 'paid', 'void')", name="status_known"),)

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    seller_company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    amount_cents: Mapped[int]
    due_date: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    paid_at: Mapped[datetime | None]

    order = relationship("Order")
    company = relationship("Company", foreign_keys=[company_id])
    seller_company = relationship("Company", foreign_keys=[seller_company_id])
