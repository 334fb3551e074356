"""Account pages."""

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from blueprints.auth import bp
from blueprints.auth.forms import LoginForm, RegisterForm, TokenForm
from blueprints.b2c.shopping import merge_visitor_cart
from blueprints.common import apply_errors
from marketplace.exceptions import InvalidCredentials, ValidationFailed
from marketplace.extensions import limiter
from marketplace.services import accounts

ERROR_ALIASES = {
    "company.name": "company_name",
    "company.tax_id": "tax_id",
    "company.sells": "sells",
}


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative paths, so `next` cannot send people elsewhere."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return None


def sign_in(account) -> None:
    """Start a browser session for `account`; a visitor's cart joins the account's."""
    login_user(account, remember=bool(request.form.get("remember")))
    merge_visitor_cart(account)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REGISTER_RATE_LIMIT"], methods=["POST"])
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        business = form.account_type.data == "business"
        try:
            account = accounts.register(
                email=form.email.data,
                password=form.password.data,
                name=form.name.data,
                account_type=form.account_type.data,
                company_name=form.company_name.data if business else None,
                tax_id=form.tax_id.data if business else None,
                sells=business and form.sells.data,
                buys_wholesale=business and form.buys_wholesale.data,
                referral_code=session.get("referral_code"),
            )
        except ValidationFailed as error:
            apply_errors(form, error.fields, ERROR_ALIASES)
        else:
            sign_in(account)
            if business:
                flash("Welcome! An admin will verify your company shortly.", "success")
            else:
                flash(f"Welcome to Solemate, {account.name}!", "success")
            return redirect(_safe_next(request.args.get("next")) or url_for("b2c.home"))
    return render_template("auth/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"],
    methods=["POST"],
    deduct_when=lambda response: g.get("login_failed", False),
    error_message="Too many failed sign-in attempts. Wait a minute and try again.",
)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            account = accounts.authenticate(form.email.data, form.password.data)
        except InvalidCredentials as error:
            g.login_failed = True
            form.password.errors = [error.message]
        else:
            sign_in(account)
            return redirect(_safe_next(request.args.get("next")) or url_for("b2c.home"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("b2c.home"))


@bp.route("/", methods=["GET"])
@login_required
def profile():
    return render_template("auth/profile.html", token_form=TokenForm(), new_token=None)


@bp.route("/tokens", methods=["POST"])
@login_required
def create_token():
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        new_token, _ = accounts.issue_token(current_user)
    return render_template("auth/profile.html", token_form=form, new_token=new_token)
