"""Managers' shops: B2M terms on listings, the B2M catalog, shop items, public shops.

A business opens a listing to B2M with a base price (what it gets per pair) and a retail
range managers may ask (base < min <= suggested <= max). A manager puts the listing in
their shop at a price inside the range; if the seller narrows the range later, items
outside it stop being sellable until the manager fixes their price.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from marketplace.exceptions import Conflict, NotFound, PriceOutOfRange
from marketplace.extensions import db
from marketplace.pagination import Page
from marketplace.services import catalog
from marketplace.templating import money
from models import Listing, Manager, ShopItem

TERMS = ("base_price_cents", "min_retail_cents", "max_retail_cents", "suggested_retail_cents")


def apply_terms(listing: Listing, terms: dict | None, fields: dict[str, list[str]]) -> None:
    """Set a listing's B2M terms from {enabled, base_price_cents, min_retail_cents,
    max_retail_cents, suggested_retail_cents}; problems go to `fields` as `b2m.<field>`."""
    if terms is None:
        return
    listing.b2m_enabled = bool(terms.get("enabled", listing.b2m_enabled))
    for name in TERMS:
        if name in terms:
            setattr(listing, f"b2m_{name}", terms[name])
    if not listing.b2m_enabled:
        return
    values = {name: getattr(listing, f"b2m_{name}") for name in TERMS}
    missing = [name for name, value in values.items() if value is None]
    for name in missing:
        fields[f"b2m.{name}"] = ["Required to sell through managers."]
    if missing:
        return
    base, low, suggested, high = (
        values[n]
        for n in (
            "base_price_cents",
            "min_retail_cents",
            "suggested_retail_cents",
            "max_retail_cents",
        )
    )
    if not base < low:
        fields["b2m.min_retail_cents"] = ["The lowest retail price must be above the base price."]
    if not low <= suggested <= high:
        fields["b2m.suggested_retail_cents"] = [
            "The suggested price must lie within the retail range."
        ]
    if not low <= high:
        fields["b2m.max_retail_cents"] = ["The highest retail price must not be below the lowest."]


def terms_view(listing: Listing) -> dict:
    return {
        "enabled": listing.b2m_enabled,
        **{name: getattr(listing, f"b2m_{name}") for name in TERMS},
    }


def can_see_terms(listing: Listing, account) -> bool:
    if account is None or not getattr(account, "is_authenticated", True):
        return False
    owner = account.company_id is not None and account.company_id == listing.company_id
    manager = account.manager is not None and account.manager.is_approved and listing.b2m_enabled
    return owner or manager


def b2m_catalog(query: catalog.CatalogQuery) -> Page:
    """Active listings open to B2M matching the query."""
    query.mode = "b2m"
    return catalog.search(query)


def _check_price(listing: Listing, price: int) -> None:
    low, high = listing.b2m_min_retail_cents, listing.b2m_max_retail_cents
    if not isinstance(price, int) or not low <= price <= high:
        raise PriceOutOfRange(
            f"Choose a retail price between {money(low)} and {money(high)}.",
            fields={"retail_price_cents": [f"Allowed range: {money(low)} to {money(high)}."]},
            min_retail_cents=low,
            max_retail_cents=high,
        )


def _b2m_listing(listing_id: int) -> Listing:
    listing = db.session.get(Listing, listing_id)
    if (
        listing is None
        or listing.kind != "business"
        or listing.status != "active"
        or not listing.b2m_enabled
    ):
        raise NotFound("No such listing open to managers.")
    return listing


def add_item(manager: Manager, listing_id: int, retail_price_cents: int) -> ShopItem:
    """Put a listing in the manager's shop at their price; commits.

    :raise NotFound: not open to B2M. :raise PriceOutOfRange: outside the seller's range.
    :raise Conflict: already in the shop.
    """
    listing = _b2m_listing(listing_id)
    _check_price(listing, retail_price_cents)
    item = ShopItem(
        manager_id=manager.id, listing_id=listing.id, retail_price_cents=retail_price_cents
    )
    db.session.add(item)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(
            "This listing is already in your shop; change its price instead.",
            code="already_in_shop",
        ) from None
    return item


def own_item(manager: Manager, item_id: int) -> ShopItem:
    """:raise NotFound: not an item of this manager's shop."""
    item = db.session.get(ShopItem, item_id)
    if item is None or item.manager_id != manager.id:
        raise NotFound("No such item in your shop.")
    return item


def update_item(manager: Manager, item_id: int, retail_price_cents: int) -> ShopItem:
    """Change an item's price (inside the seller's current range); commits."""
    item = own_item(manager, item_id)
    _check_price(item.listing, retail_price_cents)
    item.retail_price_cents = retail_price_cents
    db.session.commit()
    return item


def remove_item(manager: Manager, item_id: int) -> None:
    """Take an item out of the shop (carts holding it can no longer buy it); commits."""
    item = own_item(manager, item_id)
    from models import CartItem

    db.session.execute(CartItem.__table__.delete().where(CartItem.shop_item_id == item.id))
    db.session.delete(item)
    db.session.commit()


def items(manager: Manager) -> list[ShopItem]:
    return list(
        db.session.scalars(
            select(ShopItem)
            .where(ShopItem.manager_id == manager.id)
            .options(
                selectinload(ShopItem.listing).selectinload(Listing.photos),
                selectinload(ShopItem.listing).selectinload(Listing.variants),
            )
            .order_by(ShopItem.created_at.desc(), ShopItem.id.desc())
        )
    )


def shop(slug: str) -> Manager:
    """An open shop. :raise NotFound."""
    manager = db.session.scalar(
        select(Manager).where(Manager.shop_slug == (slug or "")[:80], Manager.status == "approved")
    )
    if manager is None:
        raise NotFound("No such shop.")
    return manager


def public_items(manager: Manager) -> list[ShopItem]:
    """What a shop shows: the items that can be bought right now."""
    return [item for item in items(manager) if item.sellable]


def item_for(slug: str, listing_id: int) -> ShopItem:
    """The sellable item of a listing in a shop. :raise NotFound."""
    manager = shop(slug)
    item = db.session.scalar(
        select(ShopItem).where(ShopItem.manager_id == manager.id, ShopItem.listing_id == listing_id)
    )
    if item is None or not item.sellable:
        raise NotFound("This shop does not sell that pair.")
    return item


def margin_of(listing: Listing, price: int | None) -> int | None:
    if price is None or listing.b2m_base_price_cents is None:
        return None
    return price - listing.b2m_base_price_cents
