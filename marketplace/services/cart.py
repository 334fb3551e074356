"""Carts: sizes and quantities, priced again every time they are shown and at checkout.

An account's cart is stored in the database; a visitor's lives in the browser session as
plain (variant, quantity) items and merges into the account's cart at sign-in. Both go
through the same checks and the same view.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace import sizes
from marketplace.exceptions import Conflict, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.services import pricing
from models import Account, Cart, CartItem, Listing, Variant

MAX_PER_LINE = 20


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

    @property
    def listing(self) -> Listing:
        return self.variant.listing

    @property
    def total_cents(self) -> int:
        return self.quantity * self.unit_price_cents

    @property
    def size_label(self) -> str:
        return sizes.label(self.variant.size_eu, self.listing.gender)

    @property
    def price_changed(self) -> bool:
        return self.unit_price_cents != self.seen_price_cents

    @property
    def seller_key(self) -> tuple[str, int]:
        listing = self.listing
        if listing.kind == "business":
            return ("company", listing.company_id)
        return ("person", listing.account_id)


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

    def by_seller(self) -> dict[tuple[str, int], list[CartLine]]:
        groups: dict[tuple[str, int], list[CartLine]] = {}
        for line in self.lines:
            groups.setdefault(line.seller_key, []).append(line)
        return groups


def _variant(variant_id: int) -> Variant | None:
    return db.session.get(Variant, variant_id, options=[selectinload(Variant.listing)])


def _name(variant: Variant) -> str:
    return f"{variant.listing.title} ({sizes.label(variant.size_eu, variant.listing.gender)})"


def blocked_reason(variant: Variant, buyer: Account | None) -> str | None:
    """Why this size cannot be bought at all by this buyer, or None."""
    listing = variant.listing
    if listing.status != "active" or (listing.kind == "business" and not listing.b2c_enabled):
        return f"{_name(variant)} is no longer on sale."
    if buyer is not None and _owns(listing, buyer):
        return f"{_name(variant)} is your own listing."
    return None


def line_problems(variant: Variant, quantity: int, buyer: Account | None) -> list[str]:
    """Why this size cannot be bought in this quantity right now (empty when it can)."""
    if reason := blocked_reason(variant, buyer):
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


def _checked_variant(variant_id: int, quantity: int, buyer: Account | None) -> Variant:
    """:raise NotFound: no such size on sale. :raise ValidationFailed, Conflict: see add()."""
    if not 1 <= quantity <= MAX_PER_LINE:
        raise ValidationFailed(fields={"quantity": [f"Choose 1 to {MAX_PER_LINE} pairs."]})
    variant = _variant(variant_id)
    if variant is None:
        raise NotFound("No such size.")
    listing = variant.listing
    if listing.status != "active" or (listing.kind == "business" and not listing.b2c_enabled):
        raise NotFound("No such size.")
    if buyer is not None and _owns(listing, buyer):
        raise Conflict("You cannot buy your own listing.", code="own_listing")
    return variant


def _account_cart(account: Account, create: bool) -> Cart | None:
    cart = db.session.scalar(
        select(Cart)
        .where(Cart.account_id == account.id)
        .options(
            selectinload(Cart.items).selectinload(CartItem.variant).selectinload(Variant.listing)
        )
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
) -> CartView:
    """Add pairs of one size to the account's cart (adding to the line already there); commits.

    `seen_price_cents` is the price the buyer was shown, when not today's (a visitor's cart
    joining at sign-in), so a change since is announced.
    :raise NotFound: the size is not on sale, or no shop has that slug.
    :raise Conflict: the buyer's own listing.
    :raise ValidationFailed: a quantity outside 1..MAX_PER_LINE in all.
    """
    if shop_slug:
        raise NotFound("No such shop.")
    variant = _checked_variant(variant_id, quantity, account)
    cart = _account_cart(account, create=True)
    item = next((i for i in cart.items if i.variant_id == variant.id), None)
    if item is None:
        seen = variant.price_cents if seen_price_cents is None else seen_price_cents
        cart.items.append(CartItem(variant_id=variant.id, quantity=quantity, seen_price_cents=seen))
    elif item.quantity + quantity > MAX_PER_LINE:
        raise ValidationFailed(fields={"quantity": [f"At most {MAX_PER_LINE} pairs of one size."]})
    else:
        item.quantity += quantity
    db.session.commit()
    return view(account)


def set_quantity(account: Account, item_id: int, quantity: int) -> CartView:
    """Change a line's quantity (0 removes it); commits. :raise NotFound: not in this cart."""
    cart = _account_cart(account, create=False)
    item = next((i for i in cart.items if i.id == item_id), None) if cart else None
    if item is None:
        raise NotFound("No such cart line.")
    if quantity == 0:
        cart.items.remove(item)
    else:
        _checked_variant(item.variant_id, quantity, account)
        item.quantity = quantity
    db.session.commit()
    return view(account)


def remove(account: Account, item_id: int) -> CartView:
    """Take a line out of the cart; commits. :raise NotFound: not in this cart."""
    return set_quantity(account, item_id, 0)


def clear(account: Account) -> None:
    """Empty the cart in the caller's transaction (checkout does this)."""
    cart = _account_cart(account, create=False)
    if cart is not None:
        cart.items.clear()


def _line(id_: int, variant: Variant, quantity: int, seen: int, buyer: Account | None) -> CartLine:
    price = pricing.policy("b2c").unit_price(variant)
    return CartLine(
        id=id_,
        variant=variant,
        quantity=quantity,
        unit_price_cents=price.unit_price_cents,
        seen_price_cents=seen,
        problems=line_problems(variant, quantity, buyer),
        blocked=blocked_reason(variant, buyer),
    )


def view(account: Account) -> CartView:
    """The account's cart at today's prices, with what is wrong with each line."""
    cart = _account_cart(account, create=False)
    if cart is None:
        return CartView([])
    return CartView(
        [_line(i.id, i.variant, i.quantity, i.seen_price_cents, account) for i in cart.items]
    )


# Visitor carts: a list of {"variant_id", "quantity", "seen"} dicts kept in the session;
# their lines are numbered from 1 like database ids.


def session_add(items: list[dict], variant_id: int, quantity: int = 1) -> list[dict]:
    """The visitor's items with pairs of one size added. Raises like add()."""
    variant = _checked_variant(variant_id, quantity, None)
    items = [dict(item) for item in items]
    for item in items:
        if item["variant_id"] == variant.id:
            if item["quantity"] + quantity > MAX_PER_LINE:
                raise ValidationFailed(
                    fields={"quantity": [f"At most {MAX_PER_LINE} pairs of one size."]}
                )
            item["quantity"] += quantity
            return items
    items.append({"variant_id": variant.id, "quantity": quantity, "seen": variant.price_cents})
    return items


def session_view(items: list[dict]) -> CartView:
    """A visitor's cart; its lines are numbered from 1, as their cart forms address them."""
    lines = []
    for number, item in enumerate(items, start=1):
        variant = _variant(item["variant_id"])
        if variant is not None:
            seen = item.get("seen", variant.price_cents)
            lines.append(_line(number, variant, item["quantity"], seen, None))
    return CartView(lines)


def merge(account: Account, items: list[dict]) -> None:
    """Move a visitor's items into the account's cart after sign-in; commits.

    Items that cannot be bought by this account (gone, or its own) are dropped.
    """
    for item in items:
        try:
            add(account, item["variant_id"], item["quantity"], seen_price_cents=item.get("seen"))
        except (NotFound, Conflict, ValidationFailed):
            db.session.rollback()
