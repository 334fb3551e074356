"""Wholesale pages for verified buying companies (everyone else gets 404)."""

from flask import Blueprint

bp = Blueprint("b2b", __name__, url_prefix="/wholesale")

from blueprints.b2b import views  # noqa: E402,F401
