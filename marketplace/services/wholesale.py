"""B2B wholesale: terms on listings, tier pricing, MOQ and case packs, prepacks, ordering.

Rules (DESIGN.md, B2B): only members of verified buying companies (and the listing's own
company) see wholesale terms. The unit price of a listing's pairs comes from the tier for
the total pairs of that listing in the order, sizes and prepacks together; the MOQ applies
to that same total. Sizes ordered one by one come in steps of the order multiple (a case);
prepacks are cases already. A seller may ask for a minimum order value, lower for
reorders. Payment is prepaid by card or net-30 against the buying company's credit limit.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import joinedload, selectinload

from marketplace import clock, database_id, sizes, whole_number
from marketplace.csvfiles import readable_rows
from marketplace.exceptions import (
    BelowMOQ,
    Conflict,
    CreditLimitExceeded,
    DomainError,
    Forbidden,
    InvalidQuantity,
    NotFound,
    PaymentDeclined,
    ValidationFailed,
)
from marketplace.extensions import db
from marketplace.services import cart, inventory, ledger, orders, payments, pricing
from models import (
    Account,
    Checkout,
    Company,
    Invoice,
    Listing,
    Order,
    OrderEvent,
    OrderLine,
    Prepack,
    PrepackSize,
    Tier,
    Variant,
    WholesaleCartLine,
)

PAYMENT_TERMS = ("prepaid", "net30")
# The most one line of an order may ask for (the API's order lines allow as many).
MAX_LINE_QUANTITY = 1_000_000
MAX_PREPACK_SIZE_PAIRS = 10_000  # pairs of one size in one prepack


# Who sees wholesale terms.


def require_buyer(account: Account) -> Company:
    """The verified buying company `account` orders for.

    :raise Forbidden: not a member of a company verified to buy wholesale.
    """
    if not account.is_wholesale_buyer:
        raise Forbidden("Wholesale is for members of companies verified to buy wholesale.")
    return account.company


def can_see_terms(listing: Listing, account: Account | None) -> bool:
    if account is None or not getattr(account, "is_authenticated", True):
        return False
    owner = account.company_id is not None and account.company_id == listing.company_id
    return owner or (account.is_wholesale_buyer and listing.b2b_enabled)


def wholesale_listing(listing_id: int, account: Account) -> Listing:
    """A listing open to wholesale, for a buyer. :raise NotFound: absent, closed, or hidden."""
    listing = db.session.get(
        Listing,
        listing_id,
        options=[
            selectinload(Listing.variants),
            selectinload(Listing.prepacks).selectinload(Prepack.sizes),
        ],
    )
    if listing is None or listing.kind != "business" or not can_see_terms(listing, account):
        raise NotFound("No such listing.")
    if listing.company_id != account.company_id and (
        listing.status != "active" or not listing.b2b_enabled
    ):
        raise NotFound("No such listing.")
    return listing


# Terms on a listing (called by the listing service for create and update).


def apply_terms(listing: Listing, terms: dict | None, fields: dict[str, list[str]]) -> None:
    """Set the listing's wholesale terms from `terms` ({enabled, moq, order_multiple, tiers,
    prepacks}); problems go to `fields` under `b2b.<field>`."""
    if terms is None:
        return
    listing.b2b_enabled = bool(terms.get("enabled", listing.b2b_enabled))
    listing.b2b_moq = terms.get("moq", listing.b2b_moq) or 1
    listing.b2b_order_multiple = terms.get("order_multiple", listing.b2b_order_multiple) or 1
    if "tiers" in terms and terms["tiers"] is not None:
        rows = sorted(terms["tiers"], key=lambda tier: tier["min_qty"])
        for before, after in zip(rows, rows[1:], strict=False):
            if after["min_qty"] == before["min_qty"]:
                fields.setdefault("b2b.tiers", []).append(
                    f"Two tiers start at {after['min_qty']} pairs."
                )
            elif after["unit_price_cents"] > before["unit_price_cents"]:
                fields.setdefault("b2b.tiers", []).append(
                    f"The tier from {after['min_qty']} pairs costs more than the tier from "
                    f"{before['min_qty']}; bigger orders must not cost more per pair."
                )
        existing = {tier.min_qty: tier for tier in listing.tiers}
        wanted = {t["min_qty"]: t["unit_price_cents"] for t in rows}
        for tier in list(listing.tiers):
            if tier.min_qty not in wanted:
                listing.tiers.remove(tier)
        for min_qty, price in wanted.items():
            if min_qty in existing:
                existing[min_qty].unit_price_cents = price
            else:
                listing.tiers.append(Tier(min_qty=min_qty, unit_price_cents=price))
        listing.tiers.sort(key=lambda tier: tier.min_qty)
    if listing.b2b_enabled:
        if not listing.tiers:
            fields.setdefault("b2b.tiers", []).append("Give at least one tier price.")
        elif listing.tiers[0].min_qty > listing.b2b_moq:
            fields.setdefault("b2b.tiers", []).append(
                f"The first tier starts at {listing.tiers[0].min_qty} pairs, above the MOQ of "
                f"{listing.b2b_moq}: start it at {listing.b2b_moq} or lower."
            )
    if "prepacks" in terms and terms["prepacks"] is not None:
        _apply_prepacks(listing, terms["prepacks"], fields)


def _apply_prepacks(listing: Listing, wanted: list[dict], fields: dict[str, list[str]]) -> None:
    """Keep prepacks that did not change, retire the others (past orders still name them)."""
    by_size = {variant.size_eu: variant for variant in listing.variants}
    current = {prepack.name: prepack for prepack in listing.prepacks if prepack.active}
    keep = set()
    for index, pack in enumerate(wanted):
        name = (pack.get("name") or "").strip()
        runs = {}
        for size, quantity in (pack.get("sizes") or {}).items():
            try:
                size = sizes.normalize_eu(size)
            except ValueError as exc:
                fields.setdefault(f"b2b.prepacks.{index}.sizes", []).append(str(exc))
                continue
            if size not in by_size:
                fields.setdefault(f"b2b.prepacks.{index}.sizes", []).append(
                    f"EU {size} is not a size of this listing."
                )
            elif not isinstance(quantity, int) or not 1 <= quantity <= MAX_PREPACK_SIZE_PAIRS:
                fields.setdefault(f"b2b.prepacks.{index}.sizes", []).append(
                    f"EU {size}: give 1 to {MAX_PREPACK_SIZE_PAIRS:,} pairs."
                )
            else:
                runs[size] = quantity
        if not name:
            fields.setdefault(f"b2b.prepacks.{index}.name", []).append("Name the prepack.")
        if not runs:
            fields.setdefault(f"b2b.prepacks.{index}.sizes", []).append(
                "A prepack holds at least one size."
            )
        if name in keep:
            fields.setdefault(f"b2b.prepacks.{index}.name", []).append(
                "Two prepacks share this name."
            )
        if f"b2b.prepacks.{index}.sizes" in fields or f"b2b.prepacks.{index}.name" in fields:
            continue
        keep.add(name)
        existing = current.get(name)
        if existing and {s.variant.size_eu: s.quantity for s in existing.sizes} == runs:
            continue
        if existing:
            existing.active = False
        prepack = Prepack(name=name[:80], active=True)
        for size, quantity in runs.items():
            variant = by_size[size]
            prepack.sizes.append(PrepackSize(variant=variant, quantity=quantity))
        listing.prepacks.append(prepack)
    for name, prepack in current.items():
        if name not in keep:
            prepack.active = False


def terms_view(listing: Listing) -> dict:
    """The wholesale terms of a listing as API.md shows them."""
    return {
        "enabled": listing.b2b_enabled,
        "moq": listing.b2b_moq,
        "order_multiple": listing.b2b_order_multiple,
        "tiers": [
            {"min_qty": t.min_qty, "unit_price_cents": t.unit_price_cents} for t in listing.tiers
        ],
        "prepacks": [
            {
                "id": prepack.id,
                "name": prepack.name,
                "sizes": {s.variant.size_eu: s.quantity for s in prepack.sizes},
                "pairs": prepack.pairs,
            }
            for prepack in listing.prepacks
            if prepack.active
        ],
    }


# Pricing.


def tier_for(listing: Listing, pairs: int) -> Tier | None:
    """The tier that prices `pairs` pairs of the listing (the highest one reached)."""
    reached = [tier for tier in listing.tiers if tier.min_qty <= pairs]
    return reached[-1] if reached else None


def nearest_multiples(quantity: int, step: int) -> list[int]:
    lower = quantity // step * step
    return [n for n in (lower, lower + step) if n > 0]


@dataclass(frozen=True)
class Problem:
    """A rule an order breaks; `field` is `lines.<i>` when one requested line causes it."""

    code: str
    message: str
    field: str = "lines"


@dataclass
class PlannedListing:
    """The pairs of one listing in one order, priced together."""

    listing: Listing
    items: list[dict] = field(default_factory=list)  # {variant, quantity, prepack, packs, index}
    unit_price_cents: int | None = None
    tier_min_qty: int | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def pairs(self) -> int:
        return sum(item["quantity"] for item in self.items)

    @property
    def subtotal_cents(self) -> int:
        return self.pairs * (self.unit_price_cents or 0)


@dataclass
class PlannedOrder:
    """One seller's part of a wholesale order."""

    seller: Company
    listings: list[PlannedListing]
    reorder: bool
    minimum_cents: int

    @property
    def subtotal_cents(self) -> int:
        return sum(planned.subtotal_cents for planned in self.listings)

    @property
    def fee_cents(self) -> int:
        return pricing.policy("b2b").fee(self.subtotal_cents)

    @property
    def shortfall_cents(self) -> int:
        return max(0, self.minimum_cents - self.subtotal_cents)

    @property
    def problems(self) -> list[Problem]:
        found = [problem for planned in self.listings for problem in planned.problems]
        if self.shortfall_cents:
            from marketplace.templating import money

            kind = "reorder" if self.reorder else "first order"
            found.append(
                Problem(
                    "below_minimum_order",
                    f"{self.seller.name} asks for at least {money(self.minimum_cents)}"
                    f" on a {kind}: add {money(self.shortfall_cents)} more.",
                )
            )
        return found


