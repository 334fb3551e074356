"""Account schemas: registration, tokens, the `me` view, companies."""

from marshmallow import Schema, fields, validate

from marketplace.schemas.common import Input, PageArgs, page_schema


class CompanyIn(Input):
    name = fields.String(required=True, validate=validate.Length(min=1, max=160))
    tax_id = fields.String(required=True, validate=validate.Length(min=1, max=40))
    sells = fields.Boolean(load_default=False)
    buys_wholesale = fields.Boolean(load_default=False)


class RegisterIn(Input):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    account_type = fields.String(
        load_default="person", validate=validate.OneOf(["person", "business"])
    )
    company = fields.Nested(CompanyIn, load_default=None, allow_none=True)
    referral_code = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=40)
    )


class RegisterOut(Schema):
    id = fields.Integer()
    email = fields.String()
    account_type = fields.String()
    company_id = fields.Integer(allow_none=True)


class TokenIn(Input):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))
    otp = fields.String(
        load_default=None,
        validate=validate.Length(max=12),
        metadata={"description": "The current two-factor code, for accounts that use one."},
    )


class TokenOut(Schema):
    token = fields.String()
    expires_at = fields.String()


class CompanyOut(Schema):
    id = fields.Integer()
    name = fields.String()
    status = fields.String()
    tax_id = fields.String()
    sells = fields.Boolean()
    buys_wholesale = fields.Boolean()
    credit_limit_cents = fields.Integer()


class CompanyBrief(Schema):
    id = fields.Integer()
    name = fields.String()
    status = fields.String()


class ManagerBrief(Schema):
    status = fields.String()
    shop_slug = fields.String(allow_none=True)
    referral_code = fields.String(allow_none=True)


class MeOut(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    account_type = fields.String()
    company = fields.Nested(CompanyBrief, allow_none=True)
    manager = fields.Nested(ManagerBrief, allow_none=True)
    is_admin = fields.Boolean()


class VerifyCompanyIn(Input):
    credit_limit_cents = fields.Integer(
        strict=True, load_default=None, allow_none=True, validate=validate.Range(min=0, max=10**11)
    )


class CompanyQuery(PageArgs):
    status = fields.String(
        load_default="pending", validate=validate.OneOf(["pending", "verified", "rejected"])
    )


CompanyPage = page_schema(CompanyOut, "CompanyPage")
