"""Indexes for the catalog's counts and size filter: the active listings' filter columns (a
count reads the index alone instead of every listing) and the sizes in stock.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

FILTER_COLUMNS = ["gender", "category", "min_price_cents", "condition", "kind", "b2c_enabled", "id"]


def upgrade():
    # not batch_alter_table: on SQLite that would rebuild `listings` and lose its FTS triggers
    active = sa.text("status = 'active'")
    op.create_index(
        "ix_listings_active_filters",
        "listings",
        FILTER_COLUMNS,
        postgresql_where=active,
        sqlite_where=active,
    )
    in_stock = sa.text("stock > reserved")
    op.create_index(
        "ix_variants_size_in_stock",
        "variants",
        ["size_eu", "listing_id"],
        postgresql_where=in_stock,
        sqlite_where=in_stock,
    )


def downgrade():
    op.drop_index("ix_variants_size_in_stock", table_name="variants")
    op.drop_index("ix_listings_active_filters", table_name="listings")
