"""Account security on the pages: two-factor sign-in, lockout, sessions that end, password
change and reset, disabled accounts."""

import re
import time
from datetime import timedelta

import pyotp
import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select

from marketplace import clock
from marketplace.extensions import db
from marketplace.services import accounts, twofactor
from models import Account
from tests.flows.test_shopping import field_errors
from tests.helpers import (
    PASSWORD,
    login,
    make_admin,
    make_person,
    token_for,
    totp_code,
)

NEW_PASSWORD = "a-brand-new-passphrase"


def signed_in(client) -> bool:
    return client.get("/account/").status_code == 200


def post_login(client, email: str, password: str = PASSWORD, **extra):
    return client.post("/account/login", data={"email": email, "password": password, **extra})


def account(app, account_id: int) -> Account:
    with app.app_context():
        found = db.session.get(Account, account_id)
        db.session.expunge(found)
        return found


def stored_secret(app, account_id: int) -> str | None:
    with app.app_context():
        return twofactor.secret_of(db.session.get(Account, account_id))


def turn_on_two_factor(client) -> str:
    """Set up two-factor sign-in on the account page; returns the secret."""
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    response = client.post("/account/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    return secret


# Two-factor sign-in


def test_a_person_turns_on_two_factor_and_then_signs_in_with_a_code(app, client):
    person = make_person(app)
    login(client, person.email)
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert 'src="/account/two-factor/qr.png"' in page
    qr = client.get("/account/two-factor/qr.png")
    assert (qr.status_code, qr.mimetype) == (200, "image/png")
    assert qr.data.startswith(b"\x89PNG")

    wrong = client.post("/account/two-factor", data={"code": "000000"})
    assert "That code does not match" in wrong.get_data(as_text=True)
    assert stored_secret(app, person.id) is None

    secret = turn_on_two_factor(client)
    assert stored_secret(app, person.id) == secret
    client.post("/account/logout")

    response = post_login(client, person.email)
    assert response.headers["Location"].endswith("/account/login/code")
    assert not signed_in(client)  # the password alone opens nothing
    refused = client.post("/account/login/code", data={"code": "123456"})
    assert "That code does not match" in refused.get_data(as_text=True)
    assert not signed_in(client)
    code = totp_code(secret, account(app, person.id).totp_last_step)
    assert client.post("/account/login/code", data={"code": code}).status_code == 302
    assert signed_in(client)

    client.post("/account/logout")
    post_login(client, person.email)
    replay = client.post("/account/login/code", data={"code": code})
    assert "That code does not match or was used already" in replay.get_data(as_text=True)
    assert not signed_in(client)


def test_a_second_step_left_waiting_expires(app, client):
    person = make_person(app)
    login(client, person.email)
    secret = turn_on_two_factor(client)
    client.post("/account/logout")
    post_login(client, person.email)
    with clock.frozen_at(clock.now() + timedelta(minutes=6)):
        code = totp_code(secret, account(app, person.id).totp_last_step)
        response = client.post("/account/login/code", data={"code": code})
    assert response.headers["Location"].endswith("/account/login")
    assert not signed_in(client)


def test_an_admin_must_set_up_two_factor_before_the_first_session(app, client):
    admin = make_admin(app)
    response = post_login(client, admin.email)
    assert response.headers["Location"].endswith("/account/login/enroll")
    assert client.get("/admin/companies").status_code == 302  # no session yet
    page = client.get("/account/login/enroll").get_data(as_text=True)
    assert "Admins sign in with a password and a code" in page
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    assert client.post("/account/login/enroll", data={"code": "000000"}).status_code == 200
    assert client.get("/admin/companies").status_code == 302
    enrolled = client.post("/account/login/enroll", data={"code": pyotp.TOTP(secret).now()})
    assert enrolled.headers["Location"] == "/admin/"  # an admin's sign-in ends on the console
    assert client.get("/admin/companies").status_code == 200
    assert stored_secret(app, admin.id) == secret

    refused = client.post(
        "/account/two-factor/disable", data={"password": PASSWORD, "code": "123456"}
    )
    assert "Admins must keep two-factor sign-in on." in refused.get_data(as_text=True)
    assert stored_secret(app, admin.id) == secret


def test_a_person_turns_two_factor_off_with_password_and_code(app, client):
    person = make_person(app)
    login(client, person.email)
    secret = turn_on_two_factor(client)
    code = totp_code(secret, account(app, person.id).totp_last_step)
    wrong = client.post(
        "/account/two-factor/disable", data={"password": "not-my-password", "code": code}
    )
    assert wrong.status_code == 422
    assert "This is not your current password." in wrong.get_data(as_text=True)
    assert stored_secret(app, person.id) == secret
    code = totp_code(secret, account(app, person.id).totp_last_step)
    response = client.post("/account/two-factor/disable", data={"password": PASSWORD, "code": code})
    assert response.status_code == 302
    assert stored_secret(app, person.id) is None


def test_two_factor_secrets_are_stored_sealed_and_survive_a_new_key(app, client):
    person = make_person(app)
    login(client, person.email)
    secret = turn_on_two_factor(client)
    with app.app_context():
        stored = db.session.scalar(select(Account.totp_sealed).where(Account.id == person.id))
    assert secret not in stored
    with pytest.raises(InvalidToken):  # a copy of the database without the key is no use
        Fernet(Fernet.generate_key()).decrypt(stored.encode())

    old_keys = app.config["TOTP_KEYS"]
    app.config["TOTP_KEYS"] = f"{Fernet.generate_key().decode()},{old_keys}"
    twofactor.init_sealing(app)
    result = app.test_cli_runner().invoke(args=["reseal-totp"])
    assert result.output == "1 two-factor secrets sealed under the first key.\n"
    app.config["TOTP_KEYS"] = app.config["TOTP_KEYS"].split(",")[0]  # the old key dropped
    twofactor.init_sealing(app)
    assert stored_secret(app, person.id) == secret
    client.post("/account/logout")
    post_login(client, person.email)
    code = totp_code(secret, account(app, person.id).totp_last_step)
    assert client.post("/account/login/code", data={"code": code}).status_code == 302
    assert signed_in(client)


def test_resealing_with_keys_that_cannot_open_a_secret_changes_nothing(app, client):
    person = make_person(app)
    login(client, person.email)
    turn_on_two_factor(client)
    with app.app_context():
        before = db.session.get(Account, person.id).totp_sealed
    app.config["TOTP_KEYS"] = Fernet.generate_key().decode()  # the old key lost
    twofactor.init_sealing(app)
    result = app.test_cli_runner().invoke(args=["reseal-totp"])
    assert result.exit_code == 1
    assert f"opens the two-factor secret of account {person.id}; nothing was changed" in (
        result.output
    )
    with app.app_context():
        assert db.session.get(Account, person.id).totp_sealed == before


# Lockout and failed attempts


def test_repeated_failures_pause_sign_in_for_that_email_and_tell_the_owner(app, client, outbox):
    person = make_person(app)
    threshold = app.config["LOGIN_LOCKOUT_THRESHOLD"]
    for _ in range(threshold):
        assert "Email or password is incorrect." in post_login(
            client, person.email, "wrong-guess"
        ).get_data(as_text=True)
    page = post_login(client, person.email).get_data(as_text=True)  # the right password
    assert "Too many failed sign-in attempts for this email. Try again in 15 minutes" in page
    assert not signed_in(client)
    notices = [m for m in outbox if m["to"] == person.email and "paused" in m["subject"]]
    assert len(notices) == 1

    with clock.frozen_at(clock.now() + timedelta(minutes=16)):
        response = post_login(client, person.email)
        assert response.status_code == 302
        flashed = client.get("/account/").get_data(as_text=True)
    assert f"There were {threshold} failed attempts to sign in" in flashed


def test_lockout_looks_the_same_for_an_email_without_an_account(app, client):
    person = make_person(app)
    pages = {}
    for email in (person.email, "nobody-here@example.test"):
        for _ in range(app.config["LOGIN_LOCKOUT_THRESHOLD"]):
            post_login(client, email, "wrong-guess")
        pages[email] = post_login(client, email, "wrong-guess").get_data(as_text=True)
    first, second = pages.values()
    assert "Too many failed sign-in attempts for this email" in first
    assert first.replace(person.email, "X") == second.replace("nobody-here@example.test", "X")


def test_a_success_clears_earlier_failures(app, client):
    person = make_person(app)
    threshold = app.config["LOGIN_LOCKOUT_THRESHOLD"]
    for _ in range(threshold - 1):
        post_login(client, person.email, "wrong-guess")
    login(client, person.email)
    client.post("/account/logout")
    for _ in range(threshold - 1):
        post_login(client, person.email, "wrong-guess")
    assert post_login(client, person.email).status_code == 302


# Sessions that end


def test_signing_out_ends_every_session_of_the_account(app):
    person = make_person(app)
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, person.email)
    phone.post(
        "/account/login", data={"email": person.email, "password": PASSWORD, "remember": "y"}
    )
    assert signed_in(laptop) and signed_in(phone)
    remember = phone.get_cookie(app.config["REMEMBER_COOKIE_NAME"])
    assert remember is not None and remember.http_only

    laptop.post("/account/logout")
    assert not signed_in(laptop)
    assert not signed_in(phone)
    revived = app.test_client()  # a browser that kept only the remember-me cookie
    revived.set_cookie(app.config["REMEMBER_COOKIE_NAME"], remember.value)
    assert not signed_in(revived)


