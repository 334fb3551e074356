"""Bring the database schema to the newest migration when a development server starts."""

from __future__ import annotations

import fcntl

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import upgrade

from config import INSTANCE
from marketplace.extensions import db, migrate


def upgrade_if_behind(app: Flask) -> None:
    """Run `db upgrade` unless the database is already at head; safe with several workers."""
    with app.app_context():
        config = migrate.get_config()
        head = ScriptDirectory.from_config(config).get_current_head()
        INSTANCE.mkdir(exist_ok=True)
        with open(INSTANCE / ".migrate.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            with db.engine.connect() as connection:
                current = MigrationContext.configure(connection).get_current_revision()
            if current != head:
                upgrade()
            db.engine.dispose()
