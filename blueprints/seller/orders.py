"""Seller console: orders to fulfil, sales with the balance, and payouts."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from blueprints.common import (
    ShipForm,
    apply_errors,
    page_arg,
    payout_page,
    require_capability,
)
from blueprints.seller import bp
from blueprints.seller.forms import ActionForm
from marketplace import charts
from marketplace.exceptions import DomainError, NotFound, ValidationFailed
from marketplace.services import ledger, orders, payouts, reports
from marketplace.templating import money

FILTERS = {
    "to ship": "paid",
    "shipped": "shipped",
    "delivered": "delivered",
    "returns": "return_requested",
    "awaiting payment": "pending_payment",
    "completed": "completed",
}


@bp.route("/orders")
@require_capability("seller")
def orders_page():
    status = request.args.get("status") or None
    if status not in FILTERS.values():
        status = None
    page = page_arg()
    found = orders.list_orders(current_user, "seller", status, page=page)
    return render_template("seller/orders.html", page=found, status=status, filters=FILTERS)


@bp.route("/orders/<int:order_id>")
@require_capability("seller")
def order_page(order_id: int):
    return _order_page(order_id, ShipForm())


def _order_page(order_id: int, ship_form: ShipForm):
    """The order as its seller sees it, with `ship_form` (after a refused try, as typed
    and with its errors)."""
    order = orders.visible_order(order_id, current_user)
    if not orders.is_seller(order, current_user):
        return redirect(url_for("b2c.order_page", order_id=order.id))
    return render_template(
        "seller/order.html",
        order=order,
        proceeds=reports.order_proceeds(order),
        ship_form=ship_form,
        action_form=ActionForm(),
    )


ACTIONS = {
    "deliver": (lambda order_id: orders.deliver(order_id, current_user), "Marked as delivered."),
    "returned": (lambda order_id: orders.mark_returned(order_id, current_user), "Return received."),
    "refund": (
        lambda order_id: orders.refund(order_id, current_user),
        "Refunded in full; the pairs are back in stock.",
    ),
    "cancel": (
        lambda order_id: orders.cancel(order_id, current_user),
        "Cancelled; the buyer is refunded.",
    ),
}


@bp.route("/orders/<int:order_id>/ship", methods=["POST"])
@require_capability("seller")
def ship_order(order_id: int):
    form = ShipForm()
    try:
        orders.ship(
            order_id, current_user, form.carrier.data or "", form.tracking_number.data or ""
        )
    except ValidationFailed as error:
        apply_errors(form, error.fields)
        return _order_page(order_id, form)
    except NotFound:
        raise
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash("Shipped; the buyer has the tracking number.", "success")
    return redirect(url_for("seller.order_page", order_id=order_id))


@bp.route(
    "/orders/<int:order_id>/<any(deliver, returned, refund, cancel):action>", methods=["POST"]
)
@require_capability("seller")
def order_action(order_id: int, action: str):
    run, done = ACTIONS[action]
    if ActionForm().validate_on_submit():
        try:
            run(order_id)
        except NotFound:
            raise
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(done, "success")
    return redirect(url_for("seller.order_page", order_id=order_id))


@bp.route("/sales")
@require_capability("seller")
def sales_page():
    company_id = current_user.company_id
    summary = reports.seller_summary(company_id, None)
    chart = charts.bar_chart(
        [(day.strftime("%d %b"), amount) for day, amount, _ in summary["daily"]],
        title="Your proceeds per day, last 30 days",
        value_label=money,
    )
    codes = [
        ledger.owner_code(kind, company_id=company_id)
        for kind in ("seller_pending", "seller_available")
    ]
    page = page_arg()
    return render_template(
        "seller/sales.html",
        balance=payouts.balance(current_user),
        summary=summary,
        chart=chart,
        statement=ledger.entries_for(codes, page=page),
    )


@bp.route("/payouts", methods=["GET", "POST"])
@require_capability("seller")
def payouts_page():
    return payout_page("seller/payouts.html")
