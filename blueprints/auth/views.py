"""Sign-up, sign-in (with its second step), sign-out, idle sessions and the account page."""

import time
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import (
    current_user,
    login_required,
    login_user,
    logout_user,
    user_loaded_from_cookie,
)

from blueprints.auth import bp
from blueprints.auth.forms import CodeForm, LoginForm, RegisterForm, TokenForm
from blueprints.b2c.shopping import merge_visitor_cart
from blueprints.common import apply_errors
from marketplace import clock
from marketplace.exceptions import InvalidCredentials, SignInLocked, ValidationFailed
from marketplace.extensions import limiter
from marketplace.services import accounts, twofactor

ERROR_ALIASES = {
    "company.name": "company_name",
    "company.tax_id": "tax_id",
    "company.sells": "sells",
}
# A sign-in whose password matched but whose second factor is still due.
PENDING = "pending_sign_in"
PENDING_SECONDS = 300
# A TOTP secret shown as a QR code and waiting for its first code.
ENROLL_SECRET = "totp_enroll_secret"
# When a signed-in browser was last seen (Unix seconds, rounded down to the minute written).
LAST_SEEN = "seen"
# The person asked to be kept signed in (at sign-in, or by a valid remember-me cookie). In
# the signed session, not read from the cookie's presence, which anyone can fake.
KEPT_SIGNED_IN = "kept_signed_in"


@user_loaded_from_cookie.connect
def _kept_by_cookie(sender, user) -> None:
    session[KEPT_SIGNED_IN] = True


@bp.before_app_request
def end_idle_session():
    """A browser signed in without "Keep me signed in" that sent nothing for
    SESSION_IDLE_MINUTES is signed out (ASVS 3.3.2); its visitor cart and settings stay.
    Real time, not the app's clock: idleness is the person's, not the shop's calendar.
    The time seen is written at most once a minute, so most answers set no cookie."""
    if "_user_id" not in session or session.get(KEPT_SIGNED_IN):
        return
    now = int(time.time())
    seen = session.get(LAST_SEEN)
    idle_minutes = current_app.config["SESSION_IDLE_MINUTES"]
    if isinstance(seen, int) and now - seen > idle_minutes * 60:
        logout_user()
        session.pop(LAST_SEEN, None)
        flash(
            f"You were signed out after {idle_minutes} minutes without activity. Sign in again"
            " (tick “Keep me signed in” to stay signed in on this device).",
            "info",
        )
    elif not isinstance(seen, int) or now - seen >= 60:
        session[LAST_SEEN] = now


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative paths, so `next` cannot send people elsewhere. Browsers drop
    tabs and line breaks from an address and read a backslash as a slash, so `/<TAB>/evil`
    or `/\\evil` would be `//evil`, another site: a path holding either is refused too."""
    if not target or any(char < " " or char in "\\\x7f" for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def judge_new_password(form, email: str = "") -> None:
    """A form the page refuses (say its confirmation differs) never reaches the service, so
    a new password that breaks the rules too would only be told on the next try: add what
    accounts.password_problems finds beside the password field now."""
    password = form.password.data
    if password and not form.password.errors:
        apply_errors(form, {"password": accounts.password_problems(password, email)})


def sign_in(account, remember: bool = False, next_url: str | None = None):
    """Start a browser session for `account` and send it on; a visitor's cart joins the
    account's, and the owner hears of failed attempts since the last sign-in."""
    failures = accounts.signed_in(account)
    login_user(account, remember=remember)
    session[KEPT_SIGNED_IN] = bool(remember)
    merge_visitor_cart(account)
    if failures:
        flash(
            f"There {'was' if failures == 1 else 'were'} {failures} failed attempt"
            f"{'' if failures == 1 else 's'} to sign in to your account since your last visit."
            " If that was not you, change your password.",
            "warning",
        )
    return redirect(next_url or url_for("admin.index" if account.is_admin else "b2c.home"))


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
            if business:
                flash("Welcome! An admin will verify your company shortly.", "success")
            else:
                flash(f"Welcome to Solemate, {account.name}!", "success")
            return sign_in(account, next_url=_safe_next(request.args.get("next")))
    elif form.is_submitted():
        judge_new_password(form, form.email.data or "")
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
    notice = None
    if form.validate_on_submit():
        try:
            account = accounts.authenticate(form.email.data, form.password.data)
        except SignInLocked as error:
            g.login_failed = True
            notice = error.message
        except InvalidCredentials as error:
            g.login_failed = True
            form.password.errors = [error.message]
        else:
            next_url = _safe_next(request.args.get("next"))
            if not (account.has_two_factor or twofactor.required_on_web(account)):
                return sign_in(account, form.remember.data, next_url)
            session[PENDING] = {
                "account": account.get_id(),
                "remember": form.remember.data,
                "next": next_url,
                "at": clock.epoch_seconds(),
            }
            if account.has_two_factor:
                return redirect(url_for("auth.login_code"))
            session[ENROLL_SECRET] = twofactor.new_secret()
            return redirect(url_for("auth.login_enroll"))
    return render_template("auth/login.html", form=form, notice=notice)