def _in_chunks(keys: list, load: Callable[[list], Iterable]) -> list:
    """What `load` gives for `keys`, asked a thousand keys at a time (a database caps the
    parameters of one statement), so an order of many lines costs a few queries."""
    found: list = []
    for start in range(0, len(keys), 1000):
        found += load(keys[start : start + 1000])
    return found


def _ids(lines: list[dict], name: str) -> list[int]:
    return sorted({v for line in lines if isinstance(v := line.get(name), int) and 0 < v < 2**31})


def _resolve(lines: list[dict], buyer: Account) -> tuple[list[dict], dict[str, list[str]]]:
    """Each requested line as {variant|prepack, quantity, listing}; bad ones in `fields`."""
    variants = {
        variant.id: variant
        for variant in _in_chunks(
            _ids(lines, "variant_id"),
            lambda ids: db.session.scalars(
                select(Variant).where(Variant.id.in_(ids)).options(joinedload(Variant.listing))
            ),
        )
    }
    prepacks = {
        prepack.id: prepack
        for prepack in _in_chunks(
            _ids(lines, "prepack_id"),
            lambda ids: db.session.scalars(
                select(Prepack)
                .where(Prepack.id.in_(ids))
                .options(joinedload(Prepack.listing), selectinload(Prepack.sizes))
            ),
        )
    }
    fields: dict[str, list[str]] = {}
    resolved = []
    for index, line in enumerate(lines):
        quantity = line.get("quantity")
        if not isinstance(quantity, int) or quantity < 1:
            fields[f"lines.{index}.quantity"] = ["Give a whole number of 1 or more."]
            continue
        if line.get("prepack_id") is not None:
            prepack = (
                prepacks.get(line["prepack_id"]) if isinstance(line["prepack_id"], int) else None
            )
            if prepack is None or not prepack.active or not _orderable(prepack.listing, buyer):
                fields[f"lines.{index}.prepack_id"] = ["No such prepack on wholesale."]
                continue
            resolved.append(
                {
                    "listing": prepack.listing,
                    "prepack": prepack,
                    "quantity": quantity,
                    "index": index,
                }
            )
        elif line.get("variant_id") is not None:
            variant = (
                variants.get(line["variant_id"]) if isinstance(line["variant_id"], int) else None
            )
            if variant is None or not _orderable(variant.listing, buyer):
                fields[f"lines.{index}.variant_id"] = ["No such size on wholesale."]
                continue
            resolved.append(
                {
                    "listing": variant.listing,
                    "variant": variant,
                    "quantity": quantity,
                    "index": index,
                }
            )
        else:
            fields[f"lines.{index}"] = ["Give a variant_id or a prepack_id."]
    return resolved, fields


