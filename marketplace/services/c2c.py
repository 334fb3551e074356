"""C2C: people selling one used (or unworn) pair at a time; messages; ratings and profiles.

A used listing has exactly one variant holding one pair, 1-8 photos and a condition grade.
It is `active` while on sale, `sold` once paid for, `withdrawn` when its seller takes it
off sale. A pair bought on Solemate can be resold with its provenance shown.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import Select, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from marketplace import clock, ratelimits, sizes
from marketplace.exceptions import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.pagination import Page, paginate
from marketplace.services import catalog, jobs, orders, reviews
from marketplace.services.storage import new_name, storage
from models import (
    Account,
    Listing,
    Message,
    Offer,
    Order,
    OrderLine,
    Photo,
    Provenance,
    Rating,
    StagedPhoto,
    Variant,
)
from models.listings import C2C_CONDITIONS, CATEGORIES

if TYPE_CHECKING:
    from marketplace.services.uploads import ProcessedImage

MAX_PHOTOS = 8
KEPT_PHOTO_HOURS = 24
MAX_KEPT_PHOTOS = 2 * MAX_PHOTOS  # a seller's kept photos, across tries and tabs
MIN_PRICE_CENTS = 100
MAX_PRICE_CENTS = 10_000_000
TEXT_LIMITS = {"title": 200, "brand": 80, "model": 120, "colorway": 80, "description": 5000}


SELLERS_ARE_PEOPLE = "Used pairs are sold by people; business accounts use the seller console."
BUYERS_ARE_PEOPLE = "Used pairs are bought by people; business accounts buy wholesale."


def require_person(account: Account, message: str = SELLERS_ARE_PEOPLE) -> None:
    """:raise Forbidden: a business account (C2C trade is between people)."""
    if not account.is_person:
        raise Forbidden(message)


def _check(data: dict, partial: bool = False) -> tuple[dict, dict[str, list[str]]]:
    """Cleaned values of a used listing and what is wrong with them."""
    fields: dict[str, list[str]] = {}
    clean = {}
    for name, limit in TEXT_LIMITS.items():
        if name not in data and partial:
            continue
        value = str(data.get(name) or "").strip()
        if name in ("title", "brand", "model") and not value:
            fields[name] = ["Required."]
        elif len(value) > limit:
            fields[name] = [f"At most {limit} characters."]
        clean[name] = value
    if "size_eu" in data or not partial:
        try:
            clean["size_eu"] = sizes.normalize_eu(
                data.get("size_eu") if data.get("size_eu") is not None else ""
            )
        except ValueError as exc:
            fields["size_eu"] = [str(exc)]
    if "gender" in data or not partial:
        if data.get("gender") not in sizes.GENDERS:
            fields["gender"] = [f"Choose one of {', '.join(sizes.GENDERS)}."]
        clean["gender"] = data.get("gender")
    if "condition" in data or not partial:
        if data.get("condition") not in C2C_CONDITIONS:
            fields["condition"] = [f"Choose one of {', '.join(C2C_CONDITIONS)}."]
        clean["condition"] = data.get("condition")
    if "category" in data or not partial:
        category = data.get("category") or "lifestyle"
        if category not in CATEGORIES:
            fields["category"] = [f"Choose one of {', '.join(CATEGORIES)}."]
        clean["category"] = category
    if "price_cents" in data or not partial:
        price = data.get("price_cents")
        if (
            not isinstance(price, int)
            or isinstance(price, bool)
            or not MIN_PRICE_CENTS <= price <= MAX_PRICE_CENTS
        ):
            fields["price_cents"] = [
                f"Ask between {MIN_PRICE_CENTS // 100} and {MAX_PRICE_CENTS // 100}"
                f" {current_app.config['CURRENCY']}."
            ]
        clean["price_cents"] = price
    return clean, fields


def _save_image(image: ProcessedImage) -> dict:
    """Store a processed image and its thumbnail; the columns a Photo or StagedPhoto needs."""
    name = new_name()
    thumb = name.replace(".jpg", "_thumb.jpg")
    storage().save(image.full, name)
    storage().save(image.thumb, thumb)
    return {"filename": name, "thumb_filename": thumb, "width": image.width, "height": image.height}


def _store_photos(listing: Listing, images: list, kept: Sequence[StagedPhoto] = ()) -> None:
    """Add the kept photos (their files as they are), then the new images, after the
    listing's photos."""
    position = max((photo.position for photo in listing.photos), default=-1)
    for columns in [_photo_columns(photo) for photo in kept] + [_save_image(i) for i in images]:
        position += 1
        listing.photos.append(Photo(position=position, **columns))


