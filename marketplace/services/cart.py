"""Carts: sizes and quantities, priced again every time they are shown and at checkout.

An account's cart is stored in the database; a visitor's lives in the browser session as
plain (variant, quantity) items and merges into the account's cart at sign-in. Both go
through the same checks and the same view.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from marketplace import clock, sizes
from marketplace.exceptions import Conflict, NotFound, ValidationFailed
from marketplace.extensions import (
    commit_keeping_loaded,
    db,
    execute,
    insert_for_dialect,
    insert_now,
)
from marketplace.services import pricing
from models import Account, Cart, CartItem, Listing, ShopItem, Variant, WholesaleCartLine

MAX_PER_LINE = 20
# Used pairs are paid into escrow, one at a time (escrow.buy), never through the cart.
USED_PAIRS_APART = (
    "Used pairs are bought on their own with Buy now (paid into escrow), not in the cart."
)


@dataclass
class CartLine:
    """One cart line as the buyer sees it now."""

    id: int
    variant: Variant
    quantity: int
    unit_price_cents: int
    seen_price_cents: int
    mode: str = "b2c"
    problems: list[str] = field(default_factory=list)
    # Why the line cannot be bought at all (withdrawn, own listing); None when it can.
    blocked: str | None = None
    # B2M: the shop item it came through, the seller's base price and the shop's manager.
    shop_item: ShopItem | None = None
    base_price_cents: int | None = None

    @property
    def shop_slug(self) -> str | None:
        return self.shop_item.manager.shop_slug if self.shop_item else None

    @property
    def manager_account_id(self) -> int | None:
        return self.shop_item.manager.account_id if self.shop_item else None

    @property
    def listing(self) -> Listing:
        return self.variant.listing

    @property
    def total_cents(self) -> int:
        return self.quantity * self.unit_price_cents

    @property
    def price_changed(self) -> bool:
        return self.unit_price_cents != self.seen_price_cents

    @property
    def seller_key(self) -> tuple[str, int, int | None]:
        """One order per seller, and per shop the pairs came through."""
        listing = self.listing
        if listing.kind == "business":
            return ("company", listing.company_id, self.manager_account_id)
        return ("person", listing.account_id, None)


@dataclass
class CartView:
    lines: list[CartLine]

    @property
    def subtotal_cents(self) -> int:
        return sum(line.total_cents for line in self.lines)

    @property
    def pairs(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def problems(self) -> list[str]:
        return [problem for line in self.lines for problem in line.problems]

    @property
    def price_changes(self) -> list[CartLine]:
        return [line for line in self.lines if line.price_changed]

    def by_seller(self) -> dict[tuple, list[CartLine]]:
        groups: dict[tuple, list[CartLine]] = {}
        for line in self.lines:
            groups.setdefault(line.seller_key, []).append(line)
        return groups


WITH_LISTING = [joinedload(Variant.listing)]


def _variant(variant_id: int) -> Variant | None:
    return db.session.get(Variant, variant_id, options=WITH_LISTING)


def _name(variant: Variant) -> str:
    return f"{variant.listing.title} ({sizes.label(variant.size_eu, variant.listing.gender)})"


def blocked_reason(
    variant: Variant, buyer: Account | None, shop_item: ShopItem | None = None
) -> str | None:
    """Why this size cannot be bought at all by this buyer (through this shop), or None."""
    listing = variant.listing
    if shop_item is not None:
        if not shop_item.sellable:
            shop = shop_item.manager.shop_name
            return f"{_name(variant)} is not sold at this price in {shop} anymore."
        if buyer is not None and shop_item.manager.account_id == buyer.id:
            return (
                f"{_name(variant)} is in your own shop; managers cannot buy through their own shop."
            )
    elif listing.status != "active" or (listing.kind == "business" and not listing.b2c_enabled):
        return f"{_name(variant)} is no longer on sale."
    elif listing.kind == "c2c":
        return f"{_name(variant)} is a used pair: {USED_PAIRS_APART}"
    if buyer is not None and _owns(listing, buyer):
        return f"{_name(variant)} is your own listing."
    return None


def line_problems(
    variant: Variant, quantity: int, buyer: Account | None, shop_item: ShopItem | None = None
) -> list[str]:
    """Why this size cannot be bought in this quantity right now (empty when it can)."""
    if reason := blocked_reason(variant, buyer, shop_item):
        return [reason]
    name = _name(variant)
    available = variant.stock - variant.reserved
    if available <= 0:
        return [f"{name} is sold out."]
    if quantity > available:
        return [f"{name}: only {available} left."]
    return []


def _owns(listing: Listing, buyer: Account) -> bool:
    if listing.kind == "business":
        return buyer.company_id is not None and buyer.company_id == listing.company_id
    return listing.account_id == buyer.id


def _checked_variant(
    variant_id: int, quantity: int, buyer: Account | None, shop_slug: str | None = None
) -> tuple[Variant, ShopItem | None]:
    """The size (and shop item) to add. :raise NotFound: no such size on sale, or not in
    that shop. :raise ValidationFailed, Conflict: see add()."""
    from marketplace.services import shops

    if not 1 <= quantity <= MAX_PER_LINE:
        raise ValidationFailed(fields={"quantity": [f"Choose 1 to {MAX_PER_LINE} pairs."]})
    variant = _variant(variant_id)
    if variant is None:
        raise NotFound("No such size.")
    listing = variant.listing
    item = shops.item_for(shop_slug, listing.id) if shop_slug else None
    if item is None and (
        listing.status != "active" or (listing.kind == "business" and not listing.b2c_enabled)
    ):
        raise NotFound("No such size.")
    if listing.kind == "c2c":
        raise ValidationFailed(
            USED_PAIRS_APART, fields={"variant_id": [USED_PAIRS_APART]}, code="used_pair"
        )
    if buyer is not None and _owns(listing, buyer):
        raise Conflict("You cannot buy your own listing.", code="own_listing")
    if item is not None and buyer is not None and item.manager.account_id == buyer.id:
        raise Conflict("Managers cannot buy through their own shop.", code="own_shop")
    return variant, item


# A cart with its lines, their sizes, listings and shop items: one query, built once.
CART_OF_ACCOUNT = (
    select(Cart)
    .where(Cart.account_id == bindparam("account_id"))
    .options(
        joinedload(Cart.items).joinedload(CartItem.variant).joinedload(Variant.listing),
        joinedload(Cart.items).joinedload(CartItem.shop_item),
    )
)


def _account_cart(account: Account, create: bool) -> Cart | None:
    cart = (
        db.session.execute(CART_OF_ACCOUNT, {"account_id": account.id})
        .unique()
        .scalar_one_or_none()
    )
    if cart is None and create:
        cart = Cart(account_id=account.id)
        db.session.add(cart)
        db.session.flush()
    return cart


def add(
    account: Account,
    variant_id: int,
    quantity: int = 1,
    shop_slug: str | None = None,
    seen_price_cents: int | None = None,
    up_to_limit: bool = False,
) -> CartView:
    """Add pairs of one size to the account's cart (adding to the line already there); commits.

    `seen_price_cents` is the price the buyer was shown, when not today's (a visitor's cart
    joining at sign-in), so a change since is announced. With `up_to_limit`, a line that
    would pass MAX_PER_LINE is filled to it instead of refused.
    :raise NotFound: the size is not on sale, or no shop has that slug.
    :raise Conflict: the buyer's own listing.
    :raise ValidationFailed: a quantity outside 1..MAX_PER_LINE in all, or a used pair
        (code `used_pair`: those are bought apart, into escrow).
    """
    variant, shop_item = _checked_variant(variant_id, quantity, account, shop_slug)
    shop_item_id = shop_item.id if shop_item else None
    price = shop_item.retail_price_cents if shop_item else variant.price_cents
    cart = _account_cart(account, create=True)
    item = next(
        (i for i in cart.items if i.variant_id == variant.id and i.shop_item_id == shop_item_id),
        None,
    )
    if item is None:
        seen = price if seen_price_cents is None else seen_price_cents
        item = CartItem(
            cart_id=cart.id,
            variant_id=variant.id,
            shop_item_id=shop_item_id,
            quantity=quantity,
            seen_price_cents=seen,
        )
        set_committed_value(cart, "items", [*cart.items, insert_now(item)])
    elif item.quantity + quantity > MAX_PER_LINE and up_to_limit:
        item.quantity = MAX_PER_LINE
    elif item.quantity + quantity > MAX_PER_LINE:
        raise ValidationFailed(fields={"quantity": [f"At most {MAX_PER_LINE} pairs of one size."]})
    else:
        item.quantity += quantity
    commit_keeping_loaded()
    return _view_of(cart, account)


def set_quantity(account: Account, item_id: int, quantity: int) -> CartView:
    """Change a line's quantity (0 removes it); commits. :raise NotFound: not in this cart."""
    cart = _account_cart(account, create=False)
    item = next((i for i in cart.items if i.id == item_id), None) if cart else None
    if item is None:
        raise NotFound("No such cart line.")
    if quantity == 0:
        cart.items.remove(item)
    else:
        _checked_variant(
            item.variant_id,
            quantity,
            account,
            item.shop_item.manager.shop_slug if item.shop_item else None,
        )
        item.quantity = quantity
    db.session.commit()
    return view(account)