def test_a_password_change_keeps_this_session_and_ends_the_others(app, client, outbox):
    person = make_person(app)
    other = app.test_client()
    login(client, person.email)
    login(other, person.email)
    headers = token_for(app.test_client(), person.email)

    wrong = client.post(
        "/account/password",
        data={"current_password": "nope", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert "This is not your current password." in wrong.get_data(as_text=True)
    weak = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": "password1", "confirm": "password1"},
    )
    assert "one of the most common" in weak.get_data(as_text=True)
    both = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": "short", "confirm": "shirt"},
    ).get_data(as_text=True)
    assert field_errors(both, "password") == ["Use at least 8 characters."]
    assert field_errors(both, "confirm") == ["The passwords differ."]
    assert signed_in(other)

    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert signed_in(client)
    assert not signed_in(other)
    assert app.test_client().get("/api/v1/me", headers=headers).status_code == 401
    assert post_login(app.test_client(), person.email).status_code == 200  # old one refused
    assert post_login(app.test_client(), person.email, NEW_PASSWORD).status_code == 302
    assert any(m["subject"] == "Your Solemate password was changed" for m in outbox)


def test_an_admin_disables_an_account_and_every_session_and_token_ends(app, client):
    admin = make_admin(app)
    person = make_person(app)
    theirs = app.test_client()
    login(theirs, person.email)
    headers = token_for(app.test_client(), person.email)
    login(client, admin.email)
    assert person.email in client.get(f"/admin/accounts?q={person.email}").get_data(as_text=True)

    client.post(f"/admin/accounts/{person.id}/disable")
    assert not signed_in(theirs)
    assert app.test_client().get("/api/v1/me", headers=headers).status_code == 401
    refused = post_login(app.test_client(), person.email)
    assert "Email or password is incorrect." in refused.get_data(as_text=True)

    client.post(f"/admin/accounts/{person.id}/enable")
    assert post_login(app.test_client(), person.email).status_code == 302
    own = client.post(f"/admin/accounts/{admin.id}/disable", follow_redirects=True)
    assert "You cannot disable your own account." in own.get_data(as_text=True)
    assert account(app, admin.id).active


