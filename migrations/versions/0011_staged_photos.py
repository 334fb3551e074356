"""Photos kept from a sell form that came back for corrections.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "staged_photos",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=120), nullable=False),
        sa.Column("thumb_filename", sa.String(length=120), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_staged_photos_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staged_photos")),
    )
    op.create_index(
        op.f("ix_staged_photos_account_id"), "staged_photos", ["account_id"], unique=False
    )


def downgrade():
    op.drop_index(op.f("ix_staged_photos_account_id"), table_name="staged_photos")
    op.drop_table("staged_photos")