def _photo_columns(photo: StagedPhoto) -> dict:
    return {
        "filename": photo.filename,
        "thumb_filename": photo.thumb_filename,
        "width": photo.width,
        "height": photo.height,
    }


def keep_photos(seller: Account, uploads: Sequence[bytes]) -> list[StagedPhoto]:
    """Keep the images among `uploads` (at most MAX_PHOTOS; re-encoded and stripped like a
    listing's photos) for the seller's next try at a sell form that came back with errors,
    so they need not be uploaded again. Files that are not acceptable images are left out
    (the form's photo error says why). Kept photos last KEPT_PHOTO_HOURS, and a seller
    has at most MAX_KEPT_PHOTOS: the oldest beyond that are deleted. Commits."""
    from marketplace.services.uploads import process_image

    kept = []
    for data_bytes in uploads[:MAX_PHOTOS]:
        try:
            image = process_image(data_bytes)
        except ValidationFailed:
            continue
        kept.append(StagedPhoto(account_id=seller.id, **_save_image(image)))
    db.session.add_all(kept)
    db.session.commit()
    _discard(
        select(StagedPhoto)
        .where(StagedPhoto.account_id == seller.id)
        .order_by(StagedPhoto.id.desc())
        .offset(MAX_KEPT_PHOTOS)
    )
    return kept


def _discard(query: Select) -> int:
    """Delete the kept photos `query` selects, rows then files (each once, whoever else
    deletes them at the same time); how many this call deleted. Commits."""
    files = []
    for photo in db.session.scalars(query).all():
        gone = db.session.execute(delete(StagedPhoto).where(StagedPhoto.id == photo.id))
        if gone.rowcount:
            files += [photo.filename, photo.thumb_filename]
    db.session.commit()
    for name in files:
        storage().delete(name)
    return len(files) // 2


def kept_photos(seller: Account, ids: Iterable[int]) -> list[StagedPhoto]:
    """The seller's kept photos among `ids` (at most MAX_PHOTOS), in that order; unknown,
    expired and other people's ids are left out."""
    wanted = list(dict.fromkeys(ids))[:MAX_PHOTOS]
    if not wanted:
        return []
    found = db.session.scalars(
        select(StagedPhoto).where(
            StagedPhoto.id.in_(wanted),
            StagedPhoto.account_id == seller.id,
            StagedPhoto.created_at >= clock.now() - timedelta(hours=KEPT_PHOTO_HOURS),
        )
    )
    by_id = {photo.id: photo for photo in found}
    return [by_id[photo_id] for photo_id in wanted if photo_id in by_id]


