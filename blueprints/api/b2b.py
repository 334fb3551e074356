"""Wholesale: orders, CSV orders, reorders, the wholesale catalog, quotes, invoices."""

from flask import request

from blueprints.api.core import current_account, endpoint, page
from marketplace.exceptions import ValidationFailed
from marketplace.schemas.b2b import (
    InvoiceOut,
    InvoicePage,
    InvoicePayIn,
    QuoteAcceptIn,
    QuoteIn,
    QuoteOut,
    QuotePage,
    QuoteRespondIn,
    ReorderIn,
    WholesaleOrderIn,
    WholesaleOrdersOut,
    WholesalePage,
    WholesaleSummaryOut,
    orders_body,
)
from marketplace.schemas.common import PageArgs
from marketplace.schemas.listings import CatalogArgs
from marketplace.schemas.orders import OrderOut
from marketplace.services import catalog, quotes, wholesale

ORDER_ERRORS = (400, 401, 402, 403, 409, 422)


def _terms(data: dict) -> dict:
    return {
        "payment_terms": data["payment_terms"],
        "po_number": data.get("po_number"),
        "card_number": (data.get("payment") or {}).get("card_number"),
    }


@endpoint(
    "/b2b/catalog",
    summary="Listings open to wholesale, with tiers and MOQ",
    tag="b2b",
    query=CatalogArgs,
    response=WholesalePage,
    errors=(401, 403, 422),
)
def wholesale_catalog(args):
    company = wholesale.require_buyer(current_account())
    args.mode, args.exclude_company_id = "b2b", company.id
    found = catalog.search(args)
    return page(
        WholesaleSummaryOut().dump(found.items, many=True),
        found.total,
        {"page": found.page, "per_page": found.per_page},
    )


@endpoint(
    "/b2b/orders",
    "POST",
    summary="Place a wholesale order; unit prices from the tier table",
    tag="b2b",
    body=WholesaleOrderIn,
    response=WholesaleOrdersOut,
    status=201,
    errors=ORDER_ERRORS,
    idempotent=True,
    description="One order per seller (all listed in `orders`; with one seller the body is that "
    "order too). 422 below_moq or invalid_quantity (case multiples, nearest valid named), "
    "409 credit_limit_exceeded for net30, 409 out_of_stock, 402 payment_declined.",
)
def place_wholesale_order(data):
    created = wholesale.place_order(current_account(), data["lines"], **_terms(data))
    return orders_body(created), 201


CSV_ORDER = {
    "type": "object",
    "properties": {
        "file": {"type": "string", "format": "binary"},
        "payment_terms": {"type": "string", "enum": ["net30", "prepaid"], "default": "net30"},
        "po_number": {"type": "string", "maxLength": 60},
        "card_number": {"type": "string", "maxLength": 40},
    },
    "required": ["file"],
}


@endpoint(
    "/b2b/orders/import",
    "POST",
    summary="Order from a CSV file (sku,quantity or prepack_id,quantity): all or nothing",
    tag="b2b",
    multipart=CSV_ORDER,
    response=WholesaleOrdersOut,
    status=201,
    errors=ORDER_ERRORS,
    idempotent=True,
    description="Multipart field `file` (or a raw text/csv body with terms in the query). "
    "A file with any bad line orders nothing: 422 with `lines: [{line, message}]` "
    "(the header is line 1). Payment terms default to net30. With an Idempotency-Key, the "
    "same file and fields (whatever the multipart boundary) get the first answer again.",
)
def import_wholesale_order():
    upload = request.files.get("file")
    if upload is not None:
        data = upload.read()
    elif request.mimetype in ("text/csv", "text/plain"):
        data = request.get_data()
    else:
        raise ValidationFailed(fields={"file": ["Upload the CSV as the multipart field `file`."]})
    source = request.form if upload is not None else request.args
    terms = source.get("payment_terms", "net30")
    created = wholesale.order_from_csv(
        current_account(),
        data,
        payment_terms=terms,
        po_number=source.get("po_number"),
        card_number=source.get("card_number"),
    )
    return orders_body(created), 201