def pending_account():
    """The account of an unfinished sign-in (password matched) still valid, else None."""
    pending = session.get(PENDING)
    if not pending or clock.epoch_seconds() - pending.get("at", 0) > PENDING_SECONDS:
        session.pop(PENDING, None)
        return None
    return accounts.load_session_account(pending["account"])


def _finish_pending(account):
    pending = session.pop(PENDING)
    return sign_in(account, pending["remember"], pending["next"])


def _restart_sign_in():
    session.pop(PENDING, None)
    flash("Your sign-in timed out; enter your password again.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["TWO_FACTOR_RATE_LIMIT"], methods=["POST"])
def login_code():
    account = pending_account()
    if account is None:
        return _restart_sign_in()
    if not account.has_two_factor:
        return redirect(url_for("auth.login_enroll"))
    form = CodeForm()
    if form.validate_on_submit():
        if twofactor.verify(account, form.code.data):
            return _finish_pending(account)
        accounts.record_failure(account.email)
        try:
            accounts.refuse_if_locked(account.email)
        except SignInLocked as error:
            session.pop(PENDING, None)
            flash(error.message, "error")
            return redirect(url_for("auth.login"))
        form.code.errors = ["That code does not match or was used already; try the newest one."]
    return render_template("auth/login_code.html", form=form)


@bp.route("/login/enroll", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["TWO_FACTOR_RATE_LIMIT"], methods=["POST"])
def login_enroll():
    """Admins without two-factor sign-in set it up here before their first session."""
    account = pending_account()
    if account is None:
        return _restart_sign_in()
    secret = session.get(ENROLL_SECRET)
    if secret is None or account.has_two_factor:
        return redirect(url_for("auth.login_code"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            twofactor.enable(account, secret, form.code.data)
        except ValidationFailed as error:
            apply_errors(form, error.fields)
        else:
            session.pop(ENROLL_SECRET, None)
            flash("Two-factor sign-in is on.", "success")
            return _finish_pending(account)
    return render_template(
        "auth/two_factor_enroll.html",
        form=form,
        secret=secret,
        action=url_for("auth.login_enroll"),
        required=True,
    )


@bp.route("/two-factor/qr.png")
def two_factor_qr():
    """The QR code of the secret being set up, for the signed-in or signing-in account."""
    account = current_user if current_user.is_authenticated else pending_account()
    secret = session.get(ENROLL_SECRET)
    if account is None or secret is None:
        return "", 404
    png = twofactor.qr_png(twofactor.provisioning_uri(account, secret))
    return png, 200, {"Content-Type": "image/png", "Cache-Control": "no-store"}


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out here and on every other device."""
    if current_user.is_authenticated:
        accounts.end_sessions(current_user)
    logout_user()
    session.clear()
    flash("You are signed out on every device.", "info")
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
