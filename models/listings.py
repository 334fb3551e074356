"""Listings, their variants (one per size) and photos."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace import clock
from models.base import Model

CATEGORIES = (
    "running",
    "basketball",
    "lifestyle",
    "training",
    "skate",
    "hiking",
    "boots",
    "sandals",
    "formal",
)
BUSINESS_CONDITIONS = ("new",)
C2C_CONDITIONS = ("new_with_box", "like_new", "good", "worn")
CONDITIONS = BUSINESS_CONDITIONS + C2C_CONDITIONS


# Partial indexes of the active listings, the only ones the catalog shows.
ACTIVE_ONLY = {
    "postgresql_where": text("status = 'active'"),
    "sqlite_where": text("status = 'active'"),
}
ACTIVE_FILTER_COLUMNS = (
    "gender",
    "category",
    "min_price_cents",
    "condition",
    "kind",
    "b2c_enabled",
    "id",
)


class Listing(Model):
    """What is for sale: owned by a company (business listing) or a person (C2C)."""

    __tablename__ = "listings"
    __table_args__ = (
        CheckConstraint("kind IN ('business', 'c2c')", name="kind_known"),
        CheckConstraint(
            "(kind = 'business' AND company_id IS NOT NULL)"
            " OR (kind = 'c2c' AND account_id IS NOT NULL)",
            name="owner_matches_kind",
        ),
        Index("ix_listings_status_created", "status", "created_at"),
        Index("ix_listings_status_price", "status", "min_price_cents"),
        # Counting the public catalog's matches reads this index alone (filters and mode).
        Index(
            "ix_listings_active_filters",
            *ACTIVE_FILTER_COLUMNS,
            **ACTIVE_ONLY,
        ),
        # A sorted page of one category walks that category's pairs in price or date order.
        # With the whole catalog's order alone, PostgreSQL filtered through most listings
        # when the category sits at its far end (sandals by price, high to low: 18 ms; with
        # these and random_page_cost = 1.1 as the README says, 0.8 ms).
        Index(
            "ix_listings_active_category_price",
            "category",
            "min_price_cents",
            **ACTIVE_ONLY,
        ),
        Index(
            "ix_listings_active_category_created",
            "category",
            "created_at",
            **ACTIVE_ONLY,
        ),
    )

    kind: Mapped[str] = mapped_column(String(10), default="business")
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    brand: Mapped[str] = mapped_column(String(80))
    model: Mapped[str] = mapped_column(String(120))
    colorway: Mapped[str] = mapped_column(String(80), default="")
    category: Mapped[str] = mapped_column(String(20), index=True)
    gender: Mapped[str] = mapped_column(String(10), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    condition: Mapped[str] = mapped_column(String(20), default="new", index=True)
    status: Mapped[str] = mapped_column(String(20), default="active")
    b2c_enabled: Mapped[bool] = mapped_column(default=True)
    # Wholesale terms (tiers and prepacks live in models.b2b).
    b2b_enabled: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    b2b_moq: Mapped[int] = mapped_column(default=1, server_default="1")
    b2b_order_multiple: Mapped[int] = mapped_column(default=1, server_default="1")
    # B2M terms: what the seller gets per pair and the retail range managers may ask.
    b2m_enabled: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    b2m_base_price_cents: Mapped[int | None]
    b2m_min_retail_cents: Mapped[int | None]
    b2m_max_retail_cents: Mapped[int | None]
    b2m_suggested_retail_cents: Mapped[int | None]
    # Lowest retail price of the variants, kept by the listing service for sorting and filters.
    min_price_cents: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)

    company = relationship("Company")
    owner = relationship("Account", foreign_keys=[account_id])
    variants: Mapped[list[Variant]] = relationship(
        back_populates="listing", order_by="Variant.size_sort", cascade="all, delete-orphan"
    )
    photos: Mapped[list[Photo]] = relationship(
        back_populates="listing", order_by="Photo.position", cascade="all, delete-orphan"
    )
    tiers = relationship("Tier", order_by="Tier.min_qty", cascade="all, delete-orphan")
    prepacks = relationship(
        "Prepack", back_populates="listing", order_by="Prepack.id", cascade="all, delete-orphan"
    )
    provenance = relationship("Provenance", uselist=False)

    @property
    def mode(self) -> str:
        return "c2c" if self.kind == "c2c" else "b2c"

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    # What catalog cards read (catalog.Card has the same).
    @property
    def sizes_in_stock(self) -> list[str]:
        return [variant.size_eu for variant in self.variants if variant.available > 0]

    @property
    def thumb_filename(self) -> str | None:
        return self.photos[0].thumb_filename if self.photos else None


Index("ix_listings_brand_lower", func.lower(Listing.brand))
# The same for one brand (the catalog's brand filter ignores case).
Index(
    "ix_listings_active_brand_price",
    func.lower(Listing.brand),
    Listing.min_price_cents,
    **ACTIVE_ONLY,
)
Index(
    "ix_listings_active_brand_created",
    func.lower(Listing.brand),
    Listing.created_at,
    **ACTIVE_ONLY,
)


class Variant(Model):
    """One size of a listing: stock on hand, the part of it reserved, and the retail price."""

    __tablename__ = "variants"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("reserved <= stock", name="reserved_within_stock"),
        CheckConstraint("price_cents >= 0", name="price_not_negative"),
        UniqueConstraint("listing_id", "size_eu"),
        # The catalog's size filter: which listings have this size in stock.
        Index(
            "ix_variants_size_in_stock",
            "size_eu",
            "listing_id",
            postgresql_where=text("stock > reserved"),
            sqlite_where=text("stock > reserved"),
        ),
    )

    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    size_eu: Mapped[str] = mapped_column(String(5))
    size_sort: Mapped[int]
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    stock: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)
    price_cents: Mapped[int]

    listing: Mapped[Listing] = relationship(back_populates="variants")

    @property
    def available(self) -> int:
        return self.stock - self.reserved


class Photo(Model):
    """A re-encoded listing photo and its thumbnail, stored through the storage interface."""

    __tablename__ = "photos"

    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    filename: Mapped[str] = mapped_column(String(120))
    thumb_filename: Mapped[str] = mapped_column(String(120))
    width: Mapped[int]
    height: Mapped[int]

    listing: Mapped[Listing] = relationship(back_populates="photos")


class StagedPhoto(Model):
    """A photo a seller sent with a sell form that came back for corrections, kept (re-encoded,
    like a Photo) so the next try need not upload it again. It becomes a listing's Photo when
    the pair goes on sale; the jobs command deletes those left over after a day."""

    __tablename__ = "staged_photos"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    filename: Mapped[str] = mapped_column(String(120))
    thumb_filename: Mapped[str] = mapped_column(String(120))
    width: Mapped[int]
    height: Mapped[int]
