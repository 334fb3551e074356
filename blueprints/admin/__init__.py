"""Admin pages: company verification (managers, payouts, disputes and the ledger join later)."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from blueprints.admin import views  # noqa: E402,F401
