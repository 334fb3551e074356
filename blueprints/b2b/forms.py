"""Wholesale forms."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from blueprints.fields import choices

TERMS = choices([("net30", "Net 30 (invoice)"), ("prepaid", "Prepaid by card")])


class OrderTermsForm(FlaskForm):
    po_number = StringField("PO number", validators=[Optional(), Length(max=60)])
    payment_terms = RadioField("Payment", choices=TERMS, default="net30")
    card_number = StringField("Card number (prepaid)", validators=[Optional(), Length(max=40)])


class CsvOrderForm(OrderTermsForm):
    file = FileField(
        "Order file (CSV)",
        validators=[
            FileRequired("Choose a CSV file."),
            FileAllowed(["csv", "txt"], "Upload a .csv file."),
        ],
    )


class QuoteRequestForm(FlaskForm):
    quantity = IntegerField("Pairs", validators=[DataRequired(), NumberRange(min=1, max=1_000_000)])
    message = TextAreaField("Message to the seller", validators=[Optional(), Length(max=2000)])


class PayInvoiceForm(FlaskForm):
    card_number = StringField("Card number", validators=[DataRequired(), Length(max=40)])


class ActionForm(FlaskForm):
    """CSRF-only form for buttons."""
