"""Form fields shared by the page blueprints."""

from __future__ import annotations

from wtforms import StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation

from marketplace import sizes
from marketplace.money import parse_money


class ParsedField(StringField):
    """A text field whose typed value is read into `data`; text it cannot read gets only
    that reason, not also DataRequired's "enter a value" (which would replace it)."""

    def pre_validate(self, form) -> None:
        if self.process_errors:
            raise StopValidation()


class MoneyField(ParsedField):
    """An amount typed as 129.99; `data` is whole cents (None when left empty)."""

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return f"{self.data / 100:.2f}" if isinstance(self.data, int) else ""

    def process_formdata(self, valuelist):
        self.raw_data = valuelist
        text = (valuelist[0] if valuelist else "").strip()
        if not text:
            self.data = None
            return
        try:
            self.data = parse_money(text)
        except ValueError as exc:
            self.data = None
            raise ValueError(str(exc)) from exc


class SizeField(ParsedField):
    """An EU size typed as 42 or 42.5 (or 42,5); `data` is the canonical text."""

    def process_formdata(self, valuelist):
        self.raw_data = valuelist
        text = (valuelist[0] if valuelist else "").strip()
        if not text:
            self.data = None
            return
        try:
            self.data = sizes.normalize_eu(text)
        except ValueError as exc:
            self.data = None
            raise ValueError(str(exc)) from exc


class ValidEmail:
    """The API's email rule (marshmallow's), so pages and API accept the same addresses."""

    message = "Enter a valid email address."

    def __call__(self, form, field) -> None:
        from marshmallow import ValidationError
        from marshmallow.validate import Email
        from wtforms.validators import ValidationError as FormError

        try:
            Email()(field.data or "")
        except ValidationError as exc:
            raise FormError(self.message) from exc


def choices(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]
