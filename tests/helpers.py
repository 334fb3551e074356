"""Builders for tests: accounts, companies, listings, sign-in; each returns plain ids."""

from __future__ import annotations

import html
import io
import itertools
import threading
from types import SimpleNamespace

import pyotp
from PIL import Image
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from config import database_url
from marketplace import clock
from marketplace.extensions import db
from marketplace.services import accounts, listings, twofactor
from models import Company

PASSWORD = "correct-horse-battery"
_counter = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_counter)}"


def make_person(
    app, name: str = "Pat Person", email: str | None = None, **flags
) -> SimpleNamespace:
    """A personal account; flags like is_admin=True are set on it."""
    with app.app_context():
        account = accounts.register(
            email=email or f"{unique('person')}@example.test", password=PASSWORD, name=name
        )
        for key, value in flags.items():
            setattr(account, key, value)
        db.session.commit()
        return SimpleNamespace(id=account.id, email=account.email, name=account.name)


def make_admin(app, **kwargs) -> SimpleNamespace:
    return make_person(app, name="Ada Admin", is_admin=True, **kwargs)


def make_company_member(
    app,
    company_name: str | None = None,
    *,
    sells: bool = True,
    buys_wholesale: bool = False,
    verified: bool = True,
    credit_limit_cents: int = 0,
    email: str | None = None,
) -> SimpleNamespace:
    """A business account and its company (verified unless told otherwise)."""
    with app.app_context():
        account = accounts.register(
            email=email or f"{unique('biz')}@example.test",
            password=PASSWORD,
            name="Bea Business",
            account_type="business",
            company_name=company_name or unique("Company "),
            tax_id=unique("TAX-"),
            sells=sells,
            buys_wholesale=buys_wholesale,
        )
        if verified:
            accounts.verify_company(account.company_id, credit_limit_cents)
        return SimpleNamespace(id=account.id, email=account.email, company_id=account.company_id)


def make_seller(app, company_name: str | None = None, **kwargs) -> SimpleNamespace:
    return make_company_member(app, company_name, sells=True, **kwargs)


def add_member(app, company_id: int, email: str | None = None) -> SimpleNamespace:
    """Another member of an existing company."""
    from models import Account

    with app.app_context():
        account = Account(
            email=email or f"{unique('member')}@example.test",
            password_hash=accounts.hash_password(PASSWORD),
            name="Mo Member",
            account_type="business",
            company_id=company_id,
        )
        db.session.add(account)
        db.session.commit()
        return SimpleNamespace(id=account.id, email=account.email, company_id=company_id)


def make_listing(
    app,
    company_id: int,
    sizes: dict[str, int] | None = None,
    price_cents: int = 10000,
    **facts,
) -> SimpleNamespace:
    """An active business listing with one variant per size ({size_eu: stock})."""
    sizes = sizes or {"42": 5}
    data = {
        "title": facts.pop("title", "Trail Runner"),
        "brand": facts.pop("brand", "Acme"),
        "model": facts.pop("model", "Runner 1"),
        "colorway": facts.pop("colorway", "Black"),
        "category": facts.pop("category", "running"),
        "gender": facts.pop("gender", "men"),
        "description": facts.pop("description", ""),
        "variants": [
            {
                "size_eu": size,
                "sku": unique(f"SKU-{size}-"),
                "stock": stock,
                "price_cents": facts.get("prices", {}).get(size, price_cents),
            }
            for size, stock in sizes.items()
        ],
    }
    facts.pop("prices", None)
    data.update(facts)
    with app.app_context():
        company = db.session.get(Company, company_id)
        listing = listings.create_listing(company, data)
        return SimpleNamespace(
            id=listing.id,
            variants={v.size_eu: v.id for v in listing.variants},
            skus={v.size_eu: v.sku for v in listing.variants},
        )


def totp_code(secret: str, last_step: int | None = None) -> str:
    """A two-factor code the app accepts now: for the oldest time step it still takes (the
    one before now, or the one after the last code used)."""
    now_step = clock.epoch_seconds() // twofactor.STEP_SECONDS
    step = now_step - 1 if last_step is None else max(now_step - 1, last_step + 1)
    assert step <= now_step + 1, "three sign-ins of one account within 30 s of test time"
    return pyotp.TOTP(secret).at(step * twofactor.STEP_SECONDS)


def login(client, email: str, password: str = PASSWORD):
    """Sign in on the pages, through the second step (or an admin's set-up) when asked."""
    response = client.post("/account/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    second_step = response.headers["Location"]
    if second_step.endswith(("/account/login/code", "/account/login/enroll")):
        with client.application.app_context():
            account = accounts.find_by_email(email)
            secret, last_step = twofactor.secret_of(account), account.totp_last_step
        if secret is None:
            with client.session_transaction() as session:
                secret = session["totp_enroll_secret"]
        response = client.post(second_step, data={"code": totp_code(secret, last_step)})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def token_for(client, email: str, password: str = PASSWORD) -> dict[str, str]:
    """Authorization headers for the API, from POST /auth/token (with a code if needed)."""
    body = {"email": email, "password": password}
    with client.application.app_context():
        account = accounts.find_by_email(email)
        if account is not None and account.has_two_factor:
            body["otp"] = totp_code(twofactor.secret_of(account), account.totp_last_step)
    response = client.post("/api/v1/auth/token", json=body)
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def image_bytes(fmt: str = "JPEG", size=(640, 480), color=(200, 40, 40), exif: bytes | None = None):
    image = Image.new("RGBA" if fmt == "PNG" else "RGB", size, color)
    out = io.BytesIO()
    kwargs = {"exif": exif} if exif else {}
    image.save(out, format=fmt, **kwargs)
    return out.getvalue()


def count(app, model) -> int:
    from sqlalchemy import func, select

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def all_at_once(work, arguments: list[tuple]) -> list[tuple[str, object]]:
    """Run `work(*args)` in one thread per argument tuple, released together by a barrier.

    Returns one (outcome, value) per thread, in argument order: ("ok", result) or
    ("error", exception), so no failure inside a thread goes unseen.
    """
    barrier = threading.Barrier(len(arguments))
    results: list[tuple[str, object] | None] = [None] * len(arguments)

    def run(index: int, args: tuple) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = ("ok", work(*args))
        except Exception as error:  # reported to the test, which decides what is expected
            results[index] = ("error", error)

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(arguments)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (deadlock?)"
    return results


def _drop_database(url: str, create_again: bool) -> str:
    url = database_url(url)
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": target.database},
        )
        connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}"'))
        if create_again:
            connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    return url


def fresh_postgres(url: str) -> str:
    """Drop and recreate the PostgreSQL database named in `url` so every run starts clean."""
    return _drop_database(url, create_again=True)


def drop_postgres(url: str) -> None:
    """Drop the PostgreSQL database named in `url`, if it exists."""
    _drop_database(url, create_again=False)


def browser(app, email: str):
    """A test client signed in as `email`."""
    client = app.test_client()
    login(client, email)
    return client


def page_text(response) -> str:
    """A page's HTML with its entities decoded (what a reader sees, tags kept)."""
    return html.unescape(response.get_data(as_text=True))