def _claim_kept(kept: Sequence[StagedPhoto]) -> None:
    """Take the kept photos for a listing in this transaction; if another request took one
    first (the form sent twice), nothing is listed twice. :raise ValidationFailed."""
    if not kept:
        return
    claimed = db.session.execute(
        delete(StagedPhoto)
        .where(StagedPhoto.id.in_([photo.id for photo in kept]))
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != len(kept):
        db.session.rollback()
        raise ValidationFailed(
            fields={"photos": ["Those photos were used already. Add your photos again."]}
        )
    for photo in kept:
        db.session.expunge(photo)


@jobs.periodic("delete photos kept from unfinished sell forms")
def purge_kept_photos() -> int:
    """Delete kept photos (rows and files) an hour after they stopped being usable."""
    cutoff = clock.now() - timedelta(hours=KEPT_PHOTO_HOURS + 1)
    return _discard(select(StagedPhoto).where(StagedPhoto.created_at < cutoff))


def create_pair(
    seller: Account,
    data: dict,
    photos: list[bytes],
    *,
    resell_line_id: int | None = None,
    copy_photos: bool = False,
    kept_ids: Iterable[int] = (),
) -> Listing:
    """List one used pair with 1-8 photos (re-encoded, metadata stripped); commits.

    `kept_ids` names photos kept from an earlier try (keep_photos); they come first and
    count towards the 8. With `resell_line_id`, the pair is one bought on Solemate: its
    provenance is recorded and, with `copy_photos`, the original listing's photos are used
    when none are sent or kept.
    :raise Forbidden: not a person. :raise ValidationFailed: a field, or the photos.
    :raise NotFound: the purchase is not the seller's, or all its pairs were resold already.
    """
    from marketplace.services.uploads import process_image

    require_person(seller)
    clean, fields = _check(data)
    source = _resellable_line(resell_line_id, seller) if resell_line_id else None
    kept = kept_photos(seller, kept_ids)
    if source is not None and copy_photos and not photos and not kept:
        photos = [storage().read(photo.filename) for photo in source.listing.photos[:MAX_PHOTOS]]
    if not 1 <= len(kept) + len(photos) <= MAX_PHOTOS:
        fields["photos"] = [f"Add 1 to {MAX_PHOTOS} photos."]
    images = []
    if "photos" not in fields:
        for data_bytes in photos:
            try:
                images.append(process_image(data_bytes))
            except ValidationFailed as error:
                fields.setdefault("photos", []).extend(error.fields.get("photos", []))
                break
    if fields:
        raise ValidationFailed(fields=fields)
    listing = Listing(
        kind="c2c",
        account_id=seller.id,
        status="active",
        b2c_enabled=False,
        min_price_cents=clean["price_cents"],
        **{
            key: clean[key]
            for key in (
                "title",
                "brand",
                "model",
                "colorway",
                "category",
                "gender",
                "description",
                "condition",
            )
        },
    )
    listing.variants.append(
        Variant(
            size_eu=clean["size_eu"],
            size_sort=sizes.sort_key(clean["size_eu"]),
            sku=f"C2C-{secrets.token_hex(6).upper()}",
            stock=1,
            reserved=0,
            price_cents=clean["price_cents"],
        )
    )
    if source is not None:
        # The unique (purchase line, unit) stops two resales of the same pair racing; a
        # resale that starts after another committed finds no pair left here.
        unit = _next_unit(source)
        if unit > source.quantity:
            raise Conflict(
                "You have already relisted every pair of this purchase.", code="already_relisted"
            )
        listing.provenance = Provenance(
            order_line_id=source.id,
            unit=unit,
            purchased_at=source.order.paid_at or source.order.created_at,
        )
    _claim_kept(kept)
    _store_photos(listing, images, kept)
    db.session.add(listing)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(
            "You have already relisted every pair of this purchase.", code="already_relisted"
        ) from None
    catalog.forget_brands()
    return listing


def owned_for_good(order: Order) -> bool:
    """Whether the pairs of this purchase are the buyer's to resell: the order is completed,
    so it can no longer be returned, refunded or disputed (the buyer confirmed it, or its
    return window or a used pair's confirmation time ran out)."""
    return order.status == "completed"


def _resellable_line(order_line_id: int, account: Account) -> OrderLine:
    """A line of the account's own purchase, owned for good, with pairs not yet relisted."""
    line = db.session.get(
        OrderLine,
        order_line_id,
        options=[selectinload(OrderLine.order), selectinload(OrderLine.listing)],
    )
    if line is None or line.order.buyer_id != account.id or not owned_for_good(line.order):
        raise NotFound("No such purchase of yours to resell.")
    if _next_unit(line) > line.quantity:
        raise Conflict(
            "You have already relisted every pair of this purchase.", code="already_relisted"
        )
    return line


def _next_unit(line: OrderLine) -> int:
    """Which pair of the purchase line a new resale would be (1 for the first)."""
    used = db.session.scalar(
        select(func.coalesce(func.max(Provenance.unit), 0)).where(
            Provenance.order_line_id == line.id
        )
    )
    return used + 1


def resell_prefill(order_line_id: int, account: Account) -> dict:
    """What the sell form starts from when reselling a purchase. Raises like create_pair."""
    line = _resellable_line(order_line_id, account)
    original = line.listing
    return {
        "title": original.title,
        "brand": original.brand,
        "model": original.model,
        "colorway": original.colorway,
        "category": original.category,
        "gender": original.gender,
        "size_eu": line.size_eu,
        "purchased_at": line.order.paid_at or line.order.created_at,
        "photos": original.photos,
        "unit_price_cents": line.unit_price_cents,
    }


def own_pair(listing_id: int, seller: Account) -> Listing:
    """One of the seller's used listings. :raise NotFound: absent or someone else's."""
    listing = db.session.get(
        Listing, listing_id, options=[selectinload(Listing.variants), selectinload(Listing.photos)]
    )
    if listing is None or listing.kind != "c2c" or listing.account_id != seller.id:
        raise NotFound("No such listing.")
    return listing


def update_pair(
    listing_id: int,
    seller: Account,
    data: dict,
    photos: list[bytes] = (),
    kept_ids: Iterable[int] = (),
) -> Listing:
    """Change a pair that is still on sale (facts, price, more photos: new ones, and those
    kept from an earlier try named by `kept_ids`); commits.

    :raise Conflict: sold, withdrawn, or held for a buyer. :raise ValidationFailed.
    """
    from marketplace.services.uploads import process_image

    listing = own_pair(listing_id, seller)
    variant = listing.variants[0]
    if listing.status != "active":
        raise Conflict(
            f"This pair is {listing.status}; it can no longer be changed.", code="not_editable"
        )
    clean, fields = _check(data, partial=True)
    kept = kept_photos(seller, kept_ids)
    if len(listing.photos) + len(kept) + len(photos) > MAX_PHOTOS:
        fields["photos"] = [f"A listing has at most {MAX_PHOTOS} photos."]
    images = []
    if photos and "photos" not in fields:
        try:
            images = [process_image(data_bytes) for data_bytes in photos]
        except ValidationFailed as error:
            fields["photos"] = error.fields.get("photos", [])
    if fields:
        raise ValidationFailed(fields=fields)
    if variant.reserved and ("price_cents" in clean or "size_eu" in clean):
        raise Conflict(
            "A buyer holds this pair; its price and size cannot change now.", code="pair_reserved"
        )
    for key in (
        "title",
        "brand",
        "model",
        "colorway",
        "category",
        "gender",
        "description",
        "condition",
    ):
        if key in clean:
            setattr(listing, key, clean[key])
    if "price_cents" in clean:
        variant.price_cents = listing.min_price_cents = clean["price_cents"]
    if "size_eu" in clean:
        variant.size_eu, variant.size_sort = clean["size_eu"], sizes.sort_key(clean["size_eu"])
    _claim_kept(kept)
    _store_photos(listing, images, kept)
    db.session.commit()
    return listing


def withdraw(listing_id: int, seller: Account) -> Listing:
    """Take a pair off sale; open and accepted offers end. Commits.

    :raise Conflict: sold, or a buyer is paying for it right now.
    """
    listing = own_pair(listing_id, seller)
    if listing.status != "active":
        raise Conflict(f"This pair is {listing.status}.", code="not_editable")
    accepted = db.session.scalar(
        select(Offer).where(Offer.listing_id == listing.id, Offer.status == "accepted")
    )
    # The pair leaves stock in one conditional UPDATE of its variant, the row buyers reserve
    # on: a buyer who reserved first makes it fail, a buyer who comes after finds no stock.
    held = 1 if accepted is not None else 0
    taken = db.session.execute(
        update(Variant)
        .where(Variant.id == listing.variants[0].id, Variant.stock == 1, Variant.reserved == held)
        .values(stock=0, reserved=0)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        db.session.rollback()
        raise Conflict("A buyer is paying for this pair right now.", code="pair_reserved")
    db.session.execute(
        update(Offer)
        .where(Offer.listing_id == listing.id, Offer.status.in_(("open", "accepted")))
        .values(status="withdrawn", responded_at=clock.now())
    )
    listing.status = "withdrawn"
    db.session.commit()
    return listing


def relist(listing_id: int, seller: Account) -> Listing:
    """Put a withdrawn pair back on sale; commits. :raise Conflict: not withdrawn."""
    listing = own_pair(listing_id, seller)
    back = db.session.execute(
        update(Listing)
        .where(Listing.id == listing.id, Listing.status == "withdrawn")
        .values(status="active")
    )
    if back.rowcount != 1:
        db.session.rollback()
        raise Conflict(f"This pair is {listing.status}, not withdrawn.", code="not_withdrawn")
    db.session.execute(
        update(Variant).where(Variant.id == listing.variants[0].id).values(stock=1, reserved=0)
    )
    db.session.commit()
    db.session.refresh(listing)
    return listing


def my_pairs(seller: Account) -> list[Listing]:
    return list(
        db.session.scalars(
            select(Listing)
            .where(Listing.kind == "c2c", Listing.account_id == seller.id)
            .options(selectinload(Listing.variants), selectinload(Listing.photos))
            .order_by(Listing.created_at.desc(), Listing.id.desc())
        )
    )


def resold_count(order_line_ids: list[int]) -> dict[int, int]:
    rows = db.session.execute(
        select(Provenance.order_line_id, func.count(Provenance.id))
        .where(Provenance.order_line_id.in_(order_line_ids))
        .group_by(Provenance.order_line_id)
    ).all()
    return dict(rows)


# Messages between a listing's seller and each interested buyer.


def _buyer_of_sale(listing: Listing) -> int | None:
    """The account that bought the pair (its latest order not cancelled or expired)."""
    return db.session.scalar(
        select(Order.buyer_id)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(OrderLine.listing_id == listing.id, Order.status.not_in(("cancelled", "expired")))
        .order_by(Order.id.desc())
        .limit(1)
    )


def _used_listing(listing_id: int) -> Listing:
    listing = db.session.get(Listing, listing_id)
    if listing is None or listing.kind != "c2c":
        raise NotFound("No such listing.")
    return listing


def _thread_owner(
    listing: Listing, viewer: Account, buyer_id: int | None, sold_to: int | None
) -> int:
    """The buyer whose thread `viewer` may use: their own, or (seller) the one named. A
    seller who names none answers the buyer of the sale (`sold_to`), or the only buyer who
    wrote."""
    if listing.account_id != viewer.id:
        return viewer.id
    if buyer_id is not None:
        return buyer_id
    if sold_to is not None:
        return sold_to
    writers = db.session.scalars(
        select(Message.buyer_id).where(Message.listing_id == listing.id).distinct().limit(2)
    ).all()
    if len(writers) == 1:
        return writers[0]
    raise ValidationFailed(fields={"buyer_id": ["Say which buyer you are answering."]})


def _thread_query(listing: Listing, viewer: Account, buyer_id: int | None):
    """The messages `viewer` may read. :raise NotFound: not the seller, nor a buyer with a
    thread (the buyer of the sale always has one, empty or not)."""
    query = select(Message).where(Message.listing_id == listing.id)
    if listing.account_id == viewer.id:
        return query if buyer_id is None else query.where(Message.buyer_id == buyer_id)
    query = query.where(Message.buyer_id == viewer.id)
    if db.session.scalar(query.limit(1)) is None and _buyer_of_sale(listing) != viewer.id:
        raise NotFound("No such conversation.")
    return query


def messages(listing_id: int, viewer: Account, buyer_id: int | None = None) -> list[Message]:
    """The messages `viewer` may read on a used listing, oldest first: a buyer sees their
    thread, the seller every thread (or one buyer's). :raise NotFound: anyone else."""
    query = _thread_query(_used_listing(listing_id), viewer, buyer_id)
    return list(db.session.scalars(query.order_by(Message.id)))


def message_page(
    listing_id: int, viewer: Account, buyer_id: int | None, page: int, per_page: int
) -> Page:
    """One page of messages(), oldest first."""
    query = _thread_query(_used_listing(listing_id), viewer, buyer_id)
    return paginate(query.order_by(Message.id), page, per_page)


def send_message(
    listing_id: int, sender: Account, body: str, buyer_id: int | None = None
) -> Message:
    """Write to the seller (or, as the seller, to one buyer) about a used listing; commits.
    Once the pair is sold, only its buyer and the seller write about it.

    :raise NotFound: not a used listing; a seller writing to someone who neither wrote nor
        bought; anyone but the buyer after the sale.
    :raise ValidationFailed: an empty or overlong message; a seller with several threads
        who names no buyer.
    :raise Forbidden: a business account writing as a buyer (it cannot buy a used pair).
    :raise RateLimited: the sender wrote too many messages lately (MESSAGE_RATE_LIMIT).
    """
    listing = _used_listing(listing_id)
    by_seller = listing.account_id == sender.id
    if not by_seller:
        require_person(sender, BUYERS_ARE_PEOPLE)
    body = (body or "").strip()
    if not body or len(body) > 2000:
        raise ValidationFailed(fields={"body": ["Write 1 to 2000 characters."]})
    sold_to = _buyer_of_sale(listing) if by_seller or listing.status != "active" else None
    thread = _thread_owner(listing, sender, buyer_id, sold_to)
    if by_seller:
        started = db.session.scalar(
            select(Message.id)
            .where(Message.listing_id == listing.id, Message.buyer_id == thread)
            .limit(1)
        )
        if started is None and thread != sold_to:
            raise NotFound("No conversation with that buyer.")
    elif listing.status != "active" and sold_to != sender.id:
        raise NotFound("No such listing on sale.")
    ratelimits.spend("MESSAGE_RATE_LIMIT", sender.id)
    message = Message(listing_id=listing.id, buyer_id=thread, sender_id=sender.id, body=body)
    db.session.add(message)
    db.session.commit()
    return message


def threads(listing_id: int, seller: Account) -> dict[int, list[Message]]:
    """The seller's conversations on a listing, by buyer; the buyer of the sale always has
    one (empty until someone writes), so the seller can write first after the sale."""
    grouped: dict[int, list[Message]] = {}
    sold_to = _buyer_of_sale(_used_listing(listing_id))
    if sold_to is not None:
        grouped[sold_to] = []
    for message in messages(listing_id, seller):
        grouped.setdefault(message.buyer_id, []).append(message)
    return grouped


def buyer_names(buyer_ids) -> dict[int, str]:
    """The names of the buyers of a seller's conversations, by id."""
    ids = list(buyer_ids)
    if not ids:
        return {}
    rows = db.session.execute(select(Account.id, Account.name).where(Account.id.in_(ids)))
    return {account_id: name for account_id, name in rows}


# Ratings: both sides rate once the pair is delivered (API.md: a delivered order); shown
# when both have or after a week.


def rating_refusal(order: Order) -> Conflict | None:
    """Why the sides of this trade cannot rate each other yet (None: they can): before the
    pair is delivered (API.md: a delivered order), and while a dispute about it is open."""
    if order.delivered_at is None:
        return Conflict("You can rate once the pair has been delivered.", code="not_delivered")
    if order.status == "disputed":
        return Conflict("You can rate once the dispute is resolved.", code="dispute_open")
    return None


def rate(order_id: int, rater: Account, stars: int, comment: str = "") -> Rating:
    """Rate the other side of a C2C trade whose pair was delivered, once; commits.

    :raise NotFound: not a party of the order. :raise Conflict: see rating_refusal; rated.
    :raise ValidationFailed: stars not 1 to 5, or a comment over reviews.COMMENT_MAX_LENGTH.
    """
    order = orders.visible_order(order_id, rater)
    if order.mode != "c2c":
        raise NotFound("No such trade.")
    if orders.is_buyer(order, rater):
        role, ratee = "buyer", order.seller_account_id
    elif orders.is_seller(order, rater):
        role, ratee = "seller", order.buyer_id
    else:
        raise Forbidden("Only the buyer and the seller rate a trade.")
    # A trade that cannot take this rating says so before anything typed is judged.
    refusal = rating_refusal(order)
    if refusal is not None:
        raise refusal
    if _rating_by(order.id, rater.id) is not None:
        raise Conflict("You have already rated this trade.", code="already_rated")
    comment = (comment or "").strip()
    fields = {}
    if not isinstance(stars, int) or not 1 <= stars <= 5:
        fields["stars"] = ["Give 1 to 5 stars."]
    if len(comment) > reviews.COMMENT_MAX_LENGTH:
        fields["comment"] = [f"At most {reviews.COMMENT_MAX_LENGTH:,} characters."]
    if fields:
        raise ValidationFailed(fields=fields)
    rating = Rating(
        order_id=order.id,
        rater_id=rater.id,
        ratee_id=ratee,
        role=role,
        stars=stars,
        comment=comment,
    )
    db.session.add(rating)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("You have already rated this trade.", code="already_rated") from None
    return rating


def _rating_by(order_id: int, rater_id: int) -> Rating | None:
    return db.session.scalar(
        select(Rating).where(Rating.order_id == order_id, Rating.rater_id == rater_id)
    )


def _visible_ratings():
    """Ratings whose counterpart exists, or that are older than RATING_REVEAL_DAYS."""
    other = Rating.__table__.alias("other")
    cutoff = clock.now() - timedelta(days=current_app.config["RATING_REVEAL_DAYS"])
    counterpart = (
        select(other.c.id)
        .where(other.c.order_id == Rating.order_id, other.c.rater_id != Rating.rater_id)
        .exists()
    )
    return or_(counterpart, Rating.created_at <= cutoff)


def visible_ratings_of(account_id: int, limit: int = 20) -> list[Rating]:
    return list(
        db.session.scalars(
            select(Rating)
            .where(Rating.ratee_id == account_id, _visible_ratings())
            .order_by(Rating.created_at.desc(), Rating.id.desc())
            .limit(limit)
        )
    )


def rating_summary(account_ids: list[int]) -> dict[int, tuple[float, int]]:
    """Average stars and count of the visible ratings each person received."""
    if not account_ids:
        return {}
    rows = db.session.execute(
        select(Rating.ratee_id, func.avg(Rating.stars), func.count(Rating.id))
        .where(Rating.ratee_id.in_(account_ids), _visible_ratings())
        .group_by(Rating.ratee_id)
    ).all()
    return {ratee: (round(float(avg), 1), int(count)) for ratee, avg, count in rows}


def order_ratings(order: Order, viewer: Account) -> dict:
    """What the viewer may see of a trade's ratings: their own, the other's once shown, and
    whether rating is open (`open`)."""
    order_id = order.id
    found = db.session.scalars(select(Rating).where(Rating.order_id == order_id)).all()
    mine = next((r for r in found if r.rater_id == viewer.id), None)
    theirs = next((r for r in found if r.rater_id != viewer.id), None)
    cutoff = clock.now() - timedelta(days=current_app.config["RATING_REVEAL_DAYS"])
    shown = theirs is not None and (mine is not None or theirs.created_at <= cutoff)
    return {
        "mine": mine,
        "theirs": theirs if shown else None,
        "theirs_hidden": theirs is not None and not shown,
        "open": rating_refusal(order) is None,
    }


def profile(account_id: int) -> dict:
    """A person's public seller profile. :raise NotFound: no such person."""
    person = db.session.get(Account, account_id)
    if person is None or not person.is_person or not person.active:
        raise NotFound("No such person.")
    summary = rating_summary([person.id]).get(person.id)
    completed = db.session.scalar(
        select(func.count(Order.id)).where(
            Order.seller_account_id == person.id, Order.mode == "c2c", Order.status == "completed"
        )
    )
    open_pairs = catalog.cards(
        select(*catalog.CARD_COLUMNS)
        .where(Listing.kind == "c2c", Listing.account_id == person.id, Listing.status == "active")
        .order_by(Listing.created_at.desc(), Listing.id.desc())
    )
    return {
        "person": person,
        "rating": summary[0] if summary else None,
        "ratings_count": summary[1] if summary else 0,
        "completed_sales": completed,
        "listings": open_pairs,
        "ratings": visible_ratings_of(person.id),
    }
