"""Consumer pages: home, catalog, listing, cart, checkout and the buyer's orders."""

from flask import Blueprint

bp = Blueprint("b2c", __name__)

from blueprints.b2c import shopping, views  # noqa: E402,F401
