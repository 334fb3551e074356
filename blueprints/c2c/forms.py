"""Forms of the used-pair pages."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, MultipleFileField
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from blueprints.fields import MoneyField, SizeField, choices
from marketplace import sizes
from marketplace.templating import CONDITION_HELP, CONDITION_NAMES
from models.listings import C2C_CONDITIONS, CATEGORIES

IMAGE_TYPES = ["jpg", "jpeg", "png", "webp"]


class PairForm(FlaskForm):
    resell_line = HiddenField()
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    brand = StringField("Brand", validators=[DataRequired(), Length(max=80)])
    model = StringField("Model", validators=[DataRequired(), Length(max=120)])
    colorway = StringField("Colorway", validators=[Optional(), Length(max=80)])
    category = SelectField(
        "Category", choices=choices((c, c.capitalize()) for c in CATEGORIES), default="lifestyle"
    )
    gender = SelectField(
        "Gender", choices=choices((g, g.capitalize()) for g in sizes.GENDERS), default="men"
    )
    size_eu = SizeField("EU size", validators=[DataRequired("Enter the EU size.")])
    condition = RadioField(
        "Condition",
        choices=choices((c, f"{CONDITION_NAMES[c]}: {CONDITION_HELP[c]}") for c in C2C_CONDITIONS),
        validators=[DataRequired("Choose the condition.")],
    )
    price = MoneyField("Asking price", validators=[DataRequired("Set your price.")])
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    photos = MultipleFileField(
        "Photos", validators=[FileAllowed(IMAGE_TYPES, "Upload JPEG, PNG or WebP images.")]
    )


class OfferForm(FlaskForm):
    amount = MoneyField("Your offer", validators=[DataRequired("Enter an amount.")])


class BuyForm(FlaskForm):
    offer_id = HiddenField()
    name = StringField("Full name", validators=[DataRequired(), Length(max=120)])
    line1 = StringField("Address", validators=[DataRequired(), Length(max=200)])
    line2 = StringField("Address line 2", validators=[Optional(), Length(max=200)])
    city = StringField("City", validators=[DataRequired(), Length(max=100)])
    postal_code = StringField("Postal code", validators=[DataRequired(), Length(max=20)])
    country = StringField("Country", default="US", validators=[DataRequired(), Length(max=60)])
    card_number = StringField("Card number", validators=[DataRequired(), Length(max=40)])


class MessageForm(FlaskForm):
    buyer_id = HiddenField()
    body = TextAreaField("Message", validators=[DataRequired("Write something."), Length(max=2000)])


# The dispute and rating forms only carry what was typed: escrow.open_dispute and c2c.rate
# judge it, and their field errors are shown beside these fields.
class DisputeForm(FlaskForm):
    reason = TextAreaField("What is wrong?", render_kw={"required": True})


class RatingForm(FlaskForm):
    stars = RadioField(
        "Stars",
        choices=choices((str(n), "★" * n) for n in range(5, 0, -1)),
        validate_choice=False,
        render_kw={"required": True},
    )
    comment = TextAreaField("A few words")


class ActionForm(FlaskForm):
    """CSRF-only form for buttons."""
