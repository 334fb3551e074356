"""Seller console: quotes to answer, invoices, wholesale settings."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from blueprints.common import error_messages, require_capability
from blueprints.seller import bp
from blueprints.seller.forms import ActionForm, QuoteAnswerForm, SettingsForm
from marketplace.exceptions import DomainError, NotFound
from marketplace.services import quotes, wholesale


@bp.route("/quotes")
@require_capability("seller")
def quotes_page():
    return render_template(
        "seller/quotes.html",
        quotes=[
            q
            for q in quotes.company_quotes(current_user.company_id)
            if q.seller_company_id == current_user.company_id
        ],
        answer_form=QuoteAnswerForm(),
        action_form=ActionForm(),
    )


@bp.route("/quotes/<int:quote_id>/answer", methods=["POST"])
@require_capability("seller")
def answer_quote(quote_id: int):
    form = QuoteAnswerForm()
    if form.validate_on_submit():
        try:
            quotes.respond(
                quote_id,
                current_user,
                form.unit_price.data,
                form.valid_days.data,
                form.note.data or "",
            )
        except NotFound:
            raise
        except DomainError as error:
            flash(" ".join(error_messages(error)), "error")
        else:
            flash(f"Quote #{quote_id} sent to the buyer.", "success")
    else:
        for messages in form.errors.values():
            for message in messages:
                flash(message, "error")
    return redirect(url_for("seller.quotes_page"))


@bp.route("/quotes/<int:quote_id>/decline", methods=["POST"])
@require_capability("seller")
def decline_quote(quote_id: int):
    if ActionForm().validate_on_submit():
        try:
            quotes.decline(quote_id, current_user)
        except NotFound:
            raise
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(f"Quote #{quote_id} declined.", "info")
    return redirect(url_for("seller.quotes_page"))


@bp.route("/invoices")
@require_capability("seller")
def invoices_page():
    return render_template(
        "seller/invoices.html",
        invoices=wholesale.company_invoices(current_user.company_id, seller=True),
        is_overdue=wholesale.is_overdue,
    )


@bp.route("/settings", methods=["GET", "POST"])
@require_capability("seller")
def settings_page():
    company = current_user.company
    form = SettingsForm(
        min_order_first=company.min_order_first_cents,
        min_order_reorder=company.min_order_reorder_cents,
    )
    if form.validate_on_submit():
        wholesale.set_minimum_orders(
            company.id, form.min_order_first.data or 0, form.min_order_reorder.data or 0
        )
        flash("Wholesale settings saved.", "success")
        return redirect(url_for("seller.settings_page"))
    return render_template("seller/settings.html", form=form, company=company)
