"""Manager pages, public shops and referral links."""

from __future__ import annotations

import csv
import io

import qrcode
from flask import Response, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from blueprints.b2c.shopping import SESSION_CART
from blueprints.b2c.views import catalog_query
from blueprints.b2m import bp
from blueprints.b2m.forms import ActionForm, ApplyForm, ShopCartForm, ShopItemForm
from blueprints.common import apply_errors, error_messages, flash_error, payout_page, typed_id
from marketplace import charts, clock
from marketplace.exceptions import DomainError, NotFound
from marketplace.services import cart, catalog, commissions, managers, payouts, reports, shops
from marketplace.templating import money

REFERRAL = "referral_code"


def _manager():
    if not current_user.is_authenticated:
        abort(404)
    manager = current_user.manager
    if manager is None or not manager.is_approved:
        abort(404)
    return manager


@bp.route("/r/<code>")
def referral(code: str):
    """A manager's invitation: remembered for sign-up and the application."""
    inviter = managers.by_code(code)
    if inviter is None:
        abort(404)
    session[REFERRAL] = inviter.referral_code
    flash(
        f"{inviter.account.name} invited you to open your own shop on Solemate. Joining is free.",
        "info",
    )
    if current_user.is_authenticated:
        return redirect(url_for("b2m.apply"))
    return redirect(url_for("auth.register", next=url_for("b2m.apply")))


@bp.route("/manager/apply", methods=["GET", "POST"])
@login_required
def apply():
    if current_user.manager is not None:
        if current_user.manager.is_approved:
            return redirect(url_for("b2m.dashboard"))
        return render_template("b2m/apply.html", form=None, manager=current_user.manager)
    form = ApplyForm(referral_code=session.get(REFERRAL, ""))
    if form.validate_on_submit():
        try:
            managers.apply(current_user, form.shop_name.data, form.referral_code.data or None)
        except DomainError as error:
            if error.fields:
                apply_errors(form, error.fields)
            else:
                flash_error(error)
        else:
            session.pop(REFERRAL, None)
            flash("Thanks! An admin will open your shop shortly.", "success")
            return redirect(url_for("b2m.apply"))
    return render_template("b2m/apply.html", form=form, manager=None)


@bp.route("/manager")
@login_required
def dashboard():
    manager = current_user.manager
    if manager is None or not manager.is_approved:
        return redirect(url_for("b2m.apply"))  # how to apply, or where the application is
    data = reports.manager_dashboard(manager)
    chart = charts.bar_chart(
        [(day.strftime("%d %b"), amount) for day, amount, _ in data["daily"]],
        title="Sales through your shop, last 30 days",
        value_label=money,
    )
    return render_template(
        "b2m/dashboard.html",
        manager=manager,
        data=data,
        chart=chart,
        balance={"withdrawable": payouts.withdrawable(current_user)},
    )


@bp.route("/manager/commissions.csv")
def commissions_csv():
    manager = _manager()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["order_id", "kind", "level", "amount_cents", "status", "created_at", "available_at"]
    )
    for row in commissions.of_manager(manager):
        writer.writerow(
            [
                row.order_id,
                row.kind,
                row.level,
                row.amount_cents,
                row.status,
                clock.isoformat(row.created_at),
                clock.isoformat(row.available_at) or "",
            ]
        )
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f"attachment; filename=commissions-{manager.shop_slug}.csv"
        },
    )


def _save_shop_item(manager) -> dict:
    """Put the posted listing in the manager's shop at the posted price, or change its price.

    :return: on a refusal, what the row shows again: `{"listing_id", "price", "errors"}`;
        empty when the shop was updated.
    """
    form = ShopItemForm()
    listing_id = typed_id(form.listing_id.data) or 0
    refused = {"listing_id": listing_id, "price": request.form.get("price", "")}
    if not form.validate_on_submit():
        return refused | {"errors": [m for ms in form.errors.values() for m in ms]}
    try:
        existing = next((i for i in shops.items(manager) if i.listing_id == listing_id), None)
        if existing:
            shops.update_item(manager, existing.id, form.price.data)
        else:
            shops.add_item(manager, listing_id, form.price.data)
    except NotFound:
        raise
    except DomainError as error:
        return refused | {"errors": error_messages(error)}
    flash("Your shop is updated.", "success")
    return {}


