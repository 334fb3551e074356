"""Reviews: the buyer of a delivered order gives 1-5 stars and words; listings show them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from marketplace.exceptions import Conflict, Forbidden, ValidationFailed
from marketplace.extensions import db
from marketplace.services import orders
from models import Account, OrderLine, Review

COMMENT_MAX_LENGTH = 2000


def review_order(order_id: int, account: Account, stars: int, comment: str = "") -> Review:
    """Record the buyer's review of a delivered order, once (for a used pair, each side's
    rating of the other: see c2c.rate); commits.

    :raise NotFound: not an order the account can see. :raise Forbidden: not its buyer.
    :raise Conflict: not delivered yet, or already reviewed.
    :raise ValidationFailed: stars not 1 to 5, or a comment over COMMENT_MAX_LENGTH.
    """
    order = orders.visible_order(order_id, account)
    if order.mode == "c2c":  # used pairs: buyer and seller rate each other instead
        from marketplace.services import c2c

        return c2c.rate(order_id, account, stars, comment)
    if not orders.is_buyer(order, account):
        raise Forbidden("Only the buyer can review an order.")
    # An order that cannot take a review says so before anything typed is judged.
    if order.delivered_at is None:
        raise Conflict("You can review an order once it has been delivered.", code="not_delivered")
    if order_review(order.id) is not None:
        raise Conflict("You have already reviewed this order.", code="already_reviewed")
    comment = (comment or "").strip()
    fields = {}
    if not isinstance(stars, int) or not 1 <= stars <= 5:
        fields["stars"] = ["Give 1 to 5 stars."]
    if len(comment) > COMMENT_MAX_LENGTH:
        fields["comment"] = [f"At most {COMMENT_MAX_LENGTH:,} characters."]
    if fields:
        raise ValidationFailed(fields=fields)
    review = Review(order_id=order.id, account_id=account.id, stars=stars, comment=comment)
    db.session.add(review)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("You have already reviewed this order.", code="already_reviewed") from None
    return review


@dataclass
class ListingReviews:
    """What a listing page shows of its reviews."""

    average: float | None  # stars, one decimal; None without reviews
    count: int
    latest: list[Review]


# Built once: every listing page reads it.
LATEST_OF_LISTING = (
    select(Review, func.count().over(), func.avg(Review.stars).over())
    .where(
        Review.order_id.in_(
            select(OrderLine.order_id).where(OrderLine.listing_id == bindparam("listing_id"))
        )
    )
    .options(joinedload(Review.author))
    .order_by(Review.created_at.desc(), Review.id.desc())
    .limit(bindparam("limit"))
)


def listing_reviews(listing_id: int, limit: int = 5) -> ListingReviews:
    """Average stars and number of the reviews of orders that held the listing, and the
    latest `limit` of them (one query: the totals ride along on each row)."""
    rows = db.session.execute(LATEST_OF_LISTING, {"listing_id": listing_id, "limit": limit}).all()
    if not rows:
        return ListingReviews(None, 0, [])
    _, count, average = rows[0]
    return ListingReviews(round(float(average), 1), int(count), [row[0] for row in rows])


def order_review(order_id: int) -> Review | None:
    return db.session.scalar(select(Review).where(Review.order_id == order_id))
