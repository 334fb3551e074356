"""C2C: used listings, offers, buying into escrow, messages, disputes, profiles."""

from flask import request

from blueprints.api.core import current_account, endpoint, listed, page
from marketplace import whole_number
from marketplace.exceptions import ValidationFailed
from marketplace.schemas.c2c import (
    BuyIn,
    DisputeIn,
    DisputeList,
    DisputeOut,
    MessageArgs,
    MessageIn,
    MessageList,
    MessageOut,
    OfferIn,
    OfferList,
    OfferOut,
    ProfileOut,
    ResolveIn,
    UsedPairList,
    UsedPairOut,
    UsedPairPatch,
)
from marketplace.schemas.common import PageArgs
from marketplace.schemas.listings import ListingDetailOut, dump_listing
from marketplace.schemas.orders import OrderOut
from marketplace.services import c2c, escrow, offers

USED_PAIR = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "maxLength": 200},
        "brand": {"type": "string", "maxLength": 80},
        "model": {"type": "string", "maxLength": 120},
        "colorway": {"type": "string", "maxLength": 80},
        "category": {"type": "string", "default": "lifestyle"},
        "size_eu": {"type": "string", "example": "42.5"},
        "gender": {"type": "string", "enum": ["men", "women", "unisex", "kids"]},
        "condition": {"type": "string", "enum": ["new_with_box", "like_new", "good", "worn"]},
        "price_cents": {"type": "integer", "minimum": 100},
        "description": {"type": "string", "maxLength": 5000},
        "resell_order_line_id": {
            "type": "integer",
            "description": "Resell a pair bought on Solemate",
        },
        "photos": {
            "type": "array",
            "items": {"type": "string", "format": "binary"},
            "minItems": 1,
            "maxItems": 8,
        },
    },
    "required": [
        "title",
        "brand",
        "model",
        "size_eu",
        "gender",
        "condition",
        "price_cents",
        "photos",
    ],
}


FORM_FIELDS = (*c2c.TEXT_LIMITS, "size_eu", "gender", "condition", "category")


def _form_int(name: str) -> int | None:
    text = (request.form.get(name) or "").strip()
    if not text:
        return None
    number = whole_number(text)
    if number is None or len(text) > 12:
        raise ValidationFailed(fields={name: ["Give a whole number."]})
    return number


@endpoint(
    "/c2c/listings",
    "POST",
    summary="List a used pair (multipart, 1-8 photos)",
    tag="c2c",
    multipart=USED_PAIR,
    response=ListingDetailOut,
    status=201,
    errors=(401, 403, 404, 409, 413, 422),
    description="Photos: JPEG, PNG or WebP, up to 8 MB each; re-encoded without EXIF or GPS. "
    "Field `photos` (or `photos[]`), repeated per file.",
)
def create_used_pair():
    data = {key: request.form[key] for key in FORM_FIELDS if key in request.form}
    data["price_cents"] = _form_int("price_cents")
    uploads = request.files.getlist("photos") + request.files.getlist("photos[]")
    photos = [upload.read() for upload in uploads if upload and upload.filename]
    listing = c2c.create_pair(
        current_account(),
        data,
        photos,
        resell_line_id=_form_int("resell_order_line_id"),
        copy_photos=True,
    )
    return dump_listing(listing, current_account()), 201


@endpoint(
    "/c2c/listings/mine",
    summary="My used listings, every status",
    tag="c2c",
    query=PageArgs,
    response=UsedPairList,
    errors=(401, 422),
)
def my_used_pairs(args):
    return listed(c2c.my_pairs(current_account()), args, UsedPairOut())


@endpoint(
    "/c2c/listings/<int:listing_id>",
    "PATCH",
    summary="Change a used pair while it is on sale",
    tag="c2c",
    body=UsedPairPatch,
    response=ListingDetailOut,
    errors=(400, 401, 404, 409, 422),
)
def update_used_pair(listing_id, data):
    listing = c2c.update_pair(listing_id, current_account(), data)
    return dump_listing(listing, current_account())


@endpoint(
    "/c2c/listings/<int:listing_id>/withdraw",
    "POST",
    summary="Take a used pair off sale",
    tag="c2c",
    response=ListingDetailOut,
    errors=(401, 404, 409),
)
def withdraw_used_pair(listing_id):
    return dump_listing(c2c.withdraw(listing_id, current_account()), current_account())


@endpoint(
    "/c2c/listings/<int:listing_id>/relist",
    "POST",
    summary="Put a withdrawn used pair back on sale",
    tag="c2c",
    response=ListingDetailOut,
    errors=(401, 404, 409),
)
def relist_used_pair(listing_id):
    return dump_listing(c2c.relist(listing_id, current_account()), current_account())