def test_the_admin_account_search_counts_every_match_and_pages_newest_first(app, client):
    admin = make_admin(app)
    found = [make_person(app, name=f"Pager {n}") for n in range(3)]
    make_person(app, name="Someone Else")
    with app.app_context():
        first = accounts.search_accounts("pager", page=1, per_page=2)
        second = accounts.search_accounts("PAGER", page=2, per_page=2)
        assert (first.total, first.pages, second.total) == (3, 2, 3)
        assert [a.id for a in first.items] == [found[2].id, found[1].id]
        assert [a.id for a in second.items] == [found[0].id]
        assert first.has_next and not second.has_next
    login(client, admin.email)
    page = client.get("/admin/accounts?q=pager").get_data(as_text=True)
    assert "3 accounts" in page and "Someone Else" not in page
    assert all(person.email in page for person in found)


def idle_for(client, minutes: int) -> None:
    """Make the browser's last request `minutes` ago."""
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - minutes * 60


def test_a_browser_idle_for_thirty_minutes_is_signed_out_and_keeps_its_cart(app, client):
    person = make_person(app)
    login(client, person.email)
    with client.session_transaction() as session:
        session["size_system"] = "us"
    idle_for(client, 29)
    assert signed_in(client)  # 29 minutes idle; this request counts as activity
    idle_for(client, 31)
    page = client.get("/account/", follow_redirects=True).get_data(as_text=True)
    assert "You were signed out after 30 minutes without activity." in page
    assert "Sign in" in page and not signed_in(client)
    with client.session_transaction() as session:
        assert session["size_system"] == "us"
    assert post_login(client, person.email).status_code == 302 and signed_in(client)


