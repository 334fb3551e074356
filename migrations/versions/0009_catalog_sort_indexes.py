"""Indexes for sorted catalog pages of one category or one brand: the active listings of it
in price order and in date order (models.listings says why).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_listings_active_category_price": ["category", "min_price_cents"],
    "ix_listings_active_category_created": ["category", "created_at"],
    "ix_listings_active_brand_price": [sa.text("lower(brand)"), "min_price_cents"],
    "ix_listings_active_brand_created": [sa.text("lower(brand)"), "created_at"],
}


def upgrade():
    # not batch_alter_table: on SQLite that would rebuild `listings` and lose its FTS triggers
    active = sa.text("status = 'active'")
    for name, columns in INDEXES.items():
        op.create_index(name, "listings", columns, postgresql_where=active, sqlite_where=active)


def downgrade():
    for name in reversed(INDEXES):
        op.drop_index(name, table_name="listings")
