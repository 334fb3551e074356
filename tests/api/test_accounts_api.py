"""API accounts: register, tokens, /me, admin verification (API.md, Accounts and Admin)."""

from datetime import timedelta

import pytest

from marketplace import clock
from models import Account, Company
from tests.helpers import (
    PASSWORD,
    count,
    login,
    make_admin,
    make_company_member,
    make_person,
    token_for,
)


def test_register_a_person_then_a_business(client):
    person = client.post(
        "/api/v1/auth/register",
        json={"email": "Ann@Example.test", "password": PASSWORD, "name": "Ann"},
    )
    assert person.status_code == 201
    assert person.get_json() == {
        "id": person.get_json()["id"],
        "email": "ann@example.test",
        "account_type": "person",
        "company_id": None,
    }
    business = client.post(
        "/api/v1/auth/register",
        json={
            "email": "buyer@example.test",
            "password": PASSWORD,
            "name": "Bo",
            "account_type": "business",
            "company": {
                "name": "Bo's Boots",
                "tax_id": "FR1",
                "sells": False,
                "buys_wholesale": True,
            },
        },
    )
    assert business.status_code == 201
    body = business.get_json()
    assert body["account_type"] == "business" and isinstance(body["company_id"], int)
    me = client.get("/api/v1/me", headers=token_for(client, "buyer@example.test")).get_json()
    assert me["company"] == {"id": body["company_id"], "name": "Bo's Boots", "status": "pending"}
    assert me["is_admin"] is False and me["manager"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "x@example.test", "password": "short", "name": "X"}, "password"),
        ({"email": "nope", "password": PASSWORD, "name": "X"}, "email"),
        ({"email": "x@example.test", "password": PASSWORD}, "name"),
        (
            {"email": "x@example.test", "password": PASSWORD, "name": "X", "account_type": "robot"},
            "account_type",
        ),
        (
            {
                "email": "x@example.test",
                "password": PASSWORD,
                "name": "X",
                "account_type": "business",
            },
            "company.name",
        ),
        ({"email": "x@example.test", "password": 12345678, "name": "X"}, "password"),
    ],
)
def test_invalid_registrations_are_422_with_field_errors_and_write_nothing(
    app, client, body, field
):
    response = client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and field in error["fields"]
    assert count(app, Account) == 0 and count(app, Company) == 0


@pytest.mark.parametrize(
    "raw", [b"{not json", b"[1, 2]", b'"text"', b"[" * 5000 + b"]" * 5000, b'{"a":' * 5000]
)
def test_malformed_bodies_are_400(client, raw):
    response = client.post("/api/v1/auth/register", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"


def test_duplicate_email_is_refused(app, client):
    make_person(app, email="dup@example.test")
    response = client.post(
        "/api/v1/auth/register",
        json={"email": "dup@example.test", "password": PASSWORD, "name": "D"},
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]["email"] == [
        "An account with this email already exists."
    ]


def test_token_login_gives_one_answer_for_unknown_email_and_wrong_password(app, client):
    person = make_person(app)
    ok = client.post("/api/v1/auth/token", json={"email": person.email, "password": PASSWORD})
    assert ok.status_code == 200
    assert ok.get_json()["token"].startswith("sm_") and ok.get_json()["expires_at"].endswith("Z")
    wrong = client.post(
        "/api/v1/auth/token", json={"email": person.email, "password": "nope-nope-nope"}
    )
    unknown = client.post(
        "/api/v1/auth/token", json={"email": "ghost@example.test", "password": "nope-nope-nope"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json()


def test_tokens_are_stored_hashed_and_expire(app, client):
    person = make_person(app)
    headers = token_for(client, person.email)
    raw = headers["Authorization"].split()[1]
    with app.app_context():
        from sqlalchemy import select

        from marketplace.extensions import db
        from models import ApiToken

        stored = db.session.scalar(select(ApiToken.token_hash))
        assert raw not in stored and len(stored) == 64
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    clock.set_now(clock.now() + timedelta(hours=app.config["API_TOKEN_TTL_HOURS"] + 1))
    expired = client.get("/api/v1/me", headers=headers)
    assert expired.status_code == 401
    assert expired.get_json()["error"]["code"] == "invalid_token"


def test_me_needs_a_token_and_ignores_the_browser_session(app, client):
    person = make_person(app)
    login(client, person.email)
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert (
        client.get("/api/v1/me", headers={"Authorization": "Bearer sm_made_up"}).status_code == 401
    )
    me = client.get("/api/v1/me", headers=token_for(client, person.email)).get_json()
    assert me["email"] == person.email and me["account_type"] == "person" and me["company"] is None


def test_admin_lists_pending_companies_and_verifies_one(app, client):
    admin = make_admin(app)
    pending = make_company_member(app, "Late Shoes", verified=False, buys_wholesale=True)
    make_company_member(app, "Done Shoes")
    headers = token_for(client, admin.email)
    listed = client.get("/api/v1/admin/companies", headers=headers).get_json()
    assert [c["name"] for c in listed["items"]] == ["Late Shoes"] and listed["total"] == 1
    response = client.post(
        f"/api/v1/admin/companies/{pending.company_id}/verify",
        json={"credit_limit_cents": 500000},
        headers=headers,
    )
    assert response.status_code == 200
    assert (response.get_json()["status"], response.get_json()["credit_limit_cents"]) == (
        "verified",
        500000,
    )
    assert client.post("/api/v1/admin/companies/424242/verify", headers=headers).status_code == 404
    bad = client.post(
        f"/api/v1/admin/companies/{pending.company_id}/verify",
        json={"credit_limit_cents": -5},
        headers=headers,
    )
    assert bad.status_code == 422


def test_admin_routes_refuse_everyone_else(app, client):
    person = make_person(app)
    company = make_company_member(app, verified=False)
    headers = token_for(client, person.email)
    assert client.get("/api/v1/admin/companies").status_code == 401
    assert client.get("/api/v1/admin/companies", headers=headers).status_code == 403
    response = client.post(f"/api/v1/admin/companies/{company.company_id}/verify", headers=headers)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"


def test_unknown_api_paths_answer_json_404(client):
    response = client.get("/api/v1/does-not-exist")
    assert response.status_code == 404
    assert response.get_json()["error"] == {
        "code": "not_found",
        "message": "Not found.",
        "fields": {},
    }
    assert client.delete("/api/v1/me").get_json()["error"]["code"] == "method_not_allowed"
