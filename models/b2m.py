"""Business to manager: managers, their shops, commissions and payouts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Model


class Manager(Model):
    """A person who resells business listings through a shop of their own, and who may have
    recruited other managers (their downline) or been recruited (their upline)."""

    __tablename__ = "managers"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status_known"),
        CheckConstraint("upline_id IS NULL OR upline_id <> id", name="not_own_upline"),
    )

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    shop_name: Mapped[str] = mapped_column(String(60))
    shop_slug: Mapped[str | None] = mapped_column(String(80), unique=True)
    referral_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    upline_id: Mapped[int | None] = mapped_column(ForeignKey("managers.id"), index=True)
    approved_at: Mapped[datetime | None]

    account = relationship("Account", back_populates="manager", foreign_keys=[account_id])
    upline = relationship("Manager", remote_side="Manager.id")

    @property
    def is_approved(self) -> bool:
        return self.status == "approved"


class ShopItem(Model):
    """A business listing in a manager's shop at the manager's retail price."""

    __tablename__ = "shop_items"
    __table_args__ = (
        UniqueConstraint("manager_id", "listing_id"),
        CheckConstraint("retail_price_cents > 0", name="price_positive"),
    )

    manager_id: Mapped[int] = mapped_column(ForeignKey("managers.id"), index=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    retail_price_cents: Mapped[int]

    manager = relationship("Manager")
    listing = relationship("Listing")

    @property
    def sellable(self) -> bool:
        """Whether the item can be bought now: the listing is open to B2M and the price is
        inside the seller's current range."""
        listing = self.listing
        return (
            listing.status == "active"
            and listing.b2m_enabled
            and listing.b2m_min_retail_cents is not None
            and listing.b2m_min_retail_cents
            <= self.retail_price_cents
            <= listing.b2m_max_retail_cents
        )


class Commission(Model):
    """What a manager earns on an order: their `margin` or an upline's `override` (level 1+)."""

    __tablename__ = "commissions"
    __table_args__ = (
        CheckConstraint("kind IN ('margin', 'override')", name="kind_known"),
        CheckConstraint(
            "status IN ('pending', 'available', 'paid', 'reversed')", name="status_known"
        ),
        UniqueConstraint("order_id", "manager_id", "kind"),
    )

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey("managers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    level: Mapped[int] = mapped_column(default=0)
    amount_cents: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    available_at: Mapped[datetime | None]

    manager = relationship("Manager")
    order = relationship("Order")


class Payout(Model):
    """A request to be paid out of an available balance (a manager's, or a seller's)."""

    __tablename__ = "payouts"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("status IN ('requested', 'approved', 'rejected')", name="status_known"),
        CheckConstraint("(company_id IS NULL) <> (account_id IS NULL)", name="one_owner"),
    )

    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    amount_cents: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default="requested", index=True)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    requested_by = relationship("Account", foreign_keys=[requested_by_id])
    company = relationship("Company")
