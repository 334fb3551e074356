"""Sign-up, sign-in, sign-out and the account page."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/account")

from blueprints.auth import security, views  # noqa: E402,F401
