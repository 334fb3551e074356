"""Managers: apply, dashboard, shop and share panel; public shops; referral links."""

from flask import Blueprint

bp = Blueprint("b2m", __name__)

from blueprints.b2m import views  # noqa: E402,F401