@endpoint(
    "/b2b/orders/<int:order_id>/reorder",
    "POST",
    summary="Order a past wholesale order again at today's prices",
    tag="b2b",
    body=ReorderIn,
    response=WholesaleOrdersOut,
    status=201,
    errors=(*ORDER_ERRORS, 404),
    idempotent=True,
    description="Payment terms default to those of the past order;"
    " a prepaid reorder needs `payment`.",
)
def reorder(order_id, data):
    terms = {
        "po_number": data.get("po_number"),
        "card_number": (data.get("payment") or {}).get("card_number"),
    }
    if data.get("payment_terms"):
        terms["payment_terms"] = data["payment_terms"]
    created = wholesale.reorder(order_id, current_account(), **terms)
    return orders_body(created), 201


@endpoint(
    "/b2b/quotes",
    "POST",
    summary="Ask a seller for a price on a quantity",
    tag="b2b",
    body=QuoteIn,
    response=QuoteOut,
    status=201,
    errors=(400, 401, 403, 404, 422),
)
def request_quote(data):
    quote = quotes.request_quote(
        current_account(), data["listing_id"], data["quantity"], data["message"]
    )
    return QuoteOut().dump(quote), 201


@endpoint(
    "/b2b/quotes",
    summary="The company's quotes, asked and answered",
    tag="b2b",
    query=PageArgs,
    response=QuotePage,
    errors=(401, 403),
)
def list_quotes(args):
    account = current_account()
    if account.company_id is None:
        wholesale.require_buyer(account)
    found = quotes.company_quotes(account.company_id)
    start = (args["page"] - 1) * args["per_page"]
    return page(
        QuoteOut().dump(found[start : start + args["per_page"]], many=True), len(found), args
    )


@endpoint(
    "/b2b/quotes/<int:quote_id>",
    summary="One quote",
    tag="b2b",
    response=QuoteOut,
    errors=(401, 404),
)
def get_quote(quote_id):
    return QuoteOut().dump(quotes.visible_quote(quote_id, current_account()))


@endpoint(
    "/b2b/quotes/<int:quote_id>/respond",
    "POST",
    summary="Seller: quote a unit price valid for some days",
    tag="b2b",
    body=QuoteRespondIn,
    response=QuoteOut,
    errors=(400, 401, 403, 404, 409, 422),
)
def respond_to_quote(quote_id, data):
    quote = quotes.respond(
        quote_id, current_account(), data["unit_price_cents"], data["valid_days"], data["note"]
    )
    return QuoteOut().dump(quote)


@endpoint(
    "/b2b/quotes/<int:quote_id>/decline",
    "POST",
    summary="Seller: decline a quote request",
    tag="b2b",
    response=QuoteOut,
    errors=(401, 403, 404, 409),
)
def decline_quote(quote_id):
    return QuoteOut().dump(quotes.decline(quote_id, current_account()))


@endpoint(
    "/b2b/quotes/<int:quote_id>/accept",
    "POST",
    summary="Buyer: accept before expiry with a size split; an order at the quoted price",
    tag="b2b",
    body=QuoteAcceptIn,
    response=OrderOut,
    status=201,
    errors=(*ORDER_ERRORS, 404),
    idempotent=True,
    description="409 quote_expired once the validity has passed; sizes must add up to the quote.",
)
def accept_quote(quote_id, data):
    order = quotes.accept(quote_id, current_account(), data["sizes"], **_terms(data))
    return OrderOut().dump(order), 201


@endpoint(
    "/b2b/invoices",
    summary="The company's invoices (as buyer, or as seller)",
    tag="b2b",
    query=PageArgs,
    response=InvoicePage,
    errors=(401, 403),
)
def list_invoices(args):
    account = current_account()
    if account.company_id is None:
        wholesale.require_buyer(account)
    found = wholesale.company_invoices(account.company_id, seller=None)
    start = (args["page"] - 1) * args["per_page"]
    return page(
        InvoiceOut().dump(found[start : start + args["per_page"]], many=True), len(found), args
    )


@endpoint(
    "/b2b/invoices/<int:order_id>/pay",
    "POST",
    summary="Pay an open invoice by card",
    tag="b2b",
    body=InvoicePayIn,
    response=InvoiceOut,
    errors=(400, 401, 402, 403, 404, 409, 422),
    idempotent=True,
)
def pay_invoice(order_id, data):
    invoice = wholesale.pay_invoice(order_id, current_account(), data["payment"]["card_number"])
    return InvoiceOut().dump(invoice)
