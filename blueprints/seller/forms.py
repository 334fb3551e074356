"""Seller console forms."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, MultipleFileField
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from blueprints.fields import MoneyField, SizeField, choices
from marketplace import sizes
from models.listings import CATEGORIES

IMAGE_TYPES = ["jpg", "jpeg", "png", "webp"]


class VariantRow(Form):
    """One size row; a row left entirely empty is ignored."""

    id = HiddenField()
    size_eu = SizeField("EU size", validators=[Optional()])
    sku = StringField("SKU", validators=[Optional(), Length(max=64)])
    stock = IntegerField("Stock", validators=[Optional(), NumberRange(min=0, max=1_000_000)])
    price = MoneyField("Retail price", validators=[Optional()])

    def is_blank(self) -> bool:
        return not any(
            (field.raw_data or [""])[0].strip() if field.raw_data else field.data
            for field in (self.size_eu, self.sku, self.stock, self.price)
        )


class TierRow(Form):
    min_qty = IntegerField("From pairs", validators=[Optional(), NumberRange(min=1, max=1_000_000)])
    price = MoneyField("Unit price", validators=[Optional()])


class PrepackRow(Form):
    name = StringField("Prepack name", validators=[Optional(), Length(max=80)])
    sizes = StringField("Size run", validators=[Optional(), Length(max=300)])


class ListingForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    brand = StringField("Brand", validators=[DataRequired(), Length(max=80)])
    model = StringField("Model", validators=[DataRequired(), Length(max=120)])
    colorway = StringField("Colorway", validators=[Optional(), Length(max=80)])
    category = SelectField("Category", choices=choices((c, c.capitalize()) for c in CATEGORIES))
    gender = SelectField(
        "Gender", choices=choices((g, g.capitalize()) for g in sizes.GENDERS), default="men"
    )
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    b2c_enabled = BooleanField("Sell to consumers (B2C)", default=True)
    variants = FieldList(FormField(VariantRow), min_entries=6, max_entries=60)
    b2b_enabled = BooleanField("Sell wholesale (B2B) to verified buyers")
    moq = IntegerField(
        "Minimum order (pairs)",
        default=1,
        validators=[Optional(), NumberRange(min=1, max=1_000_000)],
    )
    order_multiple = IntegerField(
        "Case pack (pairs per size step)",
        default=1,
        validators=[Optional(), NumberRange(min=1, max=1000)],
    )
    tiers = FieldList(FormField(TierRow), min_entries=4, max_entries=20)
    b2m_enabled = BooleanField("Sell through managers (B2M)")
    b2m_base = MoneyField("Your base price per pair", validators=[Optional()])
    b2m_min = MoneyField("Lowest retail a manager may ask", validators=[Optional()])
    b2m_suggested = MoneyField("Suggested retail", validators=[Optional()])
    b2m_max = MoneyField("Highest retail a manager may ask", validators=[Optional()])
    prepacks = FieldList(FormField(PrepackRow), min_entries=3, max_entries=20)
    photos = MultipleFileField(
        "Photos", validators=[FileAllowed(IMAGE_TYPES, "Upload JPEG, PNG or WebP images.")]
    )


class PhotoForm(FlaskForm):
    photos = MultipleFileField(
        "Add photos",
        validators=[FileAllowed(IMAGE_TYPES, "Upload JPEG, PNG or WebP images.")],
    )


class ImportForm(FlaskForm):
    file = FileField(
        "Catalog CSV",
        validators=[
            FileRequired("Choose a CSV file."),
            FileAllowed(["csv", "txt"], "Upload a .csv file."),
        ],
    )


class ActionForm(FlaskForm):
    """CSRF-only form for the console's buttons."""


class QuoteAnswerForm(FlaskForm):
    unit_price = MoneyField("Unit price", validators=[DataRequired("Give a price per pair.")])
    valid_days = IntegerField(
        "Valid for (days)", default=14, validators=[DataRequired(), NumberRange(min=1, max=90)]
    )
    note = TextAreaField("Note to the buyer", validators=[Optional(), Length(max=2000)])


class SettingsForm(FlaskForm):
    min_order_first = MoneyField("Minimum first wholesale order")
    min_order_reorder = MoneyField("Minimum reorder")
