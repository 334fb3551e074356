"""Offers on used pairs: offer, accept, decline, counter; each waits OFFER_HOURS.

A buyer has at most one open offer per pair, and a pair at most one accepted offer (both
enforced by unique indexes). Accepting holds the pair for the buyer until they pay or the
offer expires; a counter never exceeds the asking price and moves toward the other side's
amount.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from marketplace import clock, mail, ratelimits
from marketplace.exceptions import (
    Conflict,
    Forbidden,
    NotFound,
    OfferExpired,
    OutOfStock,
    ValidationFailed,
)
from marketplace.extensions import db
from marketplace.services import c2c, inventory, jobs
from models import Account, Listing, Offer


def _window():
    return timedelta(hours=current_app.config["OFFER_HOURS"])


def _pair(listing_id: int) -> Listing:
    listing = db.session.get(Listing, listing_id, options=[selectinload(Listing.variants)])
    if listing is None or listing.kind != "c2c" or listing.status != "active":
        raise NotFound("No such pair on sale.")
    return listing


def _check_amount(amount: int, listing: Listing, field: str = "amount_cents") -> None:
    asking = listing.variants[0].price_cents
    if not isinstance(amount, int) or amount < 1:
        raise ValidationFailed(fields={field: ["Offer a positive amount."]})
    if amount > asking:
        raise ValidationFailed(fields={field: ["An offer cannot exceed the asking price."]})


def _check_toward(offer: Offer, amount: int) -> None:
    """A counter meets the other side part way: a seller asks more than the offer it
    answers, a buyer offers less than the seller's counter; an equal or crossing amount
    is an acceptance, and one the wrong way a slip that would cost its sender."""
    from marketplace.templating import money

    if offer.waiting_on == "seller" and amount <= offer.amount_cents:
        message = f"Counter with more than the buyer's {money(offer.amount_cents)}, or accept it."
    elif offer.waiting_on == "buyer" and amount >= offer.amount_cents:
        message = f"Counter with less than the seller's {money(offer.amount_cents)}, or accept it."
    else:
        return
    raise ValidationFailed(fields={"amount_cents": [message]})


def make_offer(listing_id: int, buyer: Account, amount_cents: int) -> Offer:
    """Offer below the asking price; the seller has OFFER_HOURS to answer. Commits.

    :raise NotFound: not a pair on sale. :raise Forbidden: the buyer's own pair, or a
        business account.
    :raise ValidationFailed: not below the asking price. :raise Conflict: an open offer
        of this buyer exists, or the pair is held for someone else.
    :raise RateLimited: the buyer made too many offers lately (OFFER_RATE_LIMIT).
    """
    listing = _pair(listing_id)
    c2c.require_person(buyer, c2c.BUYERS_ARE_PEOPLE)
    if listing.account_id == buyer.id:
        raise Forbidden("You cannot make an offer on your own pair.")
    _check_amount(amount_cents, listing)
    if amount_cents >= listing.variants[0].price_cents:
        raise ValidationFailed(
            fields={"amount_cents": ["Offer less than the asking price, or buy it now."]}
        )
    if db.session.scalar(
        select(Offer.id).where(Offer.listing_id == listing.id, Offer.status == "accepted")
    ):
        raise Conflict("The pair is held for another buyer.", code="pair_reserved")
    ratelimits.spend("OFFER_RATE_LIMIT", buyer.id)
    offer = Offer(
        listing_id=listing.id,
        buyer_id=buyer.id,
        seller_id=listing.account_id,
        amount_cents=amount_cents,
        status="open",
        waiting_on="seller",
        expires_at=clock.now() + _window(),
    )
    db.session.add(offer)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("You already have an open offer on this pair.", code="offer_open") from None
    mail.send(
        listing.owner.email, f"New offer on {listing.title}", f"{buyer.name} offers for your pair."
    )
    return offer


def visible_offer(offer_id: int, account: Account) -> Offer:
    """An offer its buyer or seller may see. :raise NotFound."""
    offer = db.session.get(Offer, offer_id, populate_existing=True)
    if offer is None or account.id not in (offer.buyer_id, offer.seller_id):
        raise NotFound("No such offer.")
    return offer


def _turn(offer_id: int, account: Account) -> Offer:
    """The open offer `account` must answer. :raise NotFound, Forbidden, OfferExpired, Conflict."""
    offer = visible_offer(offer_id, account)
    if offer.status != "open":
        raise Conflict(f"This offer is {offer.status}.", code="illegal_transition")
    if offer.expires_at <= clock.now():
        raise OfferExpired("This offer has expired.")
    waiting = offer.seller_id if offer.waiting_on == "seller" else offer.buyer_id
    if account.id != waiting:
        raise Forbidden("This offer waits on the other side.")
    return offer


def _close(offer: Offer, status: str, **values) -> None:
    result = db.session.execute(
        update(Offer)
        .where(Offer.id == offer.id, Offer.status == "open")
        .values(status=status, responded_at=clock.now(), **values)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict("This offer changed meanwhile.", code="illegal_transition")
    offer.status = status
    for name, value in values.items():
        setattr(offer, name, value)


def accept(offer_id: int, account: Account) -> Offer:
    """Accept the offer waiting on you: the pair is held for the buyer for OFFER_HOURS to pay.
    Commits. :raise Conflict: the pair is sold or held for someone else meanwhile."""
    offer = _turn(offer_id, account)
    listing = _pair(offer.listing_id)
    try:
        _close(offer, "accepted", expires_at=clock.now() + _window())
        inventory.reserve([(listing.variants[0].id, 1)])
        db.session.flush()
    except (OutOfStock, IntegrityError):
        db.session.rollback()
        raise Conflict("The pair is no longer available.", code="pair_reserved") from None
    db.session.commit()
    other = offer.buyer if account.id == offer.seller_id else offer.seller
    mail.send(
        other.email,
        "Offer accepted",
        f"The offer on {listing.title} was accepted;"
        f" pay within {current_app.config['OFFER_HOURS']} hours.",
    )
    return offer


def decline(offer_id: int, account: Account) -> Offer:
    """Decline the offer waiting on you; commits."""
    offer = _turn(offer_id, account)
    _close(offer, "declined")
    db.session.commit()
    return offer


def counter(offer_id: int, account: Account, amount_cents: int) -> Offer:
    """Answer with another amount (never above the asking price); the new offer waits on the
    other side. Commits. Returns the new offer.

    :raise ValidationFailed: above the asking price, or not toward the other side: a seller's
        counter must be more than the offer it answers, a buyer's less (else accept it).
    """
    offer = _turn(offer_id, account)
    listing = _pair(offer.listing_id)
    _check_amount(amount_cents, listing)
    _check_toward(offer, amount_cents)
    ratelimits.spend("OFFER_RATE_LIMIT", account.id)
    _close(offer, "countered")
    db.session.flush()
    reply = Offer(
        listing_id=offer.listing_id,
        buyer_id=offer.buyer_id,
        seller_id=offer.seller_id,
        amount_cents=amount_cents,
        status="open",
        waiting_on="buyer" if offer.waiting_on == "seller" else "seller",
        parent_id=offer.id,
        expires_at=clock.now() + _window(),
    )
    db.session.add(reply)
    db.session.commit()
    return reply


def offers_of(account: Account) -> list[Offer]:
    """Offers the account made or received, newest first."""
    return list(
        db.session.scalars(
            select(Offer)
            .where(or_(Offer.buyer_id == account.id, Offer.seller_id == account.id))
            .options(selectinload(Offer.listing).selectinload(Listing.photos))
            .order_by(Offer.created_at.desc(), Offer.id.desc())
        )
    )


def accepted_for(listing_id: int, buyer_id: int) -> Offer | None:
    return db.session.scalar(
        select(Offer).where(
            Offer.listing_id == listing_id, Offer.buyer_id == buyer_id, Offer.status == "accepted"
        )
    )


@jobs.periodic("expire offers")
def expire_due() -> int:
    """Open offers past their time expire; accepted but unpaid ones let the pair go."""
    now = clock.now()
    opened = db.session.execute(
        update(Offer)
        .where(Offer.status == "open", Offer.expires_at <= now)
        .values(status="expired")
    ).rowcount
    db.session.commit()
    released = 0
    for offer in db.session.scalars(
        select(Offer).where(Offer.status == "accepted", Offer.expires_at <= now)
    ).all():
        result = db.session.execute(
            update(Offer)
            .where(Offer.id == offer.id, Offer.status == "accepted")
            .values(status="expired")
        )
        if result.rowcount == 1:
            listing = db.session.get(Listing, offer.listing_id)
            inventory.release([(listing.variants[0].id, 1)])
            released += 1
        db.session.commit()
    return opened + released
