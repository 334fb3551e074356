"""People selling used pairs: sell, offers, escrow checkout, messages, profiles."""

from flask import Blueprint

bp = Blueprint("c2c", __name__)

from blueprints.c2c import views  # noqa: E402,F401
