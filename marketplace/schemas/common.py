"""Schema building blocks: strict JSON inputs, size fields, pages and errors."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from marketplace import sizes


class Input(Schema):
    """Base of every request body: unknown keys are ignored, types are strict."""

    class Meta:
        unknown = EXCLUDE


class SizeEU(fields.String):
    """An EU size as text ("42", "42.5"); numbers are accepted and normalised."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValidationError('EU size must be text like "42" or "42.5".')
        try:
            return sizes.normalize_eu(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


def Cents(**kwargs) -> fields.Integer:  # noqa: N802 (reads like a field class)
    """A non-negative whole number of cents."""
    return fields.Integer(strict=True, validate=validate.Range(min=0, max=100_000_000), **kwargs)


def Quantity(maximum: int = 100_000, **kwargs) -> fields.Integer:  # noqa: N802
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=maximum), **kwargs)


class PageArgs(Input):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class ErrorBody(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


class ErrorResponse(Schema):
    error = fields.Nested(ErrorBody, required=True)


def page_schema(item: type[Schema], name: str) -> type[Schema]:
    """A schema class for `{items, page, per_page, total}` pages of `item`."""
    return type(
        name,
        (Schema,),
        {
            "items": fields.List(fields.Nested(item)),
            "page": fields.Integer(),
            "per_page": fields.Integer(),
            "total": fields.Integer(),
        },
    )


def flatten_errors(messages, prefix: str = "") -> dict[str, list[str]]:
    """Marshmallow's nested error dict as `{"variants.0.sku": [...]}`."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(flatten_errors(value, name))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "_schema"] = list(messages)
    elif isinstance(messages, list):
        for index, value in enumerate(messages):
            flat.update(flatten_errors(value, f"{prefix}.{index}" if prefix else str(index)))
    else:
        flat[prefix or "_schema"] = [str(messages)]
    return flat
