"""Helpers shared by the page blueprints: capability guards, service errors on forms, typed
page numbers and ids, the ship form of business and used-pair orders, and the payout page
that managers, sellers and people share."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort, flash, redirect, render_template, request
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import Form, StringField
from wtforms.validators import DataRequired

from blueprints.fields import MoneyField
from marketplace import database_id, whole_number
from marketplace.exceptions import DomainError
from marketplace.services import payouts

MAX_PAGE = 100_000  # as the API's page argument (schemas.common)


def page_arg() -> int:
    """The page a listing page asks for in `?page=`: 1 when absent or unreadable, and no
    more than MAX_PAGE (a far larger one would overflow the database's OFFSET)."""
    return min(max(1, request.args.get("page", 1, type=int) or 1), MAX_PAGE)


def typed_id(text: str | None) -> int | None:
    """A row id typed into a query string or a hidden field: None when there is none (or it
    is not a number), else as the URL converter reads ids (marketplace.database_id), so
    one no row can have answers as any unknown id."""
    number = whole_number(text)
    return None if number is None else database_id(number)


def _seller_refusal(account) -> str:
    if (
        account.company is not None
        and account.company.sells
        and account.company.status == "pending"
    ):
        return "Your company is waiting for verification before it can sell."
    return "Selling needs a business account whose company an admin has verified as a seller."


CAPABILITIES: dict[str, tuple[Callable, int, str | Callable]] = {
    "seller": (lambda account: account.is_seller, 403, _seller_refusal),
    "wholesale_buyer": (lambda account: account.is_wholesale_buyer, 404, ""),
    "admin": (lambda account: account.is_admin, 404, ""),
    "person": (
        lambda account: account.is_person,
        403,
        "This is for personal accounts; business accounts sell from the seller console.",
    ),
}


def require_capability(name: str):
    """Guard a view: signed in, and able to act as `name` (else 403 with why, or 404)."""
    check, status, message = CAPABILITIES[name]

    def decorate(view):
        @login_required
        @wraps(view)
        def guarded(*args, **kwargs):
            if not check(current_user):
                why = message(current_user) if callable(message) else message
                abort(status, description=why or None)
            return view(*args, **kwargs)

        return guarded

    return decorate


def _field(form: Form, dotted: str):
    """The field a dotted error name points at (`variants.2.sku`), or None."""
    target = form
    for part in dotted.split("."):
        if hasattr(target, "form") and not isinstance(target, Form):  # a FormField
            target = target.form
        if part.isdigit():
            entries = getattr(target, "entries", None)
            if entries is None or int(part) >= len(entries):
                return None
            target = entries[int(part)]
        else:
            try:
                target = target[part]
            except (KeyError, TypeError):
                return None
    return target


def apply_errors(form: Form, fields: dict[str, list[str]], aliases: dict[str, str] | None = None):
    """Show a service's field errors next to the form's fields; the rest are flashed."""
    aliases = aliases or {}
    for name, messages in fields.items():
        field = _field(form, aliases.get(name, name))
        if field is not None and not isinstance(field.errors, dict):
            field.errors = [*field.errors, *messages]
        else:
            for message in messages:
                flash(message, "error")


def error_messages(error: DomainError) -> list[str]:
    """What a refused action says: its field messages, or else its message."""
    return [message for messages in error.fields.values() for message in messages] or [
        error.message
    ]


def flash_error(error: DomainError) -> None:
    """Show a refused action's messages on the next page."""
    for message in error_messages(error):
        flash(message, "error")


class ShipForm(FlaskForm):
    """The carrier and tracking number a seller ships with (a business's order in the seller
    console, a used pair on its order page); orders.ship judges them."""

    carrier = StringField("Carrier")
    tracking_number = StringField("Tracking number")


class PayoutForm(FlaskForm):
    amount = MoneyField("Amount", validators=[DataRequired("Enter an amount.")])


def payout_page(template: str):
    """The signed-in account's payout requests (a manager's commissions, a seller's or a
    person's proceeds): the balance, the request form and the history, in `template`."""
    form = PayoutForm()
    if form.validate_on_submit():
        try:
            payouts.request(current_user, form.amount.data)
        except DomainError as error:
            form.amount.errors = error_messages(error)
        else:
            flash("Payout requested; an admin will send it shortly.", "success")
            return redirect(request.path)
    return render_template(
        template,
        form=form,
        balance=payouts.balance(current_user),
        history=payouts.of_owner(current_user),
    )
