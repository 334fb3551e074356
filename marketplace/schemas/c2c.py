"""C2C schemas: used listings, offers, messages, disputes, profiles."""

from marshmallow import Schema, fields, validate

from marketplace import clock
from marketplace.schemas.common import Cents, Input, PageArgs, SizeEU, page_schema
from marketplace.schemas.listings import ListingSummaryOut
from marketplace.schemas.orders import AddressIn, CardIn


class UsedPairPatch(Input):
    title = fields.String(validate=validate.Length(max=500))
    brand = fields.String(validate=validate.Length(max=500))
    model = fields.String(validate=validate.Length(max=500))
    colorway = fields.String(validate=validate.Length(max=500))
    category = fields.String(validate=validate.Length(max=40))
    gender = fields.String(validate=validate.Length(max=10))
    size_eu = SizeEU()
    condition = fields.String(validate=validate.Length(max=20))
    price_cents = Cents()
    description = fields.String(validate=validate.Length(max=10000))


class OfferIn(Input):
    amount_cents = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=1, max=100_000_000)
    )


class OfferOut(Schema):
    id = fields.Integer()
    listing_id = fields.Integer()
    buyer_id = fields.Integer()
    seller_id = fields.Integer()
    amount_cents = fields.Integer()
    status = fields.String()
    waiting_on = fields.String()
    parent_id = fields.Integer(allow_none=True)
    expires_at = fields.Method("get_expires_at")
    created_at = fields.Method("get_created_at")

    def get_expires_at(self, offer):
        return clock.isoformat(offer.expires_at)

    def get_created_at(self, offer):
        return clock.isoformat(offer.created_at)


OfferList = page_schema(OfferOut, "OfferList")


class BuyIn(Input):
    shipping_address = fields.Nested(AddressIn, required=True)
    payment = fields.Nested(CardIn, required=True)
    offer_id = fields.Integer(
        strict=True,
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=2**31 - 1),
    )


class MessageIn(Input):
    body = fields.String(required=True)  # 1-2000 characters: c2c.send_message decides
    buyer_id = fields.Integer(
        strict=True,
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=2**31 - 1),
    )


class MessageArgs(PageArgs):
    buyer_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))


class MessageOut(Schema):
    id = fields.Integer()
    listing_id = fields.Integer()
    buyer_id = fields.Integer()
    sender_id = fields.Integer()
    sender_name = fields.String(attribute="sender.name")
    body = fields.String()
    created_at = fields.Method("get_created_at")

    def get_created_at(self, message):
        return clock.isoformat(message.created_at)


MessageList = page_schema(MessageOut, "MessageList")


class DisputeIn(Input):
    reason = fields.String(required=True)  # escrow.open_dispute judges it


class DisputeOut(Schema):
    id = fields.Integer()
    order_id = fields.Integer()
    status = fields.String()
    reason = fields.String()
    outcome = fields.String(allow_none=True)
    relisted = fields.Boolean()
    created_at = fields.Method("get_created_at")

    def get_created_at(self, dispute):
        return clock.isoformat(dispute.created_at)


DisputeList = page_schema(DisputeOut, "DisputeList")


class UsedPairOut(ListingSummaryOut):
    status = fields.String()


UsedPairList = page_schema(UsedPairOut, "UsedPairList")


class ResolveIn(Input):
    outcome = fields.String(required=True, validate=validate.OneOf(["refund", "release"]))
    relist = fields.Boolean(load_default=False)


class RatingOut(Schema):
    stars = fields.Integer()
    comment = fields.String()
    role = fields.String()
    rater_name = fields.String(attribute="rater.name")
    created_at = fields.Method("get_created_at")

    def get_created_at(self, rating):
        return clock.isoformat(rating.created_at)


class ProfileOut(Schema):
    id = fields.Integer(attribute="person.id")
    name = fields.String(attribute="person.name")
    member_since = fields.Method("get_since")
    rating = fields.Float(allow_none=True)
    ratings_count = fields.Integer()
    completed_sales = fields.Integer()
    listings = fields.List(fields.Nested(ListingSummaryOut))
    ratings = fields.List(fields.Nested(RatingOut))

    def get_since(self, profile):
        return clock.isoformat(profile["person"].created_at)
