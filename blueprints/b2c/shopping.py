"""Cart, checkout and the buyer's orders."""

from __future__ import annotations

import json
import secrets

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from blueprints.b2c import bp
from blueprints.b2c.forms import (
    ActionForm,
    AddToCartForm,
    CheckoutForm,
    QuantityForm,
    ReasonForm,
    ReviewForm,
)
from blueprints.common import ShipForm, apply_errors, error_messages, page_arg
from marketplace import whole_number
from marketplace.exceptions import (
    DomainError,
    NotFound,
    OutOfStock,
    PaymentDeclined,
    ValidationFailed,
)
from marketplace.services import (
    c2c,
    cart,
    checkout,
    escrow,
    idempotency,
    orders,
    pricing,
    reviews,
)

SESSION_CART = "cart"


def current_cart() -> cart.CartView:
    if current_user.is_authenticated:
        return cart.view(current_user)
    return cart.session_view(session.get(SESSION_CART, []))


def merge_visitor_cart(account) -> None:
    """After sign-in: the visitor's cart joins the account's."""
    items = session.pop(SESSION_CART, [])
    if items:
        for notice in cart.merge(account, items):
            flash(notice, "info")


@bp.app_context_processor
def cart_badge():
    def cart_pairs() -> int:
        if request.endpoint and request.endpoint.startswith(("api.", "static", "media")):
            return 0
        return current_cart().pairs

    return {"cart_pairs": cart_pairs}


@bp.route("/cart")
def cart_page():
    return render_template(
        "b2c/cart.html", view=current_cart(), quantity_form=QuantityForm(), action_form=ActionForm()
    )


@bp.route("/cart/add", methods=["POST"])
def add_to_cart():
    form = AddToCartForm()
    back = request.referrer or url_for("b2c.cart_page")
    if not form.validate_on_submit():
        for messages in form.errors.values():
            for message in messages:
                flash(message, "error")
        return redirect(back)
    try:
        if current_user.is_authenticated:
            cart.add(current_user, form.variant_id.data, form.quantity.data)
        else:
            session[SESSION_CART] = cart.session_add(
                session.get(SESSION_CART, []), form.variant_id.data, form.quantity.data
            )
    except DomainError as error:
        flash(" ".join(error_messages(error)), "error")
        return redirect(back)
    flash("Added to your cart.", "success")
    return redirect(url_for("b2c.cart_page"))


@bp.route("/cart/<int:item_id>", methods=["POST"])
def update_cart(item_id: int):
    form = QuantityForm()
    if form.validate_on_submit():
        try:
            if current_user.is_authenticated:
                cart.set_quantity(current_user, item_id, form.quantity.data)
            else:
                items = list(session.get(SESSION_CART, []))
                if item_id > len(items):
                    abort(404)
                index = item_id - 1  # visitor lines are numbered from 1
                if form.quantity.data == 0:
                    items.pop(index)
                else:
                    items[index] = {**items[index], "quantity": form.quantity.data}
                session[SESSION_CART] = items
        except NotFound:
            raise
        except DomainError as error:
            flash(" ".join(error_messages(error)), "error")
    else:
        flash("Choose 0 to 20 pairs.", "error")
    return redirect(url_for("b2c.cart_page"))


@bp.route("/checkout", methods=["GET", "POST"])
@login_required
def checkout_page():
    view = cart.view(current_user)
    # A submitted form goes on even with an empty cart: it may be a double submit whose
    # first copy emptied the cart, and it must get the first copy's answer.
    if not view.lines and request.method == "GET":
        flash("Your cart is empty.", "info")
        return redirect(url_for("b2c.cart_page"))
    form = CheckoutForm()
    if form.validate_on_submit():
        data = {
            name: field.data
            for name, field in form._fields.items()
            if name not in ("csrf_token", "token")
        }

        def work():
            placed = checkout.place_order(
                current_user,
                shipping_address={
                    k: data[k] for k in ("name", "line1", "line2", "city", "postal_code", "country")
                },
                card_number=data["card_number"],
                shipping_method=data["shipping_method"],
            )
            return {"checkout_id": placed.id}, 201

        token = form.token.data or secrets.token_urlsafe(16)
        try:
            payload, _status = idempotency.run_once(
                current_user.id,
                "web:checkout",
                token,
                json.dumps(data, sort_keys=True).encode(),
                work,
            )
        except DomainError as error:
            payload = {
                "error": {"code": error.code, "message": error.message, "fields": error.fields}
            }
        if "checkout_id" in payload:
            return redirect(url_for("b2c.checkout_done", checkout_id=payload["checkout_id"]))
        error = payload["error"]
        if not view.lines:
            flash(error["message"], "info")
            return redirect(url_for("b2c.cart_page"))
        if error["code"] == OutOfStock.code:
            flash(
                error["message"] + " Your cart is as you left it; change it and try again.", "error"
            )
            return redirect(url_for("b2c.cart_page"))
        if error["code"] == PaymentDeclined.code:
            form.card_number.errors = [error["message"] + " Try another card."]
        elif error["fields"]:
            apply_errors(
                form,
                {
                    name.removeprefix("shipping_address.").replace("payment.", ""): msgs
                    for name, msgs in error["fields"].items()
                },
            )
        else:
            flash(error["message"], "error")
    form.token.data = secrets.token_urlsafe(16)
    if not form.is_submitted():
        form.name.data = form.name.data or current_user.name
    totals = checkout.totals_by_method(view)
    method = form.shipping_method.data if form.shipping_method.data in totals else "standard"
    return render_template(
        "b2c/checkout.html",
        form=form,
        view=view,
        plans=checkout.drafts(view, method),
        total_cents=totals[method],
        express_cents=pricing.shipping_cents("express"),
        totals=totals,
    )


