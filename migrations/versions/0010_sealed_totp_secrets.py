"""Two-factor secrets are stored sealed under TOTP_KEYS (services.twofactor) instead of in
plain text: each enrolled secret is sealed into the new column and the old one is dropped.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import context, op
from cryptography.fernet import Fernet, MultiFernet
from flask import current_app

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

accounts = sa.table(
    "accounts",
    sa.column("id", sa.Integer),
    sa.column("totp_secret", sa.String),
    sa.column("totp_sealed", sa.String),
)


def _keys() -> MultiFernet:
    """TOTP_KEYS as the app reads them (kept here so later changes to the app cannot change
    what this migration did)."""
    if context.is_offline_mode():
        raise RuntimeError("0010 seals secrets with TOTP_KEYS: run it against the database")
    keys = current_app.config["TOTP_KEYS"].split(",")
    return MultiFernet([Fernet(key.strip()) for key in keys if key.strip()])


def _add_column(column: sa.Column) -> None:
    # SQLite commits an ADD COLUMN at once: a run that failed after it can be run again.
    if column.name not in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("accounts")}:
        op.add_column("accounts", column)


def _drop_column(name: str) -> None:
    # SQLite drops a plain column in place (3.35+); a batch rebuild of `accounts` would
    # have to drop the table that other tables' foreign keys point at.
    op.execute(sa.text(f"ALTER TABLE accounts DROP COLUMN {name}"))


def _move(source: str, target: sa.Column, convert) -> None:
    """Fill `target` with `convert(value)` of every set `source`, then drop `source`."""
    _add_column(target)
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(accounts.c.id, accounts.c[source]).where(accounts.c[source].is_not(None))
    ).all()
    for account_id, value in rows:
        connection.execute(
            accounts.update()
            .where(accounts.c.id == account_id)
            .values({target.name: convert(value.encode()).decode()})
        )
    _drop_column(source)


def upgrade():
    _move("totp_secret", sa.Column("totp_sealed", sa.String(length=255)), _keys().encrypt)


def downgrade():
    _move("totp_sealed", sa.Column("totp_secret", sa.String(length=64)), _keys().decrypt)
