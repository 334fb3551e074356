"""Quotes: a wholesale buyer asks for a price on a quantity; the seller answers with a unit
price valid for some days; the buyer accepts before expiry with a size split and gets an
order at that price. `jobs run` expires quotes whose validity has passed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import selectinload

from marketplace import clock, mail, sizes
from marketplace.exceptions import Conflict, Forbidden, NotFound, QuoteExpired, ValidationFailed
from marketplace.extensions import db
from marketplace.services import jobs, wholesale
from models import Account, Listing, Order, Quote

MAX_VALID_DAYS = 90


def request_quote(buyer: Account, listing_id: int, quantity: int, message: str = "") -> Quote:
    """Ask the listing's seller for a price on `quantity` pairs; commits.

    :raise Forbidden: not a wholesale buyer. :raise NotFound: not on wholesale.
    :raise ValidationFailed: quantity below the listing's MOQ, message too long.
    """
    company = wholesale.require_buyer(buyer)
    listing = wholesale.wholesale_listing(listing_id, buyer)
    if listing.company_id == company.id:
        raise NotFound("No such listing.")
    fields = {}
    if quantity < listing.b2b_moq:
        fields["quantity"] = [f"Ask for at least the MOQ of {listing.b2b_moq} pairs."]
    if len(message or "") > 2000:
        fields["message"] = ["At most 2000 characters."]
    if fields:
        raise ValidationFailed(fields=fields)
    quote = Quote(
        listing_id=listing.id,
        buyer_account_id=buyer.id,
        buyer_company_id=company.id,
        seller_company_id=listing.company_id,
        quantity=quantity,
        message=(message or "").strip(),
        status="requested",
    )
    db.session.add(quote)
    db.session.commit()
    for member in listing.company.members:
        mail.send(
            member.email,
            f"Quote request #{quote.id}",
            f"{company.name} asks for a price on {quantity} pairs of {listing.title}.",
        )
    return quote


def visible_quote(quote_id: int, account: Account) -> Quote:
    """A quote of the account's company, as buyer or seller. :raise NotFound."""
    quote = db.session.get(
        Quote,
        quote_id,
        options=[selectinload(Quote.listing).selectinload(Listing.variants)],
        populate_existing=True,
    )
    if quote is None or account.company_id not in (quote.buyer_company_id, quote.seller_company_id):
        raise NotFound("No such quote.")
    return quote


def company_quotes(company_id: int, status: str | None = None) -> list[Quote]:
    """Quotes the company asked for or was asked for, newest first."""
    query = (
        select(Quote)
        .where(or_(Quote.buyer_company_id == company_id, Quote.seller_company_id == company_id))
        .options(selectinload(Quote.listing))
        .order_by(Quote.created_at.desc(), Quote.id.desc())
    )
    if status:
        query = query.where(Quote.status == status)
    return list(db.session.scalars(query))


def _move(quote: Quote, expected: str, **values) -> None:
    result = db.session.execute(
        update(Quote).where(Quote.id == quote.id, Quote.status == expected).values(**values)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict(f"This quote is no longer {expected}.", code="illegal_transition")
    for name, value in values.items():
        setattr(quote, name, value)


def respond(
    quote_id: int, seller: Account, unit_price_cents: int, valid_days: int, note: str = ""
) -> Quote:
    """The seller quotes a unit price valid for `valid_days`; commits.

    :raise NotFound: not the seller's quote (or the buyer's: Forbidden). :raise Conflict:
        already answered. :raise ValidationFailed: price or validity out of range.
    """
    quote = visible_quote(quote_id, seller)
    if seller.company_id != quote.seller_company_id:
        raise Forbidden("Only the seller answers a quote.")
    fields = {}
    if not isinstance(unit_price_cents, int) or unit_price_cents < 0:
        fields["unit_price_cents"] = ["Give a price of 0 or more cents."]
    if not isinstance(valid_days, int) or not 1 <= valid_days <= MAX_VALID_DAYS:
        fields["valid_days"] = [f"Keep the offer open 1 to {MAX_VALID_DAYS} days."]
    if fields:
        raise ValidationFailed(fields=fields)
    now = clock.now()
    _move(
        quote,
        "requested",
        status="quoted",
        unit_price_cents=unit_price_cents,
        valid_until=now + timedelta(days=valid_days),
        responded_at=now,
        seller_note=(note or "").strip()[:2000],
    )
    db.session.commit()
    mail.send(
        quote.buyer.email,
        f"Quote #{quote.id} answered",
        f"{quote.seller_company.name} quoted your request.",
    )
    return quote


def decline(quote_id: int, seller: Account, note: str = "") -> Quote:
    """The seller declines a requested quote; commits."""
    quote = visible_quote(quote_id, seller)
    if seller.company_id != quote.seller_company_id:
        raise Forbidden("Only the seller answers a quote.")
    _move(
        quote,
        "requested",
        status="declined",
        responded_at=clock.now(),
        seller_note=(note or "").strip()[:2000],
    )
    db.session.commit()
    return quote


def size_lines(quote: Quote, split: dict[str, int]) -> list[dict]:
    """Order lines for a size split like {"41": 10, "42": 14}.

    :raise ValidationFailed: unknown sizes, or pairs that do not add up to the quote.
    """
    by_size = {variant.size_eu: variant for variant in quote.listing.variants}
    lines, fields = [], {}
    for size, quantity in (split or {}).items():
        try:
            size = sizes.normalize_eu(size)
        except ValueError as exc:
            fields[f"sizes.{size}"] = [str(exc)]
            continue
        if size not in by_size:
            fields[f"sizes.{size}"] = ["Not a size of this listing."]
        elif not isinstance(quantity, int) or quantity < 0:
            fields[f"sizes.{size}"] = ["Give 0 or more pairs."]
        elif quantity:
            lines.append({"variant_id": by_size[size].id, "quantity": quantity})
    total = sum(line["quantity"] for line in lines)
    if not fields and total != quote.quantity:
        fields["sizes"] = [f"The sizes add up to {total} pairs; the quote is for {quote.quantity}."]
    if fields:
        raise ValidationFailed(fields=fields)
    return lines


def accept(quote_id: int, buyer: Account, split: dict[str, int], **terms) -> Order:
    """Accept a quote before it expires: an order at the quoted price. Commits once.

    :raise QuoteExpired: past its validity. :raise Conflict: not quoted (yet, or anymore).
    Raises like wholesale.place_order otherwise.
    """
    quote = visible_quote(quote_id, buyer)
    if buyer.company_id != quote.buyer_company_id:
        raise Forbidden("Only the buying company accepts a quote.")
    if quote.status == "expired" or (quote.status == "quoted" and quote.valid_until <= clock.now()):
        raise QuoteExpired("This quote has expired; ask for a new one.")
    if quote.status != "quoted":
        raise Conflict(
            f"This quote is {quote.status}, not open to accept.", code="illegal_transition"
        )
    lines = size_lines(quote, split)
    # Claim the quote and place its order in one transaction.
    _move(quote, "quoted", status="accepted", accepted_at=clock.now())
    try:
        created = wholesale.place_order(buyer, lines, quote=quote, **terms)
    except Exception:
        db.session.rollback()
        raise
    return created[0]


@jobs.periodic("expire quotes")
def expire_due() -> int:
    result = db.session.execute(
        update(Quote)
        .where(Quote.status == "quoted", Quote.valid_until <= clock.now())
        .values(status="expired")
    )
    db.session.commit()
    return result.rowcount