def _flash_unless_shown(refused: dict, rows: set[int]) -> None:
    """A refusal whose row is not on the page is told above it instead."""
    if refused and refused["listing_id"] not in rows:
        for message in refused["errors"]:
            flash(message, "error")


@bp.route("/manager/catalog", methods=["GET", "POST"])
def catalog_page():
    manager = _manager()
    refused = _save_shop_item(manager) if request.method == "POST" else {}
    if request.method == "POST" and not refused:
        return redirect(url_for("b2m.shop_page"))
    query, problems = catalog_query(request.args)
    page = shops.b2m_catalog(query)
    in_shop = {item.listing_id: item for item in shops.items(manager)}
    _flash_unless_shown(refused, {listing.id for listing in page.items})
    return render_template(
        "b2m/catalog.html",
        page=page,
        query=query,
        problems=problems,
        in_shop=in_shop,
        form=ShopItemForm(),
        refused=refused,
    )


@bp.route("/manager/shop", methods=["GET", "POST"])
def shop_page():
    manager = _manager()
    refused = _save_shop_item(manager) if request.method == "POST" else {}
    if request.method == "POST" and not refused:
        return redirect(url_for("b2m.shop_page"))
    items = shops.items(manager)
    _flash_unless_shown(refused, {item.listing_id for item in items})
    return render_template(
        "b2m/shop.html",
        manager=manager,
        items=items,
        form=ShopItemForm(),
        action_form=ActionForm(),
        refused=refused,
    )


@bp.route("/manager/shop/<int:item_id>/remove", methods=["POST"])
def remove_item(item_id: int):
    manager = _manager()
    if ActionForm().validate_on_submit():
        shops.remove_item(manager, item_id)
        flash("Removed from your shop.", "info")
    return redirect(url_for("b2m.shop_page"))


@bp.route("/manager/payouts", methods=["GET", "POST"])
@login_required
def payouts_page():
    if current_user.manager is None and not current_user.is_seller and not current_user.is_person:
        abort(404)
    return payout_page("b2m/payouts.html")


def _qr_png(url: str) -> Response:
    image = qrcode.make(url, box_size=8, border=2)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return Response(
        out.getvalue(), mimetype="image/png", headers={"Cache-Control": "public, max-age=86400"}
    )


@bp.route("/s/<slug>/qr.png")
def shop_qr(slug: str):
    manager = shops.shop(slug)
    return _qr_png(url_for("b2m.public_shop", slug=manager.shop_slug, _external=True))


@bp.route("/s/<slug>/items/<int:listing_id>/qr.png")
def item_qr(slug: str, listing_id: int):
    item = shops.item_for(slug, listing_id)
    return _qr_png(url_for("b2m.shop_item", slug=slug, listing_id=item.listing_id, _external=True))


@bp.route("/s/<slug>")
def public_shop(slug: str):
    manager = shops.shop(slug)
    return render_template(
        "b2m/public_shop.html", manager=manager, items=shops.public_items(manager)
    )


@bp.route("/s/<slug>/items/<int:listing_id>", methods=["GET", "POST"])
def shop_item(slug: str, listing_id: int):
    item = shops.item_for(slug, listing_id)
    form = ShopCartForm()
    if form.validate_on_submit():
        try:
            if current_user.is_authenticated:
                cart.add(current_user, form.variant_id.data, form.quantity.data, shop_slug=slug)
            else:
                session[SESSION_CART] = cart.session_add(
                    session.get(SESSION_CART, []),
                    form.variant_id.data,
                    form.quantity.data,
                    shop_slug=slug,
                )
        except DomainError as error:
            flash_error(error)
        else:
            flash("Added to your cart.", "success")
            return redirect(url_for("b2c.cart_page"))
    system = session.get("size_system", "eu")
    return render_template(
        "b2m/shop_item.html",
        item=item,
        manager=item.manager,
        listing=item.listing,
        size_options=catalog.size_options(item.listing, system),
        system=system,
        form=form,
    )
