"""Browsing and searching listings with the database's own full-text engine.

SQLite uses the FTS5 table `listing_fts`, PostgreSQL the generated `listings.search_vector`
(both created by the first migration). A page costs a fixed number of queries whatever its
size: one count, one page of listings, and one for their cards' sizes, thumbnails and
provenance.

The public catalog answers with `Card`s: plain rows holding what a card shows, read as
tuples rather than as ORM objects (building a listing with its variants and photos costs
several times more than the query that reads them, and catalog pages are the most asked-for
answers of the shop).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import (
    Float,
    Integer,
    Select,
    and_,
    bindparam,
    exists,
    func,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.orm import joinedload, selectinload

from marketplace import sizes
from marketplace.exceptions import NotFound
from marketplace.extensions import cache, db
from marketplace.pagecache import spread
from marketplace.pagination import Page
from models import Account, Listing, Photo, Provenance, Variant

SORTS = ("relevance", "price_asc", "price_desc", "newest")
MODES = ("b2c", "c2c")
MAX_TERMS = 8


# The CatalogQuery fields a shopper sets in the filters panel (not the words, sort or page).
FILTERS = (
    "brand",
    "category",
    "gender",
    "size_eu",
    "min_price_cents",
    "max_price_cents",
    "mode",
    "condition",
)


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

    @property
    def filtered(self) -> bool:
        """Whether a filter narrows the search beyond its words."""
        return any(getattr(self, name) is not None for name in FILTERS)


def search_terms(q: str) -> list[str]:
    """The words of a search box entry that the full-text engines will look for."""
    return re.findall(r"\w+", (q or "").lower())[:MAX_TERMS]


def _matching(statement: Select, terms: list[str]) -> tuple[Select, object]:
    """`statement` kept to listings holding every term (as a prefix), and their relevance.

    SQLite ranks with FTS5's bm25 in a subquery joined on the rowid; PostgreSQL tests
    `listings.search_vector` itself, so the planner combines its GIN index with the other
    filters instead of ranking every match in a self-join.
    """
    if db.engine.dialect.name == "sqlite":
        match = " ".join(f'"{term}"*' for term in terms)
        # bm25 weights follow the FTS column order: title, brand, model, colorway,
        # category, description; lower bm25 is better, so the score is negated.
        fts = (
            text(
                "SELECT rowid AS listing_id, -bm25(listing_fts, 10.0, 8.0, 8.0, 5.0, 3.0, 1.0)"
                " AS score FROM listing_fts WHERE listing_fts MATCH :match"
            )
            .bindparams(match=match)
            .columns(listing_id=Integer, score=Float)
            .subquery("fts")
        )
        return statement.join(fts, fts.c.listing_id == Listing.id), fts.c.score
    vector = literal_column("listings.search_vector")
    tsquery = func.to_tsquery("simple", " & ".join(f"{term}:*" for term in terms))
    return statement.where(vector.op("@@")(tsquery)), func.ts_rank(vector, tsquery)


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
    """The listings matching every filter of `query`, and their relevance to the search
    words (None without words)."""
    statement = base if base is not None else select(Listing)
    statement = statement.where(Listing.status == "active", _visible_in_mode(query.mode))
    score = None
    if terms := search_terms(query.q):
        statement, score = _matching(statement, terms)
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
    return statement, score


# Up to this many matches, a page is read by finding the matches and sorting them; beyond,
# by walking an index in sort order until a page of matches turns up. The database guesses
# how many listings match a word or a size poorly (it guessed 1,400 for a word in 151), and
# walked the price index through 32,000 listings for a page of a rare word: 25-40 ms where
# sorting its matches takes 2.
SORT_MATCHES_UP_TO = 2000


def _ordered(statement: Select, sort: str, score, matches: int) -> Select:
    def key(column):
        # coalesce(x, x) is x, but no index serves it: the matches are found, then sorted
        return func.coalesce(column, column) if matches <= SORT_MATCHES_UP_TO else column

    if sort == "price_asc":
        return statement.order_by(key(Listing.min_price_cents).asc(), Listing.id.desc())
    if sort == "price_desc":
        return statement.order_by(key(Listing.min_price_cents).desc(), Listing.id.desc())
    if sort == "relevance" and score is not None:
        return statement.order_by(score.desc(), Listing.id.desc())
    return statement.order_by(key(Listing.created_at).desc(), Listing.id.desc())


def _paged(statement: Select, query: CatalogQuery, score, matches: int) -> Select:
    """One page of `statement` in the query's order; `matches` is how many rows it selects."""
    return (
        _ordered(statement, query.sort, score, matches)
        .limit(query.per_page)
        .offset((query.page - 1) * query.per_page)
    )


def search(query: CatalogQuery) -> Page:
    """One page of active listings matching `query`, as listings with variants, photos and
    (in the wholesale catalog) tier prices loaded: for the wholesale and managers'
    catalogs, whose rows show terms beyond a card."""
    statement, score = filtered(query)
    total = _count(statement, query)
    loads = [selectinload(Listing.variants), selectinload(Listing.photos)]
    if query.mode == "b2b":
        loads.append(selectinload(Listing.tiers))
    page_items = db.session.scalars(_paged(statement, query, score, total).options(*loads)).all()
    return Page(page_items, total, query.page, query.per_page)


@dataclass(frozen=True)
class Card:
    """What a catalog card shows of a listing, with stock as of the query."""

    id: int
    kind: str
    account_id: int | None
    title: str
    brand: str
    model: str
    colorway: str
    category: str
    gender: str
    condition: str
    min_price_cents: int | None
    sizes: tuple[str, ...]  # every size, in size order
    sizes_in_stock: tuple[str, ...]
    thumb_filename: str | None  # the first photo's thumbnail
    bought_here: bool  # a used pair first bought on Solemate

    @property
    def mode(self) -> str:
        return "c2c" if self.kind == "c2c" else "b2c"


