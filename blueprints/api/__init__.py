"""The JSON API v1 (API.md): bearer tokens, JSON bodies, the error shape, OpenAPI."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from blueprints.api import accounts, admin, b2b, b2m, c2c, listings, orders, spec  # noqa: E402,F401
