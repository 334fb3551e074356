"""Browsing and searching listings with the database's own full-text engine.

SQLite uses the FTS5 table `listing_fts`, PostgreSQL the generated `listings.search_vector`
(both created by the first migration). A page costs a fixed number of queries whatever its
size: one count, one page of listings, one for their variants, one for their photos.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from math import ceil

from sqlalchemy import Float, Integer, Select, and_, exists, func, literal_column, or_, select, text
from sqlalchemy.orm import selectinload

from marketplace import sizes
from marketplace.exceptions import NotFound
from marketplace.extensions import db
from models import Account, Listing, Variant

SORTS = ("relevance", "price_asc", "price_desc", "newest")
MODES = ("b2c", "c2c")
MAX_TERMS = 8


@dataclass
class CatalogQuery:
    """What a shopper asked for; every field is optional."""

    q: str = ""
    brand: str | None = None
    category: str | None = None
    gender: str | None = None
    size_eu: str | None = None
    min_price_cents: int | None = None
    max_price_cents: int | None = None
    mode: str | None = None
    condition: str | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = 24
    exclude_company_id: int | None = None  # a wholesale buyer does not see its own listings


@dataclass
class Page:
    items: Sequence
    total: int
    page: int
    per_page: int
    extra: dict = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def search_terms(q: str) -> list[str]:
    """The words of a search box entry that the full-text engines will look for."""
    return re.findall(r"\w+", (q or "").lower())[:MAX_TERMS]


def _fulltext(terms: list[str]):
    """A subquery of (listing_id, score) for listings holding every term (as a prefix)."""
    if db.engine.dialect.name == "sqlite":
        match = " ".join(f'"{term}"*' for term in terms)
        # bm25 weights follow the FTS column order: title, brand, model, colorway,
        # category, description; lower bm25 is better, so the score is negated.
        sql = text(
            "SELECT rowid AS listing_id, -bm25(listing_fts, 10.0, 8.0, 8.0, 5.0, 3.0, 1.0)"
            " AS score FROM listing_fts WHERE listing_fts MATCH :match"
        ).bindparams(match=match)
        return sql.columns(listing_id=Integer, score=Float).subquery("fts")
    vector = literal_column("listings.search_vector")
    tsquery = func.to_tsquery("simple", " & ".join(f"{term}:*" for term in terms))
    return (
        select(Listing.id.label("listing_id"), func.ts_rank(vector, tsquery).label("score"))
        .where(vector.op("@@")(tsquery))
        .subquery("fts")
    )


def _visible_in_mode(mode: str | None):
    retail = and_(Listing.kind == "business", Listing.b2c_enabled.is_(True))
    if mode == "b2c":
        return retail
    if mode == "b2b":  # the wholesale catalog (not a public filter value)
        return and_(Listing.kind == "business", Listing.b2b_enabled.is_(True))
    if mode == "b2m":  # the managers' catalog (not a public filter value)
        return and_(Listing.kind == "business", Listing.b2m_enabled.is_(True))
    if mode == "c2c":
        return Listing.kind == "c2c"
    return or_(retail, Listing.kind == "c2c")


def _genders(gender: str) -> list[str]:
    return [gender, "unisex"] if gender in ("men", "women") else [gender]


def filtered(query: CatalogQuery, base: Select | None = None) -> tuple[Select, object | None]:
    """The listings matching every filter of `query`, and the full-text subquery if any."""
    statement = base if base is not None else select(Listing)
    statement = statement.where(Listing.status == "active", _visible_in_mode(query.mode))
    fts = None
    if terms := search_terms(query.q):
        fts = _fulltext(terms)
        statement = statement.join(fts, fts.c.listing_id == Listing.id)
    if query.brand:
        statement = statement.where(func.lower(Listing.brand) == query.brand.strip().lower())
    if query.category:
        statement = statement.where(Listing.category == query.category)
    if query.gender:
        statement = statement.where(Listing.gender.in_(_genders(query.gender)))
    if query.condition:
        statement = statement.where(Listing.condition == query.condition)
    if query.min_price_cents is not None:
        statement = statement.where(Listing.min_price_cents >= query.min_price_cents)
    if query.max_price_cents is not None:
        statement = statement.where(Listing.min_price_cents <= query.max_price_cents)
    if query.exclude_company_id is not None:
        statement = statement.where(Listing.company_id != query.exclude_company_id)
    if query.size_eu:
        statement = statement.where(
            exists().where(
                Variant.listing_id == Listing.id,
                Variant.size_eu == query.size_eu,
                Variant.stock > Variant.reserved,
            )
        )
    return statement, fts


def _ordered(statement: Select, sort: str, fts) -> Select:
    if sort == "price_asc":
        return statement.order_by(Listing.min_price_cents.asc(), Listing.id.desc())
    if sort == "price_desc":
        return statement.order_by(Listing.min_price_cents.desc(), Listing.id.desc())
    if sort == "relevance" and fts is not None:
        return statement.order_by(fts.c.score.desc(), Listing.id.desc())
    return statement.order_by(Listing.created_at.desc(), Listing.id.desc())


def search(query: CatalogQuery) -> Page:
    """One page of active listings matching `query`, with variants and photos loaded."""
    statement, fts = filtered(query)
    total = db.session.scalar(statement.with_only_columns(func.count()).order_by(None)) or 0
    page_items = db.session.scalars(
        _ordered(statement, query.sort, fts)
        .options(
            selectinload(Listing.variants),
            selectinload(Listing.photos),
            selectinload(Listing.tiers),
        )
        .limit(query.per_page)
        .offset((query.page - 1) * query.per_page)
    ).all()
    return Page(page_items, total, query.page, query.per_page)


def sizes_in_stock(listing: Listing) -> list[str]:
    return [v.size_eu for v in listing.variants if v.available > 0]


_brand_cache: dict[str, tuple[float, list[str]]] = {}


def brands(max_age_seconds: float = 60.0) -> list[str]:
    """Brands with active listings, for the filter list (recomputed at most once a minute)."""
    key = db.engine.url.render_as_string()
    cached = _brand_cache.get(key)
    if cached and time.monotonic() - cached[0] < max_age_seconds:
        return cached[1]
    names = list(
        db.session.scalars(
            select(Listing.brand)
            .where(Listing.status == "active")
            .group_by(Listing.brand)
            .order_by(Listing.brand)
        )
    )
    _brand_cache[key] = (time.monotonic(), names)
    return names


def forget_brands() -> None:
    _brand_cache.clear()


def newest(limit: int = 8, mode: str | None = None) -> list[Listing]:
    """The latest active listings of the public catalog."""
    return list(
        db.session.scalars(
            select(Listing)
            .where(Listing.status == "active", _visible_in_mode(mode))
            .options(selectinload(Listing.variants), selectinload(Listing.photos))
            .order_by(Listing.created_at.desc(), Listing.id.desc())
            .limit(limit)
        )
    )


def can_manage(listing: Listing, account: Account | None) -> bool:
    """Whether `account` owns the listing (a member of its company, or its C2C seller)."""
    if account is None or not account.is_authenticated:
        return False
    if listing.kind == "business":
        return account.company_id is not None and account.company_id == listing.company_id
    return listing.account_id == account.id


def visible_listing(listing_id: int, viewer: Account | None = None) -> Listing:
    """A listing the viewer may see: public ones for everyone, any of their own for owners.

    :raise NotFound: absent, or neither public nor the viewer's.
    """
    listing = db.session.get(
        Listing, listing_id, options=[selectinload(Listing.variants), selectinload(Listing.photos)]
    )
    if listing is None:
        raise NotFound("No such listing.")
    public = listing.status == "active" and (listing.kind == "c2c" or listing.b2c_enabled)
    sold_pair = listing.kind == "c2c" and listing.status == "sold"
    if public or sold_pair or can_manage(listing, viewer):
        return listing
    wholesale_buyer = viewer is not None and getattr(viewer, "is_wholesale_buyer", False)
    if listing.status == "active" and listing.b2b_enabled and wholesale_buyer:
        return listing
    manager = getattr(viewer, "manager", None) if viewer is not None else None
    if (
        listing.status == "active"
        and listing.b2m_enabled
        and manager is not None
        and manager.is_approved
    ):
        return listing
    if viewer is not None and getattr(viewer, "is_admin", False):
        return listing
    raise NotFound("No such listing.")


def size_options(listing: Listing, system: str) -> list[dict]:
    """Each variant's size as the visitor reads it, with what is left."""
    return [
        {
            "variant": variant,
            "label": sizes.label(variant.size_eu, listing.gender, system),
            "eu": variant.size_eu,
            "available": variant.available,
        }
        for variant in listing.variants
    ]
