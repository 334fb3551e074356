"""Wholesale schemas: orders, quotes, invoices, the wholesale catalog."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select

from marketplace import clock
from marketplace.extensions import db
from marketplace.schemas.common import Cents, Input, page_schema
from marketplace.schemas.listings import ListingSummaryOut, TierIn
from marketplace.schemas.orders import CardIn, OrderOut
from marketplace.services import wholesale
from models import Order

ID = validate.Range(min=1, max=2**31 - 1)


class WholesaleLineIn(Input):
    variant_id = fields.Integer(strict=True, validate=ID)
    prepack_id = fields.Integer(strict=True, validate=ID)
    quantity = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=1, max=wholesale.MAX_LINE_QUANTITY)
    )

    @validates_schema
    def size_or_prepack(self, data, **kwargs):
        if ("variant_id" in data) == ("prepack_id" in data):
            raise ValidationError("Give either variant_id or prepack_id.", "variant_id")


class TermsIn(Input):
    po_number = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60))
    payment_terms = fields.String(required=True, validate=validate.OneOf(["prepaid", "net30"]))
    payment = fields.Nested(CardIn, load_default=None, allow_none=True)


class WholesaleOrderIn(TermsIn):
    lines = fields.List(
        fields.Nested(WholesaleLineIn), required=True, validate=validate.Length(min=1, max=2000)
    )


class ReorderIn(Input):
    po_number = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60))
    payment_terms = fields.String(validate=validate.OneOf(["prepaid", "net30"]))
    payment = fields.Nested(CardIn, load_default=None, allow_none=True)


class WholesaleOrdersOut(OrderOut):
    """Every order created (one per seller) in `orders`; when there is only one, the body is
    also that order itself."""

    orders = fields.List(fields.Nested(OrderOut))


def orders_body(created: list) -> dict:
    listed = OrderOut().dump(created, many=True)
    body = (
        dict(listed[0])
        if len(listed) == 1
        else {"total_cents": sum(o["total_cents"] for o in listed)}
    )
    body["orders"] = listed
    return body


class QuoteIn(Input):
    listing_id = fields.Integer(strict=True, required=True, validate=ID)
    quantity = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=1, max=wholesale.MAX_LINE_QUANTITY)
    )
    message = fields.String(load_default="", validate=validate.Length(max=2000))


class QuoteRespondIn(Input):
    unit_price_cents = Cents(required=True)
    valid_days = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=90))
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class QuoteAcceptIn(TermsIn):
    sizes = fields.Dict(
        keys=fields.String(validate=validate.Length(max=6)),
        values=fields.Integer(
            strict=True, validate=validate.Range(min=0, max=wholesale.MAX_LINE_QUANTITY)
        ),
        required=True,
        validate=validate.Length(min=1, max=60),
    )


class QuoteOut(Schema):
    id = fields.Integer()
    listing_id = fields.Integer()
    title = fields.String(attribute="listing.title")
    buyer_company_id = fields.Integer()
    seller_company_id = fields.Integer()
    quantity = fields.Integer()
    message = fields.String()
    status = fields.String()
    unit_price_cents = fields.Integer(allow_none=True)
    valid_until = fields.Method("get_valid_until", allow_none=True)
    seller_note = fields.String()
    order_id = fields.Method("get_order_id", allow_none=True)
    created_at = fields.Method("get_created_at")

    def get_valid_until(self, quote):
        return clock.isoformat(quote.valid_until)

    def get_created_at(self, quote):
        return clock.isoformat(quote.created_at)

    def get_order_id(self, quote):
        return db.session.scalar(select(Order.id).where(Order.quote_id == quote.id))


QuotePage = page_schema(QuoteOut, "QuotePage")


class InvoicePayIn(Input):
    payment = fields.Nested(CardIn, required=True)


class InvoiceOut(Schema):
    order_id = fields.Integer()
    company_id = fields.Integer()
    seller_company_id = fields.Integer()
    amount_cents = fields.Integer()
    status = fields.String()
    due_date = fields.Method("get_due_date")
    overdue = fields.Method("get_overdue")
    paid_at = fields.Method("get_paid_at", allow_none=True)

    def get_due_date(self, invoice):
        return invoice.due_date.date().isoformat()

    def get_overdue(self, invoice) -> bool:
        from marketplace.services.wholesale import is_overdue

        return is_overdue(invoice)

    def get_paid_at(self, invoice):
        return clock.isoformat(invoice.paid_at)


InvoicePage = page_schema(InvoiceOut, "InvoicePage")


class WholesaleSummaryOut(ListingSummaryOut):
    moq = fields.Integer(attribute="b2b_moq")
    order_multiple = fields.Integer(attribute="b2b_order_multiple")
    tiers = fields.List(fields.Nested(TierIn))


WholesalePage = page_schema(WholesaleSummaryOut, "WholesalePage")
