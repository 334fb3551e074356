"""Accounts: register, token, me."""

from flask import current_app

from blueprints.api.core import current_account, endpoint
from marketplace import clock
from marketplace.extensions import limiter
from marketplace.schemas.accounts import MeOut, RegisterIn, RegisterOut, TokenIn, TokenOut
from marketplace.services import accounts, twofactor


def me_view(account) -> dict:
    """The `GET /me` body: parts that do not apply are null."""
    data = MeOut(exclude=("company", "manager")).dump(account)
    data["company"] = data["manager"] = None
    if account.company is not None:
        company = account.company
        data["company"] = {"id": company.id, "name": company.name, "status": company.status}
    manager = getattr(account, "manager", None)
    if manager is not None:
        data["manager"] = {
            "status": manager.status,
            "shop_slug": manager.shop_slug,
            "referral_code": manager.referral_code,
        }
    return data


@endpoint(
    "/auth/register",
    "POST",
    summary="Create an account (person, or business with its company)",
    tag="accounts",
    auth=None,
    body=RegisterIn,
    response=RegisterOut,
    status=201,
    errors=(400, 422, 429),
)
@limiter.limit(lambda: current_app.config["REGISTER_RATE_LIMIT"])
def register(data):
    company = data.get("company") or {}
    account = accounts.register(
        email=data["email"],
        password=data["password"],
        name=data["name"],
        account_type=data["account_type"],
        company_name=company.get("name"),
        tax_id=company.get("tax_id"),
        sells=company.get("sells", False),
        buys_wholesale=company.get("buys_wholesale", False),
        referral_code=data.get("referral_code"),
    )
    body = {
        "id": account.id,
        "email": account.email,
        "account_type": account.account_type,
        "company_id": account.company_id,
    }
    return body, 201


@endpoint(
    "/auth/token",
    "POST",
    summary="Exchange email and password (and a two-factor code if enabled) for a bearer token",
    tag="accounts",
    auth=None,
    body=TokenIn,
    response=TokenOut,
    errors=(400, 401, 403, 422, 429),
    description="401 `invalid_credentials` for a wrong email or password (the same for both),"
    " `otp_required` or `invalid_otp` when the account uses two-factor sign-in; 429"
    " `sign_in_locked` after repeated failures for the email; 403 `two_factor_required` for"
    " an admin without two-factor sign-in where the server requires it.",
)
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"],
    deduct_when=lambda response: response.status_code == 401,
)
def token(data):
    account = accounts.authenticate(data["email"], data["password"])
    twofactor.check_api_sign_in(account, data["otp"])
    accounts.signed_in(account)
    raw, record = accounts.issue_token(account)
    return {"token": raw, "expires_at": clock.isoformat(record.expires_at)}


@endpoint("/me", summary="The signed-in account", tag="accounts", response=MeOut, errors=(401,))
def me():
    return me_view(current_account())
