"""Manager forms."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from blueprints.fields import MoneyField


class ApplyForm(FlaskForm):
    shop_name = StringField("Shop name", validators=[DataRequired(), Length(min=3, max=60)])
    referral_code = StringField(
        "Referral code (if someone invited you)", validators=[Optional(), Length(max=16)]
    )


class ShopItemForm(FlaskForm):
    listing_id = HiddenField()
    price = MoneyField("Your price", validators=[DataRequired("Set your price.")])


class ShopCartForm(FlaskForm):
    variant_id = IntegerField("Size", validators=[DataRequired("Pick a size.")])
    quantity = IntegerField("Pairs", default=1, validators=[NumberRange(min=1, max=20)])


class ActionForm(FlaskForm):
    """CSRF-only form for buttons."""


__all__ = ["ActionForm", "ApplyForm", "ShopCartForm", "ShopItemForm"]
