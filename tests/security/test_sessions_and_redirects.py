"""Where sign-in sends people, and what ends an account's sessions and API tokens."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from marketplace.services import accounts
from tests.helpers import PASSWORD, make_person, token_for

# `next` values that name another site once a browser reads them: browsers drop tabs and
# line breaks anywhere in an address and read a backslash as a slash.
OTHER_SITES = [
    "https://evil.example/",
    "//evil.example/",
    "/\t/evil.example/",
    "/\n/evil.example/",
    "/\r\n/evil.example/",
    "/\\evil.example/",
    "/\\/evil.example/",
    "\t//evil.example/",
]


def same_site(location: str) -> bool:
    """Whether a redirect stays on this site as a browser reads it."""
    read = "".join(char for char in location if char not in "\t\r\n").replace("\\", "/")
    parts = urlsplit(read.strip())
    return not parts.scheme and not parts.netloc and not read.startswith("//")


@pytest.mark.parametrize("target", OTHER_SITES)
def test_sign_in_never_sends_people_to_another_site(app, client, target):
    person = make_person(app)
    response = client.post(
        "/account/login",
        query_string={"next": target},
        data={"email": person.email, "password": PASSWORD},
    )
    assert response.status_code == 302
    assert same_site(response.headers["Location"]), response.headers["Location"]


@pytest.mark.parametrize("target", OTHER_SITES)
def test_sign_up_never_sends_people_to_another_site(app, client, target):
    response = client.post(
        "/account/register",
        query_string={"next": target},
        data={
            "email": "new-person@example.test",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "name": "Nova New",
            "account_type": "person",
        },
    )
    assert response.status_code == 302
    assert same_site(response.headers["Location"]), response.headers["Location"]


def test_sign_in_still_returns_to_a_page_of_this_site(app, client):
    person = make_person(app)
    response = client.post(
        "/account/login",
        query_string={"next": "/orders?page=2"},
        data={"email": person.email, "password": PASSWORD},
    )
    assert response.headers["Location"] == "/orders?page=2"


def test_promoting_an_account_to_admin_revokes_its_api_tokens(app, client):
    """A token issued before the promotion was got without the admins' second factor; it
    must not carry admin powers (ADMIN_API_2FA refuses admins such a token)."""
    person = make_person(app)
    headers = token_for(client, person.email)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with app.app_context():
        accounts.create_admin(person.email, PASSWORD)
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    trial = client.get("/api/v1/admin/ledger/trial-balance", headers=headers)
    assert trial.status_code == 401
