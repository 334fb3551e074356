"""Admin forms."""

from flask_wtf import FlaskForm

from blueprints.fields import MoneyField


class VerifyCompanyForm(FlaskForm):
    credit_limit = MoneyField("Net-30 credit limit")


class ActionForm(FlaskForm):
    """CSRF-only form for admin buttons."""