def test_an_active_browser_stays_signed_in_and_keep_me_signed_in_is_not_timed_out(app, client):
    person = make_person(app)
    login(client, person.email)
    for _ in range(3):  # active every 20 minutes for an hour
        idle_for(client, 20)
        assert signed_in(client)
    kept = app.test_client()
    assert post_login(kept, person.email, remember="y").status_code == 302
    idle_for(kept, 24 * 60)
    assert signed_in(kept)


def test_a_fake_remember_cookie_does_not_escape_the_idle_sign_out(app, client):
    login(client, make_person(app).email)
    client.set_cookie(app.config["REMEMBER_COOKIE_NAME"], "made-up")
    idle_for(client, 31)
    assert not signed_in(client)


def test_a_session_restored_by_keep_me_signed_in_is_not_timed_out(app, client):
    person = make_person(app)
    assert post_login(client, person.email, remember="y").status_code == 302
    name = app.config["REMEMBER_COOKIE_NAME"]
    restored = app.test_client()  # the browser was closed: only the remember-me cookie left
    restored.set_cookie(name, client.get_cookie(name).value)
    assert signed_in(restored)
    idle_for(restored, 31)
    assert signed_in(restored)


def test_promoting_an_account_to_admin_ends_its_sessions(app, client):
    person = make_person(app)
    login(client, person.email)
    with app.app_context():
        accounts.create_admin(person.email, PASSWORD)
    assert not signed_in(client)  # the new admin signs in again, with two-factor


# Password reset by link


def reset_link(outbox, email: str) -> str:
    [message] = [m for m in outbox if m["to"] == email and m["subject"].startswith("Reset")]
    return re.search(r"http://localhost(/account/reset/\S+)", message["body"]).group(1)


def test_a_reset_link_sets_a_new_password_once(app, client, outbox):
    person = make_person(app)
    other = app.test_client()
    login(other, person.email)
    response = client.post("/account/reset", data={"email": person.email.upper()})
    assert response.status_code == 302
    link = reset_link(outbox, person.email)

    form = client.get(link).get_data(as_text=True)
    assert person.email in form
    common = client.post(link, data={"password": "password1", "confirm": "password1"})
    assert "one of the most common" in common.get_data(as_text=True)
    done = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.headers["Location"].endswith("/account/login")
    assert not signed_in(other)
    assert post_login(app.test_client(), person.email, NEW_PASSWORD).status_code == 302

    again = client.get(link)
    assert again.status_code == 400
    assert "expired or was used already" in again.get_data(as_text=True)


def test_a_reset_request_says_the_same_whether_or_not_the_email_has_an_account(app, client, outbox):
    person = make_person(app)
    known = client.post("/account/reset", data={"email": person.email}, follow_redirects=True)
    unknown = client.post(
        "/account/reset", data={"email": "ghost@example.test"}, follow_redirects=True
    )
    assert known.status_code == unknown.status_code == 200
    text_known = known.get_data(as_text=True).replace(person.email, "X")
    text_unknown = unknown.get_data(as_text=True).replace("ghost@example.test", "X")
    assert text_known == text_unknown
    assert [m["to"] for m in outbox] == [person.email]


@pytest.mark.parametrize("spoil", ["expire", "tamper"])
def test_an_expired_or_forged_reset_link_changes_nothing(app, client, outbox, spoil):
    person = make_person(app)
    client.post("/account/reset", data={"email": person.email})
    link = reset_link(outbox, person.email)
    body = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    if spoil == "expire":
        with clock.frozen_at(clock.now() + timedelta(minutes=61)):
            response = client.post(link, data=body)
    else:
        response = client.post(
            link[:-3] + ("abc" if not link.endswith("abc") else "xyz"), data=body
        )
    assert response.status_code == 400
    assert post_login(app.test_client(), person.email).status_code == 302  # old password


def test_long_passphrases_are_accepted_and_short_ones_refused(app, client):
    person = make_person(app)
    login(client, person.email)
    passphrase = "correct horse battery staple " * 3 + "and a few more words of it"
    assert len(passphrase) > 64
    short = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": "s3cr3t!", "confirm": "s3cr3t!"},
    )
    assert "Use at least 8 characters." in short.get_data(as_text=True)
    client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": passphrase, "confirm": passphrase},
    )
    assert post_login(app.test_client(), person.email, passphrase).status_code == 302
