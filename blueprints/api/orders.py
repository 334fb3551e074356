"""Cart, checkout, orders, balances and the payment webhook."""

from flask import request

from blueprints.api.core import current_account, endpoint, page
from marketplace.schemas.orders import (
    BalanceOut,
    CartItemIn,
    CartOut,
    CartQuantityIn,
    CheckoutIn,
    CheckoutOut,
    OrderOut,
    OrderPage,
    OrdersQuery,
    ReasonIn,
    ReviewIn,
    ReviewOut,
    ShipIn,
    TrialBalanceOut,
    WebhookOut,
    order_out,
)
from marketplace.services import (
    cart,
    checkout,
    idempotency,
    ledger,
    orders,
    payments,
    payouts,
    reviews,
)


@endpoint(
    "/cart", summary="The cart at today's prices", tag="orders", response=CartOut, errors=(401,)
)
def get_cart():
    return CartOut().dump(cart.view(current_account()))


@endpoint(
    "/cart/items",
    "POST",
    summary="Add pairs of one size to the cart",
    tag="orders",
    body=CartItemIn,
    response=CartOut,
    status=201,
    errors=(400, 401, 404, 409, 422),
)
def add_to_cart(data):
    view = cart.add(
        current_account(), data["variant_id"], data["quantity"], shop_slug=data["shop_slug"]
    )
    return CartOut().dump(view), 201


@endpoint(
    "/cart/items/<int:item_id>",
    "PATCH",
    summary="Change a cart line's quantity (0 removes it)",
    tag="orders",
    body=CartQuantityIn,
    response=CartOut,
    errors=(400, 401, 404, 409, 422),
)
def change_cart_item(item_id, data):
    return CartOut().dump(cart.set_quantity(current_account(), item_id, data["quantity"]))


@endpoint(
    "/cart/items/<int:item_id>",
    "DELETE",
    summary="Remove a cart line",
    tag="orders",
    response=CartOut,
    errors=(401, 404),
)
def remove_cart_item(item_id):
    return CartOut().dump(cart.remove(current_account(), item_id))


@endpoint(
    "/checkout",
    "POST",
    summary="Buy the whole cart: one payment, one order per seller",
    tag="orders",
    body=CheckoutIn,
    response=CheckoutOut,
    status=201,
    errors=(400, 401, 402, 409, 422),
    idempotent=True,
    description="Sandbox cards: 4242 4242 4242 4242 pays, 4000 0000 0000 0002 is declined "
    "(402, nothing held, cart kept), 4000 0025 0000 3155 waits for the bank "
    "(orders stay pending_payment until the payment.succeeded webhook). "
    "409 out_of_stock names the variants short of stock.",
)
def place_order(data):
    answer = {}

    def answer_with_the_order(placed) -> None:  # committed with it, so a retry finds it
        answer["body"] = CheckoutOut().dump(placed)
        idempotency.answer_now(answer["body"], 201)

    checkout.place_order(
        current_account(),
        shipping_address=data["shipping_address"],
        card_number=data["payment"]["card_number"],
        shipping_method=data["shipping_method"],
        before_commit=answer_with_the_order,
    )
    return answer["body"], 201


@endpoint(
    "/orders",
    summary="My orders; ?role=seller the orders to fulfil; ?role=manager orders through my shop",
    tag="orders",
    query=OrdersQuery,
    response=OrderPage,
    errors=(401, 422),
)
def list_orders(args):
    found = orders.list_orders(
        current_account(), args["role"], args.get("status"), args["page"], args["per_page"]
    )
    account = current_account()
    return page([order_out(order, account) for order in found.items], found.total, args)


@endpoint(
    "/orders/<int:order_id>",
    summary="One order with its history",
    tag="orders",
    response=OrderOut,
    errors=(401, 404),
)
def get_order(order_id):
    return order_out(orders.visible_order(order_id, current_account()), current_account())


def _action(rule: str, summary: str, body=None, status: int = 200):
    def register(function):
        return endpoint(
            f"/orders/<int:order_id>/{rule}",
            "POST",
            summary=summary,
            tag="orders",
            body=body,
            response=OrderOut,
            status=status,
            errors=(400, 401, 403, 404, 409, 422),
        )(function)

    return register


@_action("cancel", "Cancel before shipping (buyer or seller); money and pairs go back", ReasonIn)
def cancel_order(order_id, data):
    return OrderOut().dump(orders.cancel(order_id, current_account(), data["reason"]))


@_action("ship", "Seller: shipped with a carrier and tracking number", ShipIn)
def ship_order(order_id, data):
    return OrderOut().dump(
        orders.ship(order_id, current_account(), data["carrier"], data["tracking_number"])
    )


@_action("deliver", "Seller: delivered (carriers use the webhook)")
def deliver_order(order_id):
    return OrderOut().dump(orders.deliver(order_id, current_account()))


@_action(
    "confirm",
    "Buyer: received (once shipped: a shipped order is delivered first); completes the"
    " order now; 409 before shipping",
)
def confirm_order(order_id):
    return OrderOut().dump(orders.confirm(order_id, current_account()))


@_action("return", "Buyer: ask to return within the return window", ReasonIn)
def return_order(order_id, data):
    return OrderOut().dump(orders.request_return(order_id, current_account(), data["reason"]))


@_action("refund", "Seller: refund a returned order in full")
def refund_order(order_id):
    return OrderOut().dump(orders.refund(order_id, current_account()))


@endpoint(
    "/orders/<int:order_id>/review",
    "POST",
    summary="Review a delivered order, 1-5 stars (a used pair: buyer and seller rate each other)",
    tag="orders",
    body=ReviewIn,
    response=ReviewOut,
    status=201,
    errors=(400, 401, 403, 404, 409, 422),
)
def review_order(order_id, data):
    review = reviews.review_order(order_id, current_account(), data["stars"], data["comment"])
    return ReviewOut().dump(review), 201


@endpoint(
    "/me/balance",
    summary="Seller proceeds and commissions: pending and available",
    tag="accounts",
    response=BalanceOut,
    errors=(401,),
    description="`available_cents` is what POST /b2m/payouts may still ask for: released "
    "money less the payouts already requested, which `requested_cents` shows until an admin "
    "approves them.",
)
def my_balance():
    return BalanceOut().dump(payouts.balance(current_account()))


@endpoint(
    "/admin/ledger/trial-balance",
    summary="Total debits and credits of the ledger",
    tag="admin",
    auth="admin",
    response=TrialBalanceOut,
    errors=(401, 403),
)
def trial_balance():
    return ledger.trial_balance()


@endpoint(
    "/payments/webhook",
    "POST",
    summary="Payment provider and carrier events (HMAC-signed)",
    tag="payments",
    auth=None,
    response=WebhookOut,
    errors=(400, 422),
    description='Header `X-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`; '
    "events older or newer than 300 s are refused; a replayed event id changes nothing. "
    "Types: payment.succeeded / payment.failed {payment_ref}, "
    "shipment.delivered {order_id, tracking_number}.",
)
def payment_webhook():
    return payments.handle_webhook(request.get_data(cache=True), request.headers.get("X-Signature"))