def _orderable(listing: Listing, buyer: Account) -> bool:
    return (
        listing.kind == "business"
        and listing.status == "active"
        and listing.b2b_enabled
        and listing.company_id != buyer.company_id
    )


def _has_ordered_before(buyer_company_id: int, seller_company_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(func.count(Order.id)).where(
                Order.buyer_company_id == buyer_company_id,
                Order.seller_company_id == seller_company_id,
                Order.mode == "b2b",
                Order.status.not_in(("cancelled", "expired", "pending_payment")),
            )
        )
    )


def plan(
    buyer: Account, lines: list[dict], unit_price_override: int | None = None
) -> list[PlannedOrder]:
    """Price wholesale lines into one order per seller, noting every rule they break.

    :raise ValidationFailed: a line names no size or prepack this buyer may order.
    """
    company = require_buyer(buyer)
    resolved, fields = _resolve(lines, buyer)
    if fields:
        raise ValidationFailed("Some lines cannot be ordered.", fields=fields)
    by_listing: dict[int, PlannedListing] = {}
    for line in resolved:
        planned = by_listing.setdefault(line["listing"].id, PlannedListing(line["listing"]))
        if "prepack" in line:
            for size in line["prepack"].sizes:
                planned.items.append(
                    {
                        "variant": size.variant,
                        "quantity": size.quantity * line["quantity"],
                        "prepack": line["prepack"],
                        "packs": line["quantity"],
                    }
                )
        else:
            planned.items.append(
                {
                    "variant": line["variant"],
                    "quantity": line["quantity"],
                    "prepack": None,
                    "packs": None,
                    "index": line["index"],
                }
            )
    for planned in by_listing.values():
        listing = planned.listing
        step = listing.b2b_order_multiple or 1
        for item in planned.items:
            if item["prepack"] is None and item["quantity"] % step:
                near = " or ".join(str(n) for n in nearest_multiples(item["quantity"], step))
                planned.problems.append(
                    Problem(
                        InvalidQuantity.code,
                        f"{listing.title}, EU {item['variant'].size_eu}: {item['quantity']}"
                        f" {'pair is' if item['quantity'] == 1 else 'pairs are'} not a whole"
                        f" number of cases of {step}; order {near}.",
                        f"lines.{item['index']}",
                    )
                )
        if unit_price_override is not None:
            planned.unit_price_cents = unit_price_override
        else:
            if planned.pairs < listing.b2b_moq:
                planned.problems.append(
                    Problem(
                        BelowMOQ.code,
                        f"{listing.title}: the minimum order is {listing.b2b_moq} pairs "
                        f"(sizes and prepacks together); you have {planned.pairs}.",
                    )
                )
            # below the MOQ (where the first tier starts at the latest) the first tier's
            # price shows what the pairs will cost; the MOQ problem keeps it from an order
            tier = tier_for(listing, planned.pairs) or (listing.tiers[0] if listing.tiers else None)
            if tier is not None:
                planned.unit_price_cents, planned.tier_min_qty = tier.unit_price_cents, tier.min_qty
    by_seller: dict[int, list[PlannedListing]] = {}
    for planned in by_listing.values():
        by_seller.setdefault(planned.listing.company_id, []).append(planned)
    result = []
    for seller_id, listings in by_seller.items():
        seller = db.session.get(Company, seller_id)
        reorder = _has_ordered_before(company.id, seller_id)
        minimum = seller.min_order_reorder_cents if reorder else seller.min_order_first_cents
        result.append(
            PlannedOrder(
                seller, listings, reorder, 0 if unit_price_override is not None else minimum
            )
        )
    return result


