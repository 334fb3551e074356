"""The migrations build exactly the schema the models describe, full-text search included."""

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import make_url

from config import database_url
from marketplace import create_app
from marketplace.extensions import db
from marketplace.services import twofactor
from models import Account
from tests.helpers import drop_postgres, fresh_postgres

# Indexes on lower(brand): alembic cannot compare expression indexes on every database.
BRAND_INDEXES = (
    "ix_listings_brand_lower",
    "ix_listings_active_brand_price",
    "ix_listings_active_brand_created",
)
SQLITE_TRIGGERS = {"listings_fts_insert", "listings_fts_delete", "listings_fts_update"}


def _include(obj, name, type_, reflected, compare_to):
    fulltext = (
        (type_ == "table" and name.startswith("listing_fts"))
        or (type_ == "column" and name == "search_vector")
        or (type_ == "index" and name in ("ix_listings_search_vector", *BRAND_INDEXES))
    )
    return not fulltext


def test_the_migrated_database_matches_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": _include, "compare_type": True}
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_full_text_search_survives_every_migration(app):
    with app.app_context(), db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            triggers = {
                row[0]
                for row in connection.execute(
                    text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
                )
            }
            assert SQLITE_TRIGGERS.issubset(triggers)
        else:
            columns = {column["name"] for column in inspect(connection).get_columns("listings")}
            assert "search_vector" in columns


@pytest.fixture
def scratch_database(tmp_path):
    """An empty database of the suite's kind, for walking migrations one at a time (a
    PostgreSQL one is dropped afterwards)."""
    if not os.environ.get("TEST_DATABASE_URL"):
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    url = make_url(database_url(os.environ["TEST_DATABASE_URL"]))
    scratch = url.set(database=f"{url.database}_scratch").render_as_string(False)
    yield fresh_postgres(scratch)
    drop_postgres(scratch)


def test_two_factor_secrets_enrolled_before_sealing_are_sealed_by_the_migration(
    scratch_database,
):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": scratch_database})
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    with app.app_context():
        upgrade(revision="0009")
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO accounts (email, password_hash, name, account_type, is_admin,"
                    " active, session_version, failed_logins, totp_secret, created_at) VALUES"
                    " ('early@example.com', 'x', 'Early', 'person', false, true, 1, 0,"
                    " :secret, CURRENT_TIMESTAMP)"
                ),
                {"secret": secret},
            )
        upgrade()
        early = db.session.scalar(select(Account).where(Account.email == "early@example.com"))
        assert secret not in early.totp_sealed
        assert twofactor.secret_of(early) == secret
        db.session.remove()

        downgrade(revision="0009")
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT totp_secret FROM accounts")).scalar() == secret
        db.engine.dispose()


def test_the_sealing_migration_runs_again_after_stopping_half_way(scratch_database):
    """On SQLite an ADD COLUMN commits at once, so a run that failed later left it behind."""
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": scratch_database})
    with app.app_context():
        upgrade(revision="0009")
        with db.engine.begin() as connection:
            connection.execute(text("ALTER TABLE accounts ADD COLUMN totp_sealed VARCHAR(255)"))
        upgrade()
        columns = {column["name"] for column in inspect(db.engine).get_columns("accounts")}
        assert "totp_sealed" in columns and "totp_secret" not in columns
        db.engine.dispose()
