"""Consumer pages: home, catalog, listing (cart, checkout and orders join with issue 3)."""

from flask import Blueprint

bp = Blueprint("b2c", __name__)

from blueprints.b2c import views  # noqa: E402,F401
