"""Cart, checkout, order, balance and ledger schemas."""

from marshmallow import Schema, fields, validate

from marketplace import clock
from marketplace.schemas.common import Input, PageArgs, Quantity, page_schema
from marketplace.services import orders, reviews
from models.orders import ORDER_STATUSES


class CartItemIn(Input):
    variant_id = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=1, max=2**31 - 1)
    )
    quantity = Quantity(maximum=20, load_default=1)
    shop_slug = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=80))


class CartQuantityIn(Input):
    quantity = fields.Integer(strict=True, required=True, validate=validate.Range(min=0, max=20))


class CartLineOut(Schema):
    id = fields.Integer()
    variant_id = fields.Integer(attribute="variant.id")
    listing_id = fields.Integer(attribute="listing.id")
    title = fields.String(attribute="listing.title")
    size_eu = fields.String(attribute="variant.size_eu")
    quantity = fields.Integer()
    unit_price_cents = fields.Integer()
    line_total_cents = fields.Integer(attribute="total_cents")
    shop_slug = fields.String(allow_none=True, dump_default=None)
    problems = fields.List(fields.String())


class CartOut(Schema):
    items = fields.List(fields.Nested(CartLineOut), attribute="lines")
    subtotal_cents = fields.Integer()


class AddressIn(Input):
    name = fields.String(validate=validate.Length(max=500))
    line1 = fields.String(validate=validate.Length(max=500))
    line2 = fields.String(validate=validate.Length(max=500))
    city = fields.String(validate=validate.Length(max=500))
    postal_code = fields.String(validate=validate.Length(max=500))
    country = fields.String(validate=validate.Length(max=500))


class CardIn(Input):
    card_number = fields.String(required=True, validate=validate.Length(max=40))


class CheckoutIn(Input):
    shipping_address = fields.Nested(AddressIn, required=True)
    payment = fields.Nested(CardIn, required=True)
    shipping_method = fields.String(
        load_default="standard", validate=validate.OneOf(["standard", "express"])
    )


class CheckoutOrderOut(Schema):
    id = fields.Integer()
    mode = fields.String()
    seller_id = fields.Integer()
    seller_type = fields.String()
    total_cents = fields.Integer()
    status = fields.String()


class CheckoutOut(Schema):
    checkout_id = fields.Integer(attribute="id")
    total_cents = fields.Integer()
    orders = fields.List(fields.Nested(CheckoutOrderOut))


class OrderLineOut(Schema):
    variant_id = fields.Integer()
    listing_id = fields.Integer()
    prepack_id = fields.Integer(allow_none=True, dump_default=None)
    title = fields.String()
    size_eu = fields.String()
    sku = fields.String()
    quantity = fields.Integer()
    unit_price_cents = fields.Integer()


class HistoryOut(Schema):
    status = fields.String()
    at = fields.Method("get_at")
    note = fields.String()

    def get_at(self, event) -> str:
        return clock.isoformat(event.at)


class OrderOut(Schema):
    id = fields.Integer()
    mode = fields.String()
    status = fields.String()
    buyer_id = fields.Integer()
    seller_id = fields.Integer()
    seller_type = fields.String()
    manager_id = fields.Integer(allow_none=True)
    checkout_id = fields.Integer(allow_none=True)
    lines = fields.List(fields.Nested(OrderLineOut))
    subtotal_cents = fields.Integer()
    shipping_cents = fields.Integer()
    fee_cents = fields.Integer()
    total_cents = fields.Integer()
    po_number = fields.String(allow_none=True)
    payment_terms = fields.String()
    due_date = fields.Method("get_due_date", allow_none=True)
    carrier = fields.String(allow_none=True)
    tracking_number = fields.String(allow_none=True)
    shipping_address = fields.Dict()
    created_at = fields.Method("get_created_at")
    history = fields.List(fields.Nested(HistoryOut), attribute="events")

    def get_due_date(self, order) -> str | None:
        return order.due_date.date().isoformat() if order.due_date else None

    def get_created_at(self, order) -> str:
        return clock.isoformat(order.created_at)


OrderPage = page_schema(OrderOut, "OrderPage")
_ORDER_VIEWS = {
    True: OrderOut(),
    # the manager of a shop sale: the sale, not where it goes
    False: OrderOut(exclude=("shipping_address",)),
}


def order_out(order, viewer) -> dict:
    """An order as `viewer` may read it (orders.sees_shipping_address)."""
    return _ORDER_VIEWS[orders.sees_shipping_address(order, viewer)].dump(order)


class OrdersQuery(PageArgs):
    role = fields.String(
        load_default="buyer", validate=validate.OneOf(["buyer", "seller", "manager"])
    )
    status = fields.String(validate=validate.OneOf(ORDER_STATUSES))


class ShipIn(Input):
    carrier = fields.String(
        load_default="", validate=validate.Length(max=orders.CARRIER_MAX_LENGTH)
    )
    tracking_number = fields.String(
        load_default="", validate=validate.Length(max=orders.TRACKING_NUMBER_MAX_LENGTH)
    )


class ReasonIn(Input):
    reason = fields.String(
        load_default="", validate=validate.Length(max=orders.RETURN_REASON_MAX_LENGTH)
    )


class ReviewIn(Input):
    stars = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=5))
    comment = fields.String(
        load_default="", validate=validate.Length(max=reviews.COMMENT_MAX_LENGTH)
    )


class ReviewOut(Schema):
    id = fields.Integer()
    order_id = fields.Integer()
    stars = fields.Integer()
    comment = fields.String()
    created_at = fields.Method("get_created_at")

    def get_created_at(self, review) -> str:
        return clock.isoformat(review.created_at)


class BalanceOut(Schema):
    pending_cents = fields.Integer()
    available_cents = fields.Integer()
    requested_cents = fields.Integer()


class TrialBalanceOut(Schema):
    balanced = fields.Boolean()
    total_debits_cents = fields.Integer()
    total_credits_cents = fields.Integer()
    unbalanced_transactions = fields.Integer()


class WebhookOut(Schema):
    received = fields.Boolean()
    duplicate = fields.Boolean()
    handled = fields.String()