@bp.route("/checkout/<int:checkout_id>")
@login_required
def checkout_done(checkout_id: int):
    return render_template(
        "b2c/checkout_done.html", placed=checkout.checkout_for(checkout_id, current_user)
    )


@bp.route("/orders")
@login_required
def my_orders():
    page = page_arg()
    return render_template(
        "b2c/orders.html", page=orders.list_orders(current_user, "buyer", page=page)
    )


@bp.route("/orders/<int:order_id>")
@login_required
def order_page(order_id: int):
    return render_order_page(order_id)


def render_order_page(order_id: int, **forms):
    """The order page as its buyer or seller sees it; `forms` are the ones a refused post
    brings back (e.g. `review_form=`) with what was typed and the errors beside it."""
    order = orders.visible_order(order_id, current_user)
    used = order.mode == "c2c"
    # imported here: blueprints.c2c's views import this module
    from blueprints.c2c.forms import DisputeForm, RatingForm

    forms = {
        "reason_form": ReasonForm(),
        "review_form": ReviewForm(),
        "ship_form": ShipForm(),
        "dispute_form": DisputeForm(),
        "rating_form": RatingForm(),
        **forms,
    }
    return render_template(
        "b2c/order.html",
        order=order,
        is_buyer=orders.is_buyer(order, current_user),
        is_seller=orders.is_seller(order, current_user),
        can_confirm=orders.can_confirm(order),
        show_address=orders.sees_shipping_address(order, current_user),
        review=reviews.order_review(order.id),
        ratings=c2c.order_ratings(order, current_user) if used else None,
        dispute=escrow.dispute_of(order.id) if used else None,
        resold=c2c.resold_count([line.id for line in order.lines]),
        resellable=c2c.owned_for_good(order),
        action_form=ActionForm(),
        status_names=orders.STATUS_NAMES,
        **forms,
    )


@bp.route("/orders/<int:order_id>/cancel", methods=["POST"])
@login_required
def cancel_order(order_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    return send_order_form(
        order_id,
        lambda: orders.cancel(order_id, current_user),
        "The order is cancelled; any payment is refunded.",
    )


@bp.route("/orders/<int:order_id>/confirm", methods=["POST"])
@login_required
def confirm_order(order_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    return send_order_form(
        order_id,
        lambda: orders.confirm(order_id, current_user),
        "Thanks for confirming; the order is complete.",
    )


@bp.route("/orders/<int:order_id>/return", methods=["POST"])
@login_required
def return_order(order_id: int):
    form = ReasonForm()
    return send_order_form(
        order_id,
        lambda: orders.request_return(order_id, current_user, form.reason.data or ""),
        "Return requested; the seller will refund once it arrives.",
        reason_form=form,
    )


@bp.route("/orders/<int:order_id>/review", methods=["POST"])
@login_required
def review_order(order_id: int):
    form = ReviewForm()
    return send_order_form(
        order_id,
        lambda: reviews.review_order(
            order_id, current_user, whole_number(form.stars.data), form.comment.data or ""
        ),
        "Thank you for your review.",
        review_form=form,
    )


def send_order_form(order_id: int, run, done: str, *, category: str = "success", **forms):
    """Send a form or button of the order page: on success back to the page with `done`
    (flashed as `category`); when the service refuses what was typed into `forms`, the page
    again with them as typed and each error beside its field; any other refusal (or one of
    a button, which has no fields) is flashed."""
    try:
        run()
    except ValidationFailed as error:
        if not forms:
            flash(" ".join(error_messages(error)), "error")
            return redirect(url_for("b2c.order_page", order_id=order_id))
        for form in forms.values():
            apply_errors(form, error.fields)
        return render_order_page(order_id, **forms)
    except NotFound:
        raise
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(done, category)
    return redirect(url_for("b2c.order_page", order_id=order_id))
