"""A pooled PostgreSQL connection left idle is tested before use and replaced if the database
dropped it; one used moments ago goes out untested (a round trip saved on every request)."""

import time

import pytest
from sqlalchemy import text

from marketplace.extensions import db


@pytest.fixture(autouse=True)
def _postgres_only(database):
    if not database.startswith("postgresql"):
        pytest.skip("the pool tests connections only on PostgreSQL")


def pings_counted(app, monkeypatch) -> list[int]:
    pings: list[int] = []
    with app.app_context():
        dialect = db.engine.dialect
        real_ping = dialect.do_ping

        def counting_ping(dbapi_connection):
            pings.append(1)
            return real_ping(dbapi_connection)

        monkeypatch.setattr(dialect, "do_ping", counting_ping)
    return pings


def one_query(app) -> int:
    with app.app_context(), db.engine.connect() as connection:
        return connection.execute(text("SELECT 1")).scalar_one()


def test_a_connection_used_moments_ago_is_not_pinged(make_app, monkeypatch):
    app = make_app(DATABASE_PING_AFTER_IDLE_SECONDS=60)
    pings = pings_counted(app, monkeypatch)
    for _ in range(5):
        assert one_query(app) == 1
    assert pings == []


def test_an_idle_connection_is_pinged_before_use(make_app, monkeypatch):
    app = make_app(DATABASE_PING_AFTER_IDLE_SECONDS=0.05)
    pings = pings_counted(app, monkeypatch)
    assert one_query(app) == 1  # a new connection: not pinged
    time.sleep(0.1)
    assert one_query(app) == 1
    assert len(pings) == 1


def test_an_idle_connection_the_database_dropped_is_replaced(make_app):
    app = make_app(DATABASE_PING_AFTER_IDLE_SECONDS=0.05)
    assert one_query(app) == 1
    # cut the connection the pool holds, in the pool's back (a second one does the cutting)
    with app.app_context():
        pool_connection = db.engine.raw_connection()
        own = pool_connection.cursor().execute("SELECT pg_backend_pid()").fetchone()[0]
        pool_connection.rollback()
        pool_connection.close()  # back to the pool, idle from now
    killer = make_app()
    with killer.app_context(), db.engine.connect() as admin:
        assert admin.execute(text("SELECT pg_terminate_backend(:own)"), {"own": own}).scalar_one()
    time.sleep(0.1)
    # the request finds its connection dead at the ping and gets a new one, not an error
    with app.app_context(), db.engine.connect() as connection:
        assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() != own