def raise_problems(planned: list[PlannedOrder]) -> None:
    """:raise BelowMOQ, InvalidQuantity, ValidationFailed: the first kind of problem found,
    with every problem's message."""
    problems = [problem for order in planned for problem in order.problems]
    if not problems:
        return
    code = problems[0].code
    error = {BelowMOQ.code: BelowMOQ, InvalidQuantity.code: InvalidQuantity}.get(
        code, ValidationFailed
    )
    fields: dict[str, list[str]] = {}
    for problem in problems:
        fields.setdefault(problem.field, []).append(problem.message)
    raise error(" ".join(problem.message for problem in problems), fields=fields, code=code)


def _lock_credit(company: Company) -> int:
    """Lock the company row and return what its open invoices already owe."""
    db.session.execute(
        update(Company)
        .where(Company.id == company.id)
        .values(credit_limit_cents=Company.credit_limit_cents)
    )
    return open_invoices_cents(company.id)


def open_invoices_cents(company_id: int) -> int:
    """What the company's open (unpaid) invoices owe."""
    return db.session.scalar(
        select(func.coalesce(func.sum(Invoice.amount_cents), 0)).where(
            Invoice.company_id == company_id, Invoice.status == "open"
        )
    )


def credit_left_cents(company: Company) -> int:
    """How much more the company may order on net-30 terms now (never below zero)."""
    return max(0, company.credit_limit_cents - open_invoices_cents(company.id))


