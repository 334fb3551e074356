"""Fixtures: a migrated database per session (SQLite file, or TEST_DATABASE_URL), emptied
before every test, and a fresh app per test so settings can differ between tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask_migrate import upgrade

from marketplace import clock, create_app
from marketplace.extensions import db
from models import Account
from tests.helpers import fresh_postgres


@pytest.fixture(scope="session")
def database(tmp_path_factory) -> str:
    """The migrated test database's URL."""
    if os.environ.get("TEST_DATABASE_URL"):
        url = fresh_postgres(os.environ["TEST_DATABASE_URL"])
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'solemate-test.db'}"
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


def empty_tables() -> None:
    with db.engine.begin() as connection:
        # accounts -> managers is the one cycle of foreign keys (use_alter): cut it first
        connection.execute(Account.__table__.update().values(referred_by_id=None))
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def make_app(database, tmp_path):
    """Build an app on the test database; keyword arguments override settings."""
    apps = []

    def build(**overrides):
        settings = {
            "SQLALCHEMY_DATABASE_URI": database,
            "UPLOAD_DIR": str(tmp_path / "uploads"),
            **overrides,
        }
        app = create_app("testing", settings)
        if not apps:
            with app.app_context():
                empty_tables()
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(autouse=True)
def _real_clock():
    clock.set_now(None)
    yield
    clock.set_now(None)


@pytest.fixture
def outbox(app):
    return app.extensions.setdefault("solemate_outbox", [])


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return Path(__file__).parent / "fixtures"
