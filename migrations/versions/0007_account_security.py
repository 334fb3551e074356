"""Account security: TOTP two-factor sign-in and per-email sign-in lockout.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("accounts", sa.Column("totp_secret", sa.String(length=64), nullable=True))
    op.add_column("accounts", sa.Column("totp_last_step", sa.Integer(), nullable=True))
    op.create_table(
        "login_failures",
        sa.Column("email_digest", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
        sa.UniqueConstraint("email_digest", name=op.f("uq_login_failures_email_digest")),
    )


def downgrade():
    op.drop_table("login_failures")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_secret")