def place_order(
    buyer: Account,
    lines: list[dict] | None,
    *,
    payment_terms: str,
    po_number: str | None = None,
    card_number: str | None = None,
    quote=None,
) -> list[Order]:
    """Place a wholesale order (one per seller), prepaid by card or on net-30; commits once.
    `lines=None` orders the buyer's wholesale cart, held against a second checkout from
    another tab and emptied by the order.

    :raise Forbidden: not a wholesale buyer. :raise ValidationFailed: bad lines, terms,
        card, or below a seller's minimum order value. :raise BelowMOQ, InvalidQuantity.
    :raise OutOfStock: any size (of a prepack too) is short; nothing is ordered.
    :raise CreditLimitExceeded: net-30 beyond the company's credit limit.
    :raise PaymentDeclined: the card was refused; nothing is ordered.
    """
    company = require_buyer(buyer)
    if payment_terms not in PAYMENT_TERMS:
        raise ValidationFailed(fields={"payment_terms": ["Choose prepaid or net30."]})
    card = None
    if payment_terms == "prepaid":
        card = payments.card_digits(card_number)
    po_number = (po_number or "").strip()[:60] or None
    from_cart = lines is None
    if from_cart:
        cart.lock(buyer)
        lines = cart_lines(buyer)
    planned = plan(buyer, lines, quote.unit_price_cents if quote is not None else None)
    if not planned:
        raise ValidationFailed("Nothing to order.", fields={"lines": ["Add at least one line."]})
    raise_problems(planned)
    total = sum(order.subtotal_cents for order in planned)

    if payment_terms == "net30":  # the credit check and the order are one transaction
        owed = _lock_credit(company)
        if owed + total > company.credit_limit_cents:
            from marketplace.templating import money

            raise CreditLimitExceeded(
                f"This order of {money(total)} would take {company.name} beyond its credit"
                f" limit of {money(company.credit_limit_cents)} ({money(owed)} already open"
                " on invoices).",
                credit_limit_cents=company.credit_limit_cents,
                open_invoices_cents=owed,
            )
    inventory.reserve(
        (item["variant"].id, item["quantity"])
        for order in planned
        for listing in order.listings
        for item in listing.items
    )
    checkout = Checkout(
        buyer_id=buyer.id, total_cents=total, shipping_method="standard", shipping_address={}
    )
    db.session.add(checkout)
    created = []
    hold_until = clock.now() + timedelta(minutes=current_app.config["PAYMENT_HOLD_MINUTES"])
    for draft in planned:
        order = Order(
            mode="b2b",
            status="pending_payment",
            buyer_id=buyer.id,
            buyer_company_id=company.id,
            seller_company_id=draft.seller.id,
            subtotal_cents=draft.subtotal_cents,
            shipping_cents=0,
            fee_cents=draft.fee_cents,
            total_cents=draft.subtotal_cents,
            payment_terms=payment_terms,
            po_number=po_number,
            quote_id=quote.id if quote is not None else None,
            hold_expires_at=hold_until,
            shipping_address={"name": company.name},
        )
        for planned_listing in draft.listings:
            for item in planned_listing.items:
                variant = item["variant"]
                order.lines.append(
                    OrderLine(
                        listing_id=planned_listing.listing.id,
                        variant_id=variant.id,
                        prepack_id=item["prepack"].id if item["prepack"] else None,
                        quantity=item["quantity"],
                        unit_price_cents=planned_listing.unit_price_cents,
                        tier_min_qty=planned_listing.tier_min_qty,
                        title=planned_listing.listing.title,
                        size_eu=variant.size_eu,
                        sku=variant.sku,
                    )
                )
        order.events.append(
            OrderEvent(
                status="pending_payment",
                actor_id=buyer.id,
                note=f"Wholesale order, {payment_terms}.",
            )
        )
        checkout.orders.append(order)
        created.append(order)
    db.session.flush()

    emails = []
    if payment_terms == "net30":
        due = clock.now() + timedelta(days=current_app.config["NET_TERMS_DAYS"])
        for order in created:
            orders.transition(
                order, "invoiced", actor_id=buyer.id, note=f"Invoice due {due:%d %b %Y}."
            )
            order.due_date = due
            inventory.commit(orders.stock_lines(order))
            orders.post_capture(order, source=ledger.RECEIVABLES)
            db.session.add(
                Invoice(
                    order_id=order.id,
                    company_id=company.id,
                    seller_company_id=order.seller_company_id,
                    amount_cents=order.total_cents,
                    due_date=due,
                )
            )
            emails += orders.confirmation_emails(order)
    else:
        result = payments.provider().charge(
            total, card, f"Solemate wholesale checkout {checkout.id}"
        )
        if result.status == "declined":
            db.session.rollback()
            raise PaymentDeclined(result.message or "The card was declined.")
        payments.record_charge(result, total, card, checkout_id=checkout.id)
        if result.status == "succeeded":
            for order in created:
                orders.capture(order, actor_id=buyer.id, note="Paid by card.")
                emails += orders.confirmation_emails(order)
    if from_cart:
        db.session.execute(
            delete(WholesaleCartLine).where(WholesaleCartLine.account_id == buyer.id)
        )
    db.session.commit()
    orders.send_emails(emails)
    return created