def remove(account: Account, item_id: int) -> CartView:
    """Take a line out of the cart; commits. :raise NotFound: not in this cart."""
    return set_quantity(account, item_id, 0)


def lock(account: Account) -> None:
    """Hold the account's carts (B2C and wholesale) for the caller's transaction: a second
    checkout from another tab waits until this one commits or rolls back, then reads what
    it left behind, so one cart is never bought twice. Cart rows loaded before are expired."""
    now = clock.now()
    execute(
        insert_for_dialect(Cart)
        .values(account_id=account.id, created_at=now, updated_at=now)
        .on_conflict_do_update(index_elements=["account_id"], set_={"updated_at": now})
    )
    for instance in list(db.session.identity_map.values()):
        if isinstance(instance, (Cart, CartItem, WholesaleCartLine)):
            db.session.expire(instance)


EMPTY_CART = delete(CartItem).where(
    CartItem.cart_id.in_(select(Cart.id).where(Cart.account_id == bindparam("account_id")))
)


def clear(account: Account) -> None:
    """Empty the cart in the caller's transaction (checkout does this)."""
    execute(EMPTY_CART, {"account_id": account.id})
    for instance in list(db.session.identity_map.values()):
        if isinstance(instance, (Cart, CartItem)):
            db.session.expire(instance)


