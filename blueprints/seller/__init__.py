"""The seller console: listings, photos, catalog import (orders and sales join later)."""

from flask import Blueprint

bp = Blueprint("seller", __name__, url_prefix="/seller")

from blueprints.seller import views  # noqa: E402,F401
