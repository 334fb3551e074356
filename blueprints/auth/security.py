"""Password change and reset, and two-factor sign-in settings."""

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user

from blueprints.auth import bp
from blueprints.auth.forms import (
    ChangePasswordForm,
    CodeForm,
    DisableTwoFactorForm,
    NewPasswordForm,
    ResetRequestForm,
)
from blueprints.auth.views import ENROLL_SECRET, judge_new_password
from blueprints.common import apply_errors
from marketplace.exceptions import DomainError, ValidationFailed
from marketplace.extensions import limiter
from marketplace.services import accounts, twofactor


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """A new password ends every other session and API token; this one stays signed in."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current_password.data, form.password.data)
        except ValidationFailed as error:
            apply_errors(form, error.fields)
        else:
            remembered = current_app.config["REMEMBER_COOKIE_NAME"] in request.cookies
            login_user(current_user, remember=remembered)
            flash("Your password is changed; every other session was signed out.", "success")
            return redirect(url_for("auth.profile"))
    elif form.is_submitted():
        judge_new_password(form, current_user.email)
    return render_template("auth/password.html", form=form)


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["PASSWORD_RESET_RATE_LIMIT"], methods=["POST"])
def request_reset():
    form = ResetRequestForm()
    if form.validate_on_submit():
        accounts.request_password_reset(
            form.email.data,
            lambda token: url_for("auth.reset_password", token=token, _external=True),
        )
        minutes = current_app.config["PASSWORD_RESET_MAX_AGE_SECONDS"] // 60
        flash(
            f"If an account uses {form.email.data}, we have emailed it a link to choose a new"
            f" password. The link works for {minutes} minutes.",
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        account = accounts.account_for_reset(token)
    except DomainError as error:
        return render_template("auth/reset_invalid.html", message=error.message), error.status
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(token, form.password.data)
        except ValidationFailed as error:
            apply_errors(form, error.fields)
        else:
            flash("Your password is changed. Sign in with it.", "success")
            return redirect(url_for("auth.login"))
    elif form.is_submitted():
        judge_new_password(form, account.email)
    return render_template("auth/reset_password.html", form=form, account=account)


@bp.route("/two-factor", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["TWO_FACTOR_RATE_LIMIT"], methods=["POST"])
def two_factor():
    """Set up two-factor sign-in (scan, then prove with a code), or see that it is on."""
    if current_user.has_two_factor:
        return render_template("auth/two_factor_on.html", form=DisableTwoFactorForm())
    secret = session.setdefault(ENROLL_SECRET, twofactor.new_secret())
    form = CodeForm()
    if form.validate_on_submit():
        try:
            twofactor.enable(current_user, secret, form.code.data)
        except ValidationFailed as error:
            apply_errors(form, error.fields)
        else:
            session.pop(ENROLL_SECRET, None)
            flash("Two-factor sign-in is on.", "success")
            return redirect(url_for("auth.profile"))
    return render_template(
        "auth/two_factor_enroll.html",
        form=form,
        secret=secret,
        action=url_for("auth.two_factor"),
        required=False,
    )


@bp.route("/two-factor/disable", methods=["POST"])
@login_required
@limiter.limit(lambda: current_app.config["TWO_FACTOR_RATE_LIMIT"])
def disable_two_factor():
    form = DisableTwoFactorForm()
    if form.validate_on_submit():
        try:
            twofactor.disable(current_user, form.password.data, form.code.data)
        except ValidationFailed as error:
            apply_errors(form, error.fields)
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash("Two-factor sign-in is off.", "info")
            return redirect(url_for("auth.profile"))
    return render_template("auth/two_factor_on.html", form=form), 422