# Invoices.


def company_invoices(company_id: int, *, seller: bool | None = False) -> list[Invoice]:
    """The company's invoices as buyer (seller=False), as seller (True), or both (None)."""
    if seller is None:
        condition = (Invoice.company_id == company_id) | (Invoice.seller_company_id == company_id)
    else:
        condition = (Invoice.seller_company_id if seller else Invoice.company_id) == company_id
    return list(
        db.session.scalars(
            select(Invoice)
            .where(condition)
            .options(selectinload(Invoice.order))
            .order_by(Invoice.due_date.desc())
        )
    )


def invoice_for(order_id: int, account: Account) -> Invoice:
    """The invoice of an order, for the buying or selling company. :raise NotFound."""
    invoice = db.session.scalar(select(Invoice).where(Invoice.order_id == order_id))
    parties = (invoice.company_id, invoice.seller_company_id) if invoice is not None else ()
    party = account.company_id is not None and account.company_id in parties
    if invoice is None or not (party or account.is_admin):
        raise NotFound("No such invoice.")
    return invoice


def is_overdue(invoice: Invoice) -> bool:
    return invoice.status == "open" and invoice.due_date < clock.now()


def pay_invoice(order_id: int, account: Account, card_number: str) -> Invoice:
    """The buying company pays an open invoice by card; the receivable clears. Commits.

    :raise NotFound: not an invoice of the account's company. :raise Forbidden: the seller.
    :raise Conflict: already paid or void. :raise PaymentDeclined: the card was refused.
    """
    invoice = invoice_for(order_id, account)
    if account.company_id != invoice.company_id:
        raise Forbidden("Only the buying company pays its invoices.")
    card = payments.card_digits(card_number)
    claimed = db.session.execute(
        update(Invoice)
        .where(Invoice.id == invoice.id, Invoice.status == "open")
        .values(status="paid", paid_at=clock.now())
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        raise Conflict("This invoice is not open.", code="invoice_not_open")
    result = payments.provider().charge(
        invoice.amount_cents, card, f"Solemate invoice for order {order_id}"
    )
    if result.status != "succeeded":
        db.session.rollback()
        raise PaymentDeclined(result.message or "The card was declined.")
    payments.record_charge(result, invoice.amount_cents, card, order_id=order_id)
    ledger.post(
        "settle",
        ledger.settle_reference(invoice.order),
        [(ledger.CLEARING, invoice.amount_cents), (ledger.RECEIVABLES, -invoice.amount_cents)],
        order_id=order_id,
        memo=f"Invoice for order #{order_id} paid",
    )
    order = invoice.order
    if order.status == "invoiced":
        orders.transition(order, "paid", actor_id=account.id, note="Invoice paid.")
    db.session.commit()
    db.session.refresh(invoice)
    return invoice


# Orders from a CSV file and reorders.


def _wholesale_sizes(rows: list[tuple[int, dict]]) -> tuple[dict, dict]:
    """The sizes (by SKU) and active prepacks (by id) the rows name that are on wholesale
    now, read together rather than one query per row."""
    skus = sorted({values["sku"] for _, values in rows if values.get("sku")})
    typed = (whole_number(values.get("prepack_id")) for _, values in rows)
    # ids no row can have (database_id gives 0) would overflow PostgreSQL's IN list
    ids = sorted({database_id(number) for number in typed if number is not None} - {0})
    on_wholesale = (Listing.b2b_enabled.is_(True), Listing.status == "active")
    variants = _in_chunks(
        skus,
        lambda chunk: db.session.scalars(
            select(Variant).join(Variant.listing).where(Variant.sku.in_(chunk), *on_wholesale)
        ),
    )
    prepacks = _in_chunks(
        ids,
        lambda chunk: db.session.scalars(
            select(Prepack)
            .join(Prepack.listing)
            .where(Prepack.id.in_(chunk), Prepack.active.is_(True), *on_wholesale)
        ),
    )
    return {v.sku: v for v in variants}, {p.id: p for p in prepacks}


def lines_from_csv(data: bytes | str) -> list[dict]:
    """Order lines from `sku,quantity` / `prepack_id,quantity` rows (a header first).

    :raise ValidationFailed: with `lines`: every bad line and why (the header is line 1).
    """
    text = data.decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else data
    for _ in readable_rows(csv.reader(io.StringIO(text))):
        pass  # refuse what the csv module cannot read before reading the lines
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    reader.fieldnames = header
    if "quantity" not in header or not ({"sku", "prepack_id"} & set(header)):
        raise ValidationFailed(
            "The CSV needs a header line: sku,quantity or prepack_id,quantity.",
            fields={"file": ["Columns needed: sku,quantity (or prepack_id,quantity)."]},
        )
    rows = []
    for row in reader:
        values = {key: (value or "").strip() for key, value in row.items() if key}
        if any(values.values()):
            rows.append((reader.line_num, values))
    variants, prepacks = _wholesale_sizes(rows)
    lines, bad = [], []
    for number, values in rows:
        quantity_text = values.get("quantity", "")
        quantity = whole_number(quantity_text)
        if quantity is None or quantity < 1:
            bad.append(
                {
                    "line": number,
                    "message": "quantity must be a whole number of 1 or more,"
                    f" not {quantity_text[:20]!r}.",
                }
            )
            continue
        if quantity > MAX_LINE_QUANTITY:
            bad.append(
                {"line": number, "message": f"quantity is more than {MAX_LINE_QUANTITY} pairs."}
            )
            continue
        if values.get("prepack_id"):
            prepack_id = whole_number(values["prepack_id"])
            if prepack_id is None:
                bad.append({"line": number, "message": "prepack_id must be a number."})
                continue
            prepack = prepacks.get(prepack_id)
            if prepack is None:
                bad.append({"line": number, "message": f"no prepack {prepack_id} on wholesale."})
                continue
            lines.append({"prepack_id": prepack.id, "quantity": quantity, "line": number})
        elif values.get("sku"):
            variant = variants.get(values["sku"])
            if variant is None:
                bad.append(
                    {"line": number, "message": f"no size with SKU {values['sku']!r} on wholesale."}
                )
                continue
            lines.append({"variant_id": variant.id, "quantity": quantity, "line": number})
        else:
            bad.append({"line": number, "message": "give a sku or a prepack_id."})
    if bad:
        raise ValidationFailed(
            f"{len(bad)} line(s) of the file cannot be ordered; nothing was ordered.",
            fields={"file": [f"Line {b['line']}: {b['message']}" for b in bad]},
            lines=bad,
        )
    if not lines:
        raise ValidationFailed(fields={"file": ["The file has no order lines."]})
    return lines


def order_from_csv(buyer: Account, data: bytes | str, **terms) -> list[Order]:
    """Place the order a CSV file describes, or nothing. Raises like place_order, plus
    ValidationFailed listing every bad line."""
    require_buyer(buyer)
    lines = lines_from_csv(data)
    try:
        return place_order(
            buyer, [{k: v for k, v in line.items() if k != "line"} for line in lines], **terms
        )
    except ValidationFailed as error:
        # Name the file's line numbers instead of the positions in the line list.
        renamed, bad = {}, []
        for name, messages in error.fields.items():
            parts = name.split(".")
            if parts[0] == "lines" and len(parts) > 1 and parts[1].isdigit():
                number = lines[int(parts[1])]["line"]
                renamed[f"line {number}"] = messages
                bad += [{"line": number, "message": message} for message in messages]
            else:
                renamed[name] = messages
        error.fields = renamed
        if bad:
            error.details["lines"] = sorted(bad, key=lambda entry: entry["line"])
        raise


def reorder_lines(order: Order) -> list[dict]:
    """The lines of a past wholesale order, prepacks again as prepacks while they still exist."""
    lines, packs = [], {}
    for line in order.lines:
        prepack = db.session.get(Prepack, line.prepack_id) if line.prepack_id else None
        if prepack is not None and prepack.active:
            per_pack = next(
                (s.quantity for s in prepack.sizes if s.variant_id == line.variant_id), None
            )
            if per_pack:
                packs[prepack.id] = line.quantity // per_pack
                continue
        lines.append({"variant_id": line.variant_id, "quantity": line.quantity})
    return lines + [
        {"prepack_id": prepack_id, "quantity": count} for prepack_id, count in packs.items()
    ]


def reorder(order_id: int, account: Account, **terms) -> list[Order]:
    """Order the same pairs again at today's prices. Raises like place_order, and NotFound
    when the order is not the account company's wholesale order."""
    order = orders.visible_order(order_id, account)
    if order.mode != "b2b" or not orders.is_buyer(order, account):
        raise NotFound("No such wholesale order.")
    terms.setdefault("payment_terms", order.payment_terms)
    return place_order(account, reorder_lines(order), **terms)


# The wholesale cart of the pages.


def cart_lines(account: Account) -> list[dict]:
    rows = db.session.scalars(
        select(WholesaleCartLine)
        .where(WholesaleCartLine.account_id == account.id)
        .order_by(WholesaleCartLine.id)
    ).all()
    return [
        {"variant_id": row.variant_id, "quantity": row.quantity}
        if row.variant_id
        else {"prepack_id": row.prepack_id, "quantity": row.quantity}
        for row in rows
    ]


def set_cart_listing(
    account: Account,
    listing_id: int,
    size_quantities: dict[int, int],
    pack_quantities: dict[int, int],
) -> None:
    """Replace what the cart holds of one listing with a size matrix and prepack counts;
    commits. :raise ValidationFailed: a count above MAX_LINE_QUANTITY (nothing changes)."""
    listing = wholesale_listing(listing_id, account)
    require_buyer(account)
    too_many = {
        f"{kind}-{row}": [f"At most {MAX_LINE_QUANTITY:,} per line."]
        for kind, counts in (("size", size_quantities), ("pack", pack_quantities))
        for row, quantity in counts.items()
        if quantity > MAX_LINE_QUANTITY
    }
    if too_many:
        raise ValidationFailed(fields=too_many)
    valid_variants = {variant.id for variant in listing.variants}
    valid_packs = {prepack.id for prepack in listing.prepacks if prepack.active}
    db.session.execute(
        delete(WholesaleCartLine).where(
            WholesaleCartLine.account_id == account.id, WholesaleCartLine.listing_id == listing.id
        )
    )
    for variant_id, quantity in size_quantities.items():
        if quantity and variant_id in valid_variants:
            db.session.add(
                WholesaleCartLine(
                    account_id=account.id,
                    listing_id=listing.id,
                    variant_id=variant_id,
                    quantity=quantity,
                )
            )
    for prepack_id, quantity in pack_quantities.items():
        if quantity and prepack_id in valid_packs:
            db.session.add(
                WholesaleCartLine(
                    account_id=account.id,
                    listing_id=listing.id,
                    prepack_id=prepack_id,
                    quantity=quantity,
                )
            )
    db.session.commit()


def fill_cart(account: Account, lines: list[dict]) -> None:
    """Add lines (a reorder) to the cart, adding to what it holds of the same size or
    prepack; commits."""
    held = {
        (row.variant_id, row.prepack_id): row
        for row in db.session.scalars(
            select(WholesaleCartLine).where(WholesaleCartLine.account_id == account.id)
        )
    }
    for line in lines:
        key = (line.get("variant_id"), line.get("prepack_id"))
        if key in held:
            held[key].quantity += line["quantity"]
            continue
        if line.get("variant_id"):
            variant = db.session.get(Variant, line["variant_id"])
            listing_id = variant.listing_id
        else:
            listing_id = db.session.get(Prepack, line["prepack_id"]).listing_id
        db.session.add(
            WholesaleCartLine(
                account_id=account.id,
                listing_id=listing_id,
                variant_id=line.get("variant_id"),
                prepack_id=line.get("prepack_id"),
                quantity=line["quantity"],
            )
        )
    db.session.commit()


def clear_cart_listing(account: Account, listing_id: int) -> None:
    db.session.execute(
        delete(WholesaleCartLine).where(
            WholesaleCartLine.account_id == account.id, WholesaleCartLine.listing_id == listing_id
        )
    )
    db.session.commit()


def cart_plan(account: Account) -> list[PlannedOrder]:
    """The wholesale cart priced into orders per seller, with every problem noted."""
    lines = cart_lines(account)
    if not lines:
        return []
    try:
        return plan(account, lines)
    except DomainError:
        # Something in the cart is no longer on wholesale: drop those lines and price the rest.
        resolved, _ = _resolve(lines, account)
        keep = [
            {"prepack_id": r["prepack"].id, "quantity": r["quantity"]}
            if "prepack" in r
            else {"variant_id": r["variant"].id, "quantity": r["quantity"]}
            for r in resolved
        ]
        return plan(account, keep) if keep else []


def set_minimum_orders(company_id: int, first_cents: int, reorder_cents: int) -> Company:
    """A seller's minimum wholesale order values (first order, reorder); commits.

    :raise ValidationFailed: negative amounts.
    """
    fields = {}
    for name, value in (
        ("min_order_first_cents", first_cents),
        ("min_order_reorder_cents", reorder_cents),
    ):
        if value < 0:
            fields[name] = ["Must be zero or more."]
    if fields:
        raise ValidationFailed(fields=fields)
    company = db.session.get(Company, company_id)
    company.min_order_first_cents, company.min_order_reorder_cents = first_cents, reorder_cents
    db.session.commit()
    return company
