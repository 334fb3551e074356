"""API sign-in with a second factor and lockout; rate limits on offers and messages."""

import pyotp

from marketplace.extensions import db
from marketplace.services import twofactor
from models import Account, Message, Offer
from tests.c2c_helpers import new_pair, offer
from tests.helpers import PASSWORD, count, login, make_admin, make_person, token_for, totp_code


def ask_token(client, email: str, password: str = PASSWORD, **extra):
    return client.post("/api/v1/auth/token", json={"email": email, "password": password, **extra})


def enroll(app, account_id: int) -> str:
    """Two-factor sign-in turned on for an account (as its set-up page would)."""
    secret = pyotp.random_base32()
    with app.app_context():
        db.session.get(Account, account_id).totp_sealed = twofactor.seal(secret)
        db.session.commit()
    return secret


def last_step(app, account_id: int) -> int | None:
    with app.app_context():
        return db.session.get(Account, account_id).totp_last_step


def error_code(response) -> str:
    return response.get_json()["error"]["code"]


def test_an_account_with_two_factor_needs_a_fresh_code_for_a_token(app, client):
    person = make_person(app)
    secret = enroll(app, person.id)
    missing = ask_token(client, person.email)
    assert (missing.status_code, error_code(missing)) == (401, "otp_required")
    wrong = ask_token(client, person.email, otp="000000")
    assert (wrong.status_code, error_code(wrong)) == (401, "invalid_otp")
    code = totp_code(secret)
    assert ask_token(client, person.email, otp=code).status_code == 200
    replayed = ask_token(client, person.email, otp=code)
    assert (replayed.status_code, error_code(replayed)) == (401, "invalid_otp")
    bad_password = ask_token(client, person.email, "wrong-guess", otp=totp_code(secret))
    assert error_code(bad_password) == "invalid_credentials"  # no hint the code was right


def test_admins_without_two_factor_get_no_token_where_the_server_requires_it(make_app):
    app = make_app(ADMIN_API_2FA=True)
    client = app.test_client()
    admin, person = make_admin(app), make_person(app)
    refused = ask_token(client, admin.email)
    assert (refused.status_code, error_code(refused)) == (403, "two_factor_required")
    assert ask_token(client, person.email).status_code == 200  # others are not asked
    secret = enroll(app, admin.id)
    assert ask_token(client, admin.email, otp=totp_code(secret)).status_code == 200


def test_a_cli_admin_gets_a_token_with_email_and_password_by_default(app, client):
    admin = make_admin(app)  # like `flask create-admin`, no second factor yet
    assert ask_token(client, admin.email).status_code == 200


def test_repeated_failures_lock_token_requests_for_that_email(app, client):
    person = make_person(app)
    for _ in range(app.config["LOGIN_LOCKOUT_THRESHOLD"]):
        assert ask_token(client, person.email, "wrong-guess").status_code == 401
    locked = ask_token(client, person.email)
    assert (locked.status_code, error_code(locked)) == (429, "sign_in_locked")
    assert locked.get_json()["error"]["retry_after_seconds"] > 0
    for _ in range(app.config["LOGIN_LOCKOUT_THRESHOLD"]):  # the same for an unknown email
        ask_token(client, "nobody@example.test", "wrong-guess")
    assert error_code(ask_token(client, "nobody@example.test")) == "sign_in_locked"


def test_wrong_codes_count_towards_the_lockout(app, client):
    person = make_person(app)
    secret = enroll(app, person.id)
    for _ in range(app.config["LOGIN_LOCKOUT_THRESHOLD"]):
        ask_token(client, person.email, otp="000000")
    locked = ask_token(client, person.email, otp=totp_code(secret, last_step(app, person.id)))
    assert error_code(locked) == "sign_in_locked"


def test_offers_are_rate_limited_per_buyer(make_app):
    app = make_app(RATELIMIT_ENABLED=True, OFFER_RATE_LIMIT="2 per hour")
    client = app.test_client()
    seller, buyer, other = (make_person(app, name=name) for name in ("Sel", "Bo", "Oz"))
    seller_headers = token_for(client, seller.email)
    pairs = [new_pair(client, seller_headers, price_cents=10000)["id"] for _ in range(3)]
    buyer_headers, other_headers = token_for(client, buyer.email), token_for(client, other.email)
    statuses = [offer(client, buyer_headers, pair, 8000).status_code for pair in pairs]
    assert statuses == [201, 201, 429]
    third = offer(client, buyer_headers, pairs[2], 8000).get_json()
    assert third["error"]["code"] == "rate_limited"
    assert offer(client, other_headers, pairs[2], 8000).status_code == 201  # per buyer
    assert count(app, Offer) == 3


def test_messages_are_rate_limited_per_sender_on_the_api_and_the_pages(make_app):
    app = make_app(RATELIMIT_ENABLED=True, MESSAGE_RATE_LIMIT="2 per hour")
    client = app.test_client()
    seller, buyer = make_person(app, name="Sel"), make_person(app, name="Bo")
    pair = new_pair(client, token_for(client, seller.email))["id"]
    headers = token_for(client, buyer.email)
    statuses = [
        client.post(
            f"/api/v1/c2c/listings/{pair}/messages", json={"body": "Still there?"}, headers=headers
        ).status_code
        for _ in range(3)
    ]
    assert statuses == [201, 201, 429]
    login(client, buyer.email)
    page = client.post(
        f"/used/{pair}/messages", data={"body": "Hello?"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Slow down: at most 2 per 1 hour" in page
    assert count(app, Message) == 2