# The Listing columns a Card copies, by name.
CARD_COLUMNS = (
    Listing.id,
    Listing.kind,
    Listing.account_id,
    Listing.title,
    Listing.brand,
    Listing.model,
    Listing.colorway,
    Listing.category,
    Listing.gender,
    Listing.condition,
    Listing.min_price_cents,
)


def _sizes_column(in_stock: bool):
    """A listing's EU sizes joined by commas (all, or those with a pair to sell)."""
    sizes_query = select(func.aggregate_strings(Variant.size_eu, ",")).where(
        Variant.listing_id == Listing.id
    )
    if in_stock:
        sizes_query = sizes_query.where(Variant.stock > Variant.reserved)
    return sizes_query.scalar_subquery()


# What a card shows beyond the listing's own columns, each a subquery per listing: one query
# for a whole page's sizes, thumbnails and provenance.
CARD_EXTRAS = (
    _sizes_column(in_stock=False).label("all_sizes"),
    _sizes_column(in_stock=True).label("stocked_sizes"),
    select(Photo.thumb_filename)
    .where(Photo.listing_id == Listing.id)
    .order_by(Photo.position, Photo.id)
    .limit(1)
    .scalar_subquery()
    .label("thumb_filename"),
    exists().where(Provenance.listing_id == Listing.id).label("bought_here"),
)


def _size_list(joined: str | None) -> tuple[str, ...]:
    return tuple(sorted(joined.split(","), key=sizes.sort_key)) if joined else ()


def cards(statement: Select) -> list[Card]:
    """The cards of the listings `statement` selects (over CARD_COLUMNS), in its order."""
    rows = db.session.execute(statement).all()
    if not rows:
        return []
    # The extras are read apart from the page: in the page query they would be worked out
    # for every row an OFFSET skips too.
    extras = {
        row.id: row
        for row in db.session.execute(
            select(Listing.id, *CARD_EXTRAS).where(Listing.id.in_([row.id for row in rows]))
        )
    }
    return [_card(row, extras[row.id]) for row in rows]


def _card(row, extra) -> Card:
    return Card(
        **row._mapping,
        sizes=_size_list(extra.all_sizes),
        sizes_in_stock=_size_list(extra.stocked_sizes),
        thumb_filename=extra.thumb_filename,
        bought_here=bool(extra.bought_here),
    )


def search_cards(query: CatalogQuery) -> Page:
    """One page of the public catalog matching `query`, as cards."""
    statement, score = filtered(query, select(*CARD_COLUMNS))
    total = _count(statement, query)
    return Page(cards(_paged(statement, query, score, total)), total, query.page, query.per_page)


def _count(statement: Select, query: CatalogQuery) -> int:
    """How many listings match, remembered for about CATALOG_COUNT_CACHE_SECONDS per set of
    filters (counting every match is the costly part of a catalog page)."""
    filters = (
        search_terms(query.q),
        (query.brand or "").strip().lower(),
        query.category,
        query.gender,
        query.size_eu,
        query.min_price_cents,
        query.max_price_cents,
        query.mode,
        query.condition,
        query.exclude_company_id,
    )
    key = "catalog-count:" + hashlib.sha256(repr(filters).encode()).hexdigest()
    total = cache.get(key)
    if total is None:
        total = db.session.scalar(statement.with_only_columns(func.count()).order_by(None)) or 0
        cache.set(key, total, timeout=spread(current_app.config["CATALOG_COUNT_CACHE_SECONDS"]))
    return total


BRANDS_KEY = "catalog-brands"


def brands(max_age_seconds: int = 60) -> list[str]:
    """Brands with active listings, for the filter list (recomputed about once a minute)."""
    names = cache.get(BRANDS_KEY)
    if names is None:
        names = list(
            db.session.scalars(
                select(Listing.brand)
                .where(Listing.status == "active")
                .group_by(Listing.brand)
                .order_by(Listing.brand)
            )
        )
        cache.set(BRANDS_KEY, names, timeout=spread(max_age_seconds))
    return names


def forget_brands() -> None:
    cache.delete(BRANDS_KEY)


def newest(limit: int = 8, mode: str | None = None) -> list[Card]:
    """The latest active listings of the public catalog."""
    return cards(
        select(*CARD_COLUMNS)
        .where(Listing.status == "active", _visible_in_mode(mode))
        .order_by(Listing.created_at.desc(), Listing.id.desc())
        .limit(limit)
    )


def can_manage(listing: Listing, account: Account | None) -> bool:
    """Whether `account` owns the listing (a member of its company, or its C2C seller)."""
    if account is None or not account.is_authenticated:
        return False
    if listing.kind == "business":
        return account.company_id is not None and account.company_id == listing.company_id
    return listing.account_id == account.id


# One query for a listing with its sizes, photos and seller (a few rows of each): half the
# CPU of a query per collection, and the seller's name is on every answer. Built once.
LISTING_IN_FULL = (
    select(Listing)
    .where(Listing.id == bindparam("listing_id"))
    .options(
        joinedload(Listing.variants),
        joinedload(Listing.photos),
        joinedload(Listing.company),
        joinedload(Listing.owner),
    )
)


def visible_listing(listing_id: int, viewer: Account | None = None) -> Listing:
    """A listing the viewer may see: public ones for everyone, any of their own for owners.

    :raise NotFound: absent, or neither public nor the viewer's.
    """
    listing = db.session.execute(LISTING_IN_FULL, {"listing_id": listing_id}).unique().scalar()
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
