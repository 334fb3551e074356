"""Second-hand trade between people: offers, messages, disputes, ratings, provenance."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Model

OFFER_STATUSES = ("open", "accepted", "declined", "countered", "expired", "withdrawn", "sold")


class Offer(Model):
    """A price proposed for a used pair; `waiting_on` says who must answer it."""

    __tablename__ = "offers"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint(
            "status IN ('open', 'accepted', 'declined', 'countered', 'expired', 'withdrawn',"
            " 'sold')",
            name="status_known",
        ),
        CheckConstraint("waiting_on IN ('buyer', 'seller')", name="waiting_on_known"),
        # One open negotiation per buyer and listing, one accepted offer per listing.
        Index(
            "uq_offers_open_per_buyer",
            "listing_id",
            "buyer_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index(
            "uq_offers_accepted_per_listing",
            "listing_id",
            unique=True,
            sqlite_where=text("status = 'accepted'"),
            postgresql_where=text("status = 'accepted'"),
        ),
    )

    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    amount_cents: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default="open")
    waiting_on: Mapped[str] = mapped_column(String(6), default="seller")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id"))
    expires_at: Mapped[datetime]
    responded_at: Mapped[datetime | None]

    listing = relationship("Listing")
    buyer = relationship("Account", foreign_keys=[buyer_id])
    seller = relationship("Account", foreign_keys=[seller_id])


class Message(Model):
    """A message in the thread between a listing's seller and one interested buyer."""

    __tablename__ = "messages"

    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    body: Mapped[str] = mapped_column(Text)

    sender = relationship("Account", foreign_keys=[sender_id])


class Dispute(Model):
    """A C2C buyer's complaint before confirming receipt; escrow waits for an admin."""

    __tablename__ = "disputes"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'resolved')", name="status_known"),
        CheckConstraint(
            "outcome IS NULL OR outcome IN ('refund', 'release')", name="outcome_known"
        ),
    )

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    outcome: Mapped[str | None] = mapped_column(String(10))
    relisted: Mapped[bool] = mapped_column(default=False)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    resolved_at: Mapped[datetime | None]

    order = relationship("Order")


class Rating(Model):
    """One side of a completed C2C trade rating the other, shown double-blind."""

    __tablename__ = "ratings"
    __table_args__ = (
        UniqueConstraint("order_id", "rater_id"),
        CheckConstraint("stars BETWEEN 1 AND 5", name="stars_range"),
        CheckConstraint("role IN ('buyer', 'seller')", name="role_known"),
    )

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    rater_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    ratee_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    role: Mapped[str] = mapped_column(String(6))  # the rater's side of the trade
    stars: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")

    rater = relationship("Account", foreign_keys=[rater_id])


class Provenance(Model):
    """A used listing that resells a pair bought on Solemate: which purchase it came from,
    and which of its pairs (`unit`, 1 to the quantity bought)."""

    __tablename__ = "provenances"
    __table_args__ = (UniqueConstraint("order_line_id", "unit"),)

    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), unique=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), index=True)
    unit: Mapped[int] = mapped_column(default=1, server_default="1")
    purchased_at: Mapped[datetime]

    order_line = relationship("OrderLine")
