"""The seller console: listings, photos, catalog import, orders to fulfil, sales and balance."""

from flask import Blueprint

bp = Blueprint("seller", __name__, url_prefix="/seller")

from blueprints.seller import orders, views, wholesale  # noqa: E402,F401
