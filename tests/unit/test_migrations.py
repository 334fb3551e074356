"""The migrations build exactly the schema the models describe, full-text search included."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from marketplace.extensions import db

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
