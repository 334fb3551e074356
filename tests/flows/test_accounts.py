"""Sign-up, sign-in and sign-out on the pages; admin verification of companies."""

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from models import Account, Company
from tests.flows.test_shopping import field_errors
from tests.helpers import PASSWORD, count, login, make_admin, make_company_member, make_person


def register(client, **overrides):
    form = {
        "name": "Robin Runner",
        "email": "robin@example.test",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "account_type": "person",
    }
    form.update(overrides)
    return client.post("/account/register", data=form)


def test_a_person_registers_and_is_signed_in(app, client):
    response = register(client)
    assert response.status_code == 302
    page = client.get("/account/").get_data(as_text=True)
    assert "robin@example.test" in page
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.email == "robin@example.test"))
        assert account.account_type == "person"
        assert account.password_hash.startswith("$argon2id$")
        assert PASSWORD not in account.password_hash


def test_a_business_registers_with_a_company_awaiting_verification(app, client):
    response = register(
        client,
        email="shop@example.test",
        account_type="business",
        company_name="Shoe Barn",
        tax_id="DE123",
        sells="y",
        buys_wholesale="y",
    )
    assert response.status_code == 302
    with app.app_context():
        company = db.session.scalar(select(Company).where(Company.name == "Shoe Barn"))
        assert (company.status, company.sells, company.buys_wholesale) == ("pending", True, True)
    assert "waiting for verification" in client.get("/seller/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("overrides", "field_message"),
    [
        ({"password": "short", "confirm": "short"}, "at least 8 characters"),
        ({"password": "password123", "confirm": "password123"}, "most common"),
        ({"confirm": "something-else"}, "The passwords differ."),
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"account_type": "business"}, "Enter the company name."),
    ],
)
def test_bad_registrations_show_the_problem_and_create_nothing(
    app, client, overrides, field_message
):
    response = register(client, **overrides)
    assert response.status_code == 200
    assert field_message in response.get_data(as_text=True)
    assert count(app, Account) == 0
    assert count(app, Company) == 0


def test_a_short_password_that_differs_from_its_confirmation_is_told_both(app, client):
    response = register(client, password="short", confirm="shirt")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert field_errors(page, "password") == ["Use at least 8 characters."]
    assert field_errors(page, "confirm") == ["The passwords differ."]
    assert 'value="Robin Runner"' in page and 'value="robin@example.test"' in page
    assert count(app, Account) == 0


def test_an_email_can_only_register_once(app, client):
    make_person(app, email="taken@example.test")
    response = register(client, email="TAKEN@example.test")
    assert "already exists" in response.get_data(as_text=True)
    assert count(app, Account) == 1


def test_sign_in_and_sign_out(app, client):
    person = make_person(app, name="Sam Sole")
    login(client, person.email)
    assert "Sam" in client.get("/").get_data(as_text=True)
    client.post("/account/logout")
    assert client.get("/account/").status_code == 302  # back to the sign-in page


def test_unknown_email_and_wrong_password_get_the_same_answer(app, client):
    person = make_person(app)
    wrong_password = client.post(
        "/account/login", data={"email": person.email, "password": "not-the-password"}
    )
    unknown_email = client.post(
        "/account/login", data={"email": "nobody@example.test", "password": "not-the-password"}
    )
    assert wrong_password.status_code == unknown_email.status_code == 200
    for response in (wrong_password, unknown_email):
        assert "Email or password is incorrect." in response.get_data(as_text=True)
    assert client.get("/account/").status_code == 302


def test_failed_sign_ins_are_rate_limited_but_good_ones_are_not(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    person = make_person(app)
    for _ in range(5):
        login(client, person.email)  # successes do not count against the limit
    statuses = [
        client.post(
            "/account/login", data={"email": person.email, "password": "wrong-guess"}
        ).status_code
        for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]


def test_admin_verifies_a_company_with_a_credit_limit(app, client):
    admin = make_admin(app)
    buyer = make_company_member(app, "Retail Co", sells=False, buys_wholesale=True, verified=False)
    login(client, admin.email)
    assert "<strong>Retail Co</strong>" in client.get("/admin/companies").get_data(as_text=True)
    response = client.post(
        f"/admin/companies/{buyer.company_id}/verify", data={"credit_limit": "25,000.00"}
    )
    assert response.status_code == 302
    with app.app_context():
        company = db.session.get(Company, buyer.company_id)
        assert (company.status, company.credit_limit_cents) == ("verified", 2_500_000)
    client.get("/admin/companies")  # the flash message is shown once
    assert "<strong>Retail Co</strong>" not in client.get("/admin/companies").get_data(as_text=True)
    assert "<strong>Retail Co</strong>" in client.get("/admin/companies?status=verified").get_data(
        as_text=True
    )


def test_admin_pages_are_hidden_from_everyone_else(app, client):
    person = make_person(app)
    seller = make_company_member(app)
    assert client.get("/admin/companies").status_code == 302  # anonymous: sign in first
    for account in (person, seller):
        login(client, account.email)
        assert client.get("/admin/companies").status_code == 404
        assert client.post(f"/admin/companies/{seller.company_id}/verify").status_code == 404
        client.post("/account/logout")


def test_forms_refuse_posts_without_a_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    make_person(app, email="csrf@example.test")
    response = client.post(
        "/account/login", data={"email": "csrf@example.test", "password": PASSWORD}
    )
    assert response.status_code == 400
    assert "Form expired" in response.get_data(as_text=True)


def test_create_admin_command(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-admin", "boss@example.test", "--password", "a-long-admin-secret"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.email == "boss@example.test"))
        assert account.is_admin
    weak = runner.invoke(args=["create-admin", "weak@example.test", "--password", "123"])
    assert weak.exit_code == 1
    assert "at least 8 characters" in weak.output


def test_sign_ups_are_rate_limited_per_address_on_the_pages_and_the_api(make_app):
    """Registration must say when an email is taken (API.md's 201 signs the new account in at
    once), so asking about many emails is slowed down by a limit per client address."""
    app = make_app(RATELIMIT_ENABLED=True, REGISTER_RATE_LIMIT="2 per hour")
    client = app.test_client()
    pages = [register(client, email=f"page{n}@example.test").status_code for n in range(3)]
    client.post("/account/logout")
    assert pages == [302, 302, 429]
    api = [
        client.post(
            "/api/v1/auth/register",
            json={"email": f"api{n}@example.test", "password": PASSWORD, "name": "A"},
        )
        for n in range(3)
    ]
    assert [response.status_code for response in api] == [201, 201, 429]
    assert api[2].get_json()["error"]["code"] == "rate_limited"
    with app.app_context():
        emails = set(db.session.scalars(select(Account.email)))
    assert emails == {"page0@example.test", "page1@example.test"} | {
        "api0@example.test",
        "api1@example.test",
    }