@endpoint(
    "/c2c/listings/<int:listing_id>/offers",
    "POST",
    summary="Offer below the asking price",
    tag="c2c",
    body=OfferIn,
    response=OfferOut,
    status=201,
    errors=(400, 401, 403, 404, 409, 422),
)
def make_offer(listing_id, data):
    return OfferOut().dump(
        offers.make_offer(listing_id, current_account(), data["amount_cents"])
    ), 201


@endpoint(
    "/c2c/offers",
    summary="Offers I made or received",
    tag="c2c",
    query=PageArgs,
    response=OfferList,
    errors=(401, 422),
)
def my_offers(args):
    return listed(offers.offers_of(current_account()), args, OfferOut())


def _offer_action(name: str, summary: str, function):
    def view(offer_id):
        return OfferOut().dump(function(offer_id, current_account()))

    view.__name__ = f"{name}_offer"
    endpoint(
        f"/c2c/offers/<int:offer_id>/{name}",
        "POST",
        summary=summary,
        tag="c2c",
        response=OfferOut,
        errors=(401, 403, 404, 409),
    )(view)


_offer_action(
    "accept", "Accept the offer waiting on you (holds the pair for the buyer)", offers.accept
)
_offer_action("decline", "Decline the offer waiting on you", offers.decline)


@endpoint(
    "/c2c/offers/<int:offer_id>/counter",
    "POST",
    summary="Counter the offer waiting on you (never above the asking price)",
    tag="c2c",
    body=OfferIn,
    response=OfferOut,
    status=201,
    errors=(400, 401, 403, 404, 409, 422),
)
def counter_offer(offer_id, data):
    return OfferOut().dump(offers.counter(offer_id, current_account(), data["amount_cents"])), 201


@endpoint(
    "/c2c/listings/<int:listing_id>/buy",
    "POST",
    summary="Buy a used pair now or at an accepted offer; money waits in escrow",
    tag="c2c",
    body=BuyIn,
    response=OrderOut,
    status=201,
    errors=(400, 401, 402, 403, 404, 409, 422),
    idempotent=True,
)
def buy_used_pair(listing_id, data):
    order = escrow.buy(
        listing_id,
        current_account(),
        shipping_address=data["shipping_address"],
        card_number=data["payment"]["card_number"],
        offer_id=data["offer_id"],
    )
    return OrderOut().dump(order), 201


@endpoint(
    "/c2c/listings/<int:listing_id>/messages",
    summary="Messages between the seller and a buyer, oldest first (the seller may pick "
    "?buyer_id=)",
    tag="c2c",
    query=MessageArgs,
    response=MessageList,
    errors=(401, 404, 422),
)
def read_messages(listing_id, args):
    found = c2c.message_page(
        listing_id, current_account(), args.get("buyer_id"), args["page"], args["per_page"]
    )
    return page(MessageOut().dump(found.items, many=True), found.total, args)


@endpoint(
    "/c2c/listings/<int:listing_id>/messages",
    "POST",
    summary="Write to the seller, or (seller) to a buyer: the one named by buyer_id, else the "
    "buyer of the sale or the only buyer who wrote",
    tag="c2c",
    body=MessageIn,
    response=MessageOut,
    status=201,
    errors=(400, 401, 404, 422),
)
def write_message(listing_id, data):
    message = c2c.send_message(listing_id, current_account(), data["body"], data["buyer_id"])
    return MessageOut().dump(message), 201


@endpoint(
    "/orders/<int:order_id>/dispute",
    "POST",
    summary="C2C buyer: dispute before confirming receipt (escrow freezes)",
    tag="c2c",
    body=DisputeIn,
    response=DisputeOut,
    status=201,
    errors=(400, 401, 403, 404, 409, 422),
)
def open_dispute(order_id, data):
    return DisputeOut().dump(escrow.open_dispute(order_id, current_account(), data["reason"])), 201


@endpoint(
    "/people/<int:account_id>",
    summary="A person's public seller profile",
    tag="c2c",
    auth="optional",
    response=ProfileOut,
    errors=(404,),
)
def person_profile(account_id):
    return ProfileOut().dump(c2c.profile(account_id))


@endpoint(
    "/admin/disputes",
    summary="Open disputes",
    tag="admin",
    auth="admin",
    query=PageArgs,
    response=DisputeList,
    errors=(401, 403, 422),
)
def list_disputes(args):
    return listed(escrow.open_disputes(), args, DisputeOut())


@endpoint(
    "/admin/disputes/<int:dispute_id>/resolve",
    "POST",
    summary="Resolve a dispute: refund the buyer (maybe relisting) or release to the seller",
    tag="admin",
    auth="admin",
    body=ResolveIn,
    response=DisputeOut,
    errors=(400, 401, 403, 404, 409, 422),
)
def resolve_dispute(dispute_id, data):
    return DisputeOut().dump(
        escrow.resolve(dispute_id, current_account(), data["outcome"], data["relist"])
    )
