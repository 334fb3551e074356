"""Consumer forms: add to cart, checkout, order actions, reviews."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from blueprints.fields import choices
from marketplace.services.pricing import SHIPPING_METHODS


class AddToCartForm(FlaskForm):
    variant_id = IntegerField("Size", validators=[InputRequired("Pick a size.")])
    quantity = IntegerField("Pairs", default=1, validators=[NumberRange(min=1, max=20)])


class QuantityForm(FlaskForm):
    quantity = IntegerField("Pairs", validators=[InputRequired(), NumberRange(min=0, max=20)])


class CheckoutForm(FlaskForm):
    token = HiddenField()
    name = StringField("Full name", validators=[DataRequired(), Length(max=120)])
    line1 = StringField("Address", validators=[DataRequired(), Length(max=200)])
    line2 = StringField("Address line 2", validators=[Optional(), Length(max=200)])
    city = StringField("City", validators=[DataRequired(), Length(max=100)])
    postal_code = StringField("Postal code", validators=[DataRequired(), Length(max=20)])
    country = StringField("Country", default="US", validators=[DataRequired(), Length(max=60)])
    shipping_method = RadioField(
        "Shipping", choices=choices(SHIPPING_METHODS.items()), default="standard"
    )
    card_number = StringField(
        "Card number",
        validators=[DataRequired(), Length(max=40)],
        render_kw={"autocomplete": "cc-number", "inputmode": "numeric"},
    )


# The return and review forms only carry what was typed: orders.request_return and
# reviews.review_order judge it, and their field errors are shown beside these fields.
class ReasonForm(FlaskForm):
    reason = TextAreaField("Why are you returning it?", render_kw={"required": True})


class ReviewForm(FlaskForm):
    stars = RadioField(
        "Stars",
        choices=choices((str(n), "★" * n) for n in range(5, 0, -1)),
        validate_choice=False,
        render_kw={"required": True},
    )
    comment = TextAreaField("Your review")


class ActionForm(FlaskForm):
    """CSRF-only form for order buttons."""