def _line(
    id_: int,
    variant: Variant,
    quantity: int,
    seen: int,
    buyer: Account | None,
    shop_item: ShopItem | None = None,
) -> CartLine:
    if shop_item is not None:
        price = pricing.policy("b2m").shop_price(shop_item)
    else:
        price = pricing.policy("b2c").unit_price(variant)
    return CartLine(
        id=id_,
        variant=variant,
        quantity=quantity,
        unit_price_cents=price.unit_price_cents,
        seen_price_cents=seen,
        mode="b2m" if shop_item is not None else "b2c",
        problems=line_problems(variant, quantity, buyer, shop_item),
        blocked=blocked_reason(variant, buyer, shop_item),
        shop_item=shop_item,
        base_price_cents=price.base_price_cents,
    )


def view(account: Account) -> CartView:
    """The account's cart at today's prices, with what is wrong with each line."""
    return _view_of(_account_cart(account, create=False), account)


def _view_of(cart: Cart | None, account: Account) -> CartView:
    if cart is None:
        return CartView([])
    return CartView(
        [
            _line(i.id, i.variant, i.quantity, i.seen_price_cents, account, i.shop_item)
            for i in cart.items
        ]
    )


# Visitor carts: a list of {"variant_id", "quantity", "seen"} dicts kept in the session;
# their lines are numbered from 1 like database ids.


def session_add(
    items: list[dict], variant_id: int, quantity: int = 1, shop_slug: str | None = None
) -> list[dict]:
    """The visitor's items with pairs of one size added. Raises like add()."""
    variant, shop_item = _checked_variant(variant_id, quantity, None, shop_slug)
    slug = shop_item.manager.shop_slug if shop_item else None
    items = [dict(item) for item in items]
    for item in items:
        if item["variant_id"] == variant.id and item.get("shop") == slug:
            if item["quantity"] + quantity > MAX_PER_LINE:
                raise ValidationFailed(
                    fields={"quantity": [f"At most {MAX_PER_LINE} pairs of one size."]}
                )
            item["quantity"] += quantity
            return items
    price = shop_item.retail_price_cents if shop_item else variant.price_cents
    items.append({"variant_id": variant.id, "quantity": quantity, "seen": price, "shop": slug})
    return items


def session_view(items: list[dict]) -> CartView:
    """A visitor's cart; its lines are numbered from 1, as their cart forms address them."""
    from marketplace.services import shops

    lines = []
    for number, item in enumerate(items, start=1):
        variant = _variant(item["variant_id"])
        if variant is None:
            continue
        shop_item = None
        if item.get("shop"):
            try:
                shop_item = shops.item_for(item["shop"], variant.listing_id)
            except NotFound:
                continue  # the shop dropped the pair
        seen = item.get("seen", variant.price_cents)
        lines.append(_line(number, variant, item["quantity"], seen, None, shop_item))
    return CartView(lines)


def merge(account: Account, items: list[dict]) -> list[str]:
    """Move a visitor's items into the account's cart after sign-in; commits. Returns what
    the buyer should hear about the items that could not move whole.

    Items that cannot be bought by this account (gone, or its own) are left out; a line that
    would pass MAX_PER_LINE with what the account's cart held is filled to the limit.
    """
    current = view(account)
    before = current.pairs
    moving = sum(item["quantity"] for item in items)
    left_out = 0
    for item in items:
        try:
            current = add(
                account,
                item["variant_id"],
                item["quantity"],
                shop_slug=item.get("shop"),
                seen_price_cents=item.get("seen"),
                up_to_limit=True,
            )
        except (NotFound, Conflict, ValidationFailed):
            db.session.rollback()
            left_out += item["quantity"]
    notices = []
    if left_out:
        notices.append(
            f"{_pairs(left_out)} from before you signed in could not join your cart: "
            "no longer on sale, or your own."
        )
    if capped := moving - left_out - (current.pairs - before):
        notices.append(
            f"{_pairs(capped)} did not fit: a cart holds at most {MAX_PER_LINE} pairs of one size."
        )
    return notices


def _pairs(count: int) -> str:
    return f"{count} pair{'' if count == 1 else 's'}"
