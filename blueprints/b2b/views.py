"""Wholesale catalog, size-matrix ordering, the wholesale cart, CSV orders, quotes, invoices."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from blueprints.b2b import bp
from blueprints.b2b.forms import (
    ActionForm,
    CsvOrderForm,
    OrderTermsForm,
    PayInvoiceForm,
    QuoteRequestForm,
)
from blueprints.b2c.views import CATALOG_SIZES, catalog_query
from blueprints.common import apply_errors, error_messages, page_arg, require_capability
from marketplace import sizes, whole_number
from marketplace.exceptions import DomainError, OutOfStock, PaymentDeclined, ValidationFailed
from marketplace.services import catalog, orders, quotes, wholesale


@bp.route("/")
@require_capability("wholesale_buyer")
def catalog_page():
    query, problems = catalog_query(request.args)
    query.mode, query.exclude_company_id = "b2b", current_user.company_id
    return render_template(
        "b2b/catalog.html",
        page=catalog.search(query),
        query=query,
        problems=problems,
        brands=catalog.brands(),
        catalog_sizes=CATALOG_SIZES,
        min_price=request.args.get("min_price", ""),
        max_price=request.args.get("max_price", ""),
    )


@bp.route("/listings/<int:listing_id>")
@require_capability("wholesale_buyer")
def listing_page(listing_id: int):
    listing = wholesale.wholesale_listing(listing_id, current_user)
    in_cart = {}
    for line in wholesale.cart_lines(current_user):
        key = ("v", line["variant_id"]) if "variant_id" in line else ("p", line["prepack_id"])
        in_cart[key] = line["quantity"]
    return render_template(
        "b2b/listing.html",
        listing=listing,
        terms=wholesale.terms_view(listing),
        in_cart=in_cart,
        system=request.args.get("system", "eu")
        if request.args.get("system") in sizes.SYSTEMS
        else "eu",
        quote_form=QuoteRequestForm(quantity=listing.b2b_moq),
        action_form=ActionForm(),
    )


def _quantities(prefix: str) -> dict[int, int]:
    found = {}
    for key, value in request.form.items():
        if key.startswith(prefix) and (row := whole_number(key[len(prefix) :])) is not None:
            text = value.strip()
            pairs = whole_number(text)
            if text and pairs is None:
                raise ValidationFailed(fields={key: ["Give whole numbers of pairs."]})
            if text:
                found[row] = pairs
    return found


@bp.route("/listings/<int:listing_id>/cart", methods=["POST"])
@require_capability("wholesale_buyer")
def set_cart(listing_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        wholesale.set_cart_listing(
            current_user, listing_id, _quantities("size-"), _quantities("pack-")
        )
    except DomainError as error:
        for message in error_messages(error):
            flash(message, "error")
        return redirect(url_for("b2b.listing_page", listing_id=listing_id))
    flash("Your wholesale cart is updated.", "success")
    return redirect(url_for("b2b.cart_page"))


@bp.route("/cart", methods=["GET", "POST"])
@require_capability("wholesale_buyer")
def cart_page():
    form = OrderTermsForm()
    if form.validate_on_submit():
        try:
            placed = wholesale.place_order(
                current_user,
                None,
                payment_terms=form.payment_terms.data,
                po_number=form.po_number.data,
                card_number=form.card_number.data,
            )
        except PaymentDeclined as error:
            form.card_number.errors = [error.message]
        except ValidationFailed as error:
            if "payment.card_number" in error.fields:
                form.card_number.errors = ["Enter a valid card number to pay now."]
            apply_errors(
                form, {k: v for k, v in error.fields.items() if k in ("payment_terms", "po_number")}
            )
            if not ({"payment.card_number", "payment_terms"} & set(error.fields)):
                flash(error.message, "error")
        except OutOfStock as error:
            flash(error.message, "error")
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(
                f"Order{'s' if len(placed) > 1 else ''} placed: "
                + ", ".join(f"#{o.id}" for o in placed),
                "success",
            )
            return redirect(url_for("b2c.order_page", order_id=placed[0].id))
    company = current_user.company
    return render_template(
        "b2b/cart.html",
        planned=wholesale.cart_plan(current_user),
        form=form,
        company=company,
        open_invoices=wholesale.open_invoices_cents(company.id),
        action_form=ActionForm(),
    )


@bp.route("/cart/<int:listing_id>/remove", methods=["POST"])
@require_capability("wholesale_buyer")
def remove_from_cart(listing_id: int):
    if ActionForm().validate_on_submit():
        wholesale.clear_cart_listing(current_user, listing_id)
    return redirect(url_for("b2b.cart_page"))


@bp.route("/orders")
@require_capability("wholesale_buyer")
def orders_page():
    page = page_arg()
    found = orders.list_orders(current_user, "buyer", page=page)
    return render_template("b2b/orders.html", page=found, is_overdue=wholesale.is_overdue)


@bp.route("/orders/import", methods=["GET", "POST"])
@require_capability("wholesale_buyer")
def import_order():
    form = CsvOrderForm()
    bad_lines = []
    if form.validate_on_submit():
        try:
            placed = wholesale.order_from_csv(
                current_user,
                form.file.data.read(),
                payment_terms=form.payment_terms.data,
                po_number=form.po_number.data,
                card_number=form.card_number.data,
            )
        except ValidationFailed as error:
            bad_lines = error.details.get("lines", [])
            if not bad_lines:
                for message in error_messages(error):
                    flash(message, "error")
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(
                "Order placed from your file: " + ", ".join(f"#{o.id}" for o in placed), "success"
            )
            return redirect(url_for("b2c.order_page", order_id=placed[0].id))
    return render_template("b2b/import.html", form=form, bad_lines=bad_lines)


@bp.route("/orders/<int:order_id>/reorder", methods=["POST"])
@require_capability("wholesale_buyer")
def reorder(order_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    order = orders.visible_order(order_id, current_user)
    if order.mode != "b2b" or not orders.is_buyer(order, current_user):
        abort(404)
    wholesale.fill_cart(current_user, wholesale.reorder_lines(order))
    flash(f"The pairs of order #{order.id} are in your cart at today's prices.", "success")
    return redirect(url_for("b2b.cart_page"))


@bp.route("/listings/<int:listing_id>/quote", methods=["POST"])
@require_capability("wholesale_buyer")
def request_quote(listing_id: int):
    form = QuoteRequestForm()
    if not form.validate_on_submit():
        flash("Give the number of pairs you want a price for.", "error")
        return redirect(url_for("b2b.listing_page", listing_id=listing_id))
    try:
        quote = quotes.request_quote(
            current_user, listing_id, form.quantity.data, form.message.data or ""
        )
    except DomainError as error:
        for message in error_messages(error):
            flash(message, "error")
        return redirect(url_for("b2b.listing_page", listing_id=listing_id))
    flash("Quote requested; the seller will answer with a price.", "success")
    return redirect(url_for("b2b.quote_page", quote_id=quote.id))


@bp.route("/quotes")
@require_capability("wholesale_buyer")
def quotes_page():
    return render_template("b2b/quotes.html", quotes=quotes.company_quotes(current_user.company_id))


@bp.route("/quotes/<int:quote_id>", methods=["GET", "POST"])
@require_capability("wholesale_buyer")
def quote_page(quote_id: int):
    quote = quotes.visible_quote(quote_id, current_user)
    form = OrderTermsForm()
    if form.validate_on_submit():
        split = {}
        for variant in quote.listing.variants:
            if pairs := whole_number(request.form.get(f"size-{variant.id}")):
                split[variant.size_eu] = pairs
        try:
            order = quotes.accept(
                quote.id,
                current_user,
                split,
                payment_terms=form.payment_terms.data,
                po_number=form.po_number.data,
                card_number=form.card_number.data,
            )
        except DomainError as error:
            for message in error_messages(error):
                flash(message, "error")
        else:
            flash(f"Quote accepted: order #{order.id} at the quoted price.", "success")
            return redirect(url_for("b2c.order_page", order_id=order.id))
        quote = quotes.visible_quote(quote_id, current_user)
    return render_template("b2b/quote.html", quote=quote, form=form)


@bp.route("/invoices")
@require_capability("wholesale_buyer")
def invoices_page():
    return render_template(
        "b2b/invoices.html",
        invoices=wholesale.company_invoices(current_user.company_id),
        is_overdue=wholesale.is_overdue,
        pay_form=PayInvoiceForm(),
        company=current_user.company,
        open_cents=wholesale.open_invoices_cents(current_user.company_id),
        credit_left_cents=wholesale.credit_left_cents(current_user.company),
    )


@bp.route("/invoices/<int:order_id>", methods=["GET", "POST"])
def invoice_page(order_id: int):
    if not current_user.is_authenticated or (
        current_user.company_id is None and not current_user.is_admin
    ):
        abort(404)
    invoice = wholesale.invoice_for(order_id, current_user)
    form = PayInvoiceForm()
    if form.validate_on_submit():
        try:
            wholesale.pay_invoice(order_id, current_user, form.card_number.data)
        except DomainError as error:
            form.card_number.errors = error_messages(error)
        else:
            flash("Invoice paid. Thank you!", "success")
            return redirect(url_for("b2b.invoice_page", order_id=order_id))
    order = orders.visible_order(order_id, current_user)
    return render_template(
        "b2b/invoice.html",
        invoice=invoice,
        order=order,
        overdue=wholesale.is_overdue(invoice),
        pay_form=form,
        is_buyer=current_user.company_id == invoice.company_id,
        listing_ids=list(dict.fromkeys(line.listing_id for line in order.lines)),
    )
