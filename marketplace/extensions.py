"""Flask extensions, created unbound and initialised by create_app()."""

import sqlite3
import time
from typing import TypeVar

from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event, exc, insert
from sqlalchemy import inspect as inspect_instance
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

T = TypeVar("T")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
# Short-lived copies of what anonymous visitors read (catalog pages, counts); in Redis when
# REDIS_URL is set, so every process shares them.
cache = Cache()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL lets readers run beside the one writer; busy_timeout makes writers queue, not fail."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


def ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """A pooled connection that has sat unused for `idle_seconds` or more is tested before
    it is handed out, and replaced if the database has dropped it (a restart, an idle
    timeout); one used moments ago is handed out as is.

    SQLAlchemy's `pool_pre_ping` tests every checkout, which under load is a round trip to
    the database for each request that reads or writes (three per pair bought). A connection
    that broke while in use still fails its request, as with pre-ping. The price: one that
    broke in the pool less than `idle_seconds` after its last use (a restart of the database
    in that moment) fails the request that gets it, where pre-ping would have replaced it;
    SQLAlchemy then replaces every connection of the pool, so only that request fails.
    """

    @event.listens_for(engine, "checkin")
    def _note_idle(_dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < idle_seconds:
            return  # newly connected, or used moments ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # the pool discards this connection and checks out another (up to three tries)
            raise exc.DisconnectionError(str(error)) from error


# A transaction that only read ends with COMMIT instead of ROLLBACK (end_read_only_transaction):
# the database sees no difference, but psycopg forgets every prepared statement on a ROLLBACK,
# and most requests only read, so PostgreSQL planned the same statements again and again
# (a third of its time under load). What counts as a write: anything but a SELECT.
WROTE = "solemate_wrote"


@event.listens_for(Engine, "begin")
def _nothing_written_yet(connection) -> None:
    connection.info[WROTE] = False


@event.listens_for(Engine, "before_cursor_execute")
def _note_writes(connection, _cursor, statement, _parameters, _context, _executemany) -> None:
    if statement.lstrip()[:6].upper() != "SELECT":
        connection.info[WROTE] = True


def end_read_only_transaction(error: BaseException | None = None) -> None:
    """Commit the request's transaction if it wrote nothing and holds no unsaved change (the
    session then rolls nothing back when it closes); leave any other to roll back."""
    if error is not None or not db.session.registry.has():
        return  # no session was opened (an answer from the cache): nothing to end
    session = db.session()
    if not session.in_transaction():
        return
    if session.new or session.dirty or session.deleted:
        return
    if session.connection().info.get(WROTE, True):
        return
    commit_keeping_loaded()  # what was read stays readable, as when the session rolls back


def commit_keeping_loaded() -> None:
    """Commit without expiring what the session holds, for a caller that goes on to answer
    from the objects it has just written: they hold what was committed, so reloading them
    (the default after a commit) would only repeat queries."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def execute(statement, parameters: dict | list[dict] | None = None) -> CursorResult:
    """Run a Core statement (one that reads or writes rows, not ORM objects) in the session's
    transaction, after flushing pending changes as `db.session.execute` does. It skips the
    session's ORM steps, which cost as much again as the statement itself: an UPDATE built
    once with bind parameters takes 0.15 ms of CPU this way, 0.35 ms built each time and run
    through the session. For the few statements every checkout and cart runs."""
    session = db.session()
    if session.autoflush and (session.new or session.dirty or session.deleted):
        session.flush()
    return session.connection().execute(statement, parameters)


# Per model: its INSERT ... RETURNING id, and the (attribute, column) pairs it writes.
_INSERTS: dict = {}
# The objects insert_now wrote in the session's transaction (in session.info).
INSERTED_NOW = "solemate_inserted_now"


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back_rows(session, previous_transaction) -> None:
    """Rows insert_now wrote are gone with the transaction's rollback: their objects leave
    the session, as rolled-back new objects do (on SQLite the next row takes the same id)."""
    if previous_transaction.parent is not None:
        return  # a savepoint's (insert_now refuses to write inside one)
    for instance in session.info.pop(INSERTED_NOW, ()):
        if instance in session:
            session.expunge(instance)


@event.listens_for(Session, "after_commit")
def _rows_kept(session) -> None:
    if not session.in_nested_transaction():  # the transaction's commit, not a savepoint's
        session.info.pop(INSERTED_NOW, None)


def _insert_plan(mapper) -> tuple:
    plan = _INSERTS.get(mapper)
    if plan is None:
        table = mapper.local_table
        columns = [
            (prop.key, column)
            for prop in mapper.column_attrs
            if getattr(column := prop.columns[0], "table", None) is table and not column.primary_key
        ]
        for _key, column in columns:
            if column.server_default is not None and column.default is None:
                raise TypeError(f"insert_now writes every column; {column} has a server default")
            if column.default is not None and not (
                column.default.is_scalar or column.default.is_callable
            ):
                raise TypeError(f"insert_now takes plain defaults; {column} has another kind")
        relationships = frozenset(mapper.relationships.keys())
        plan = _INSERTS[mapper] = (insert(table).returning(table.c.id), columns, relationships)
    return plan


def _default(column):
    """What a flush would write for a column left unset (plain defaults only)."""
    if column.default is None:
        return None
    return column.default.arg(None) if column.default.is_callable else column.default.arg


def insert_now(instance: T) -> T:
    """Write a new ORM object's row at once, in the session's transaction, and keep the
    object in the session as though it had just been loaded: reading its columns needs no
    query, and later changes to it are saved as usual. Columns left unset take their
    Python-side defaults, as in a flush (None too, where the column has a default).
    Relationships are not followed: give the foreign keys as ids, and a collection that the
    caller reads next with `set_committed_value`. Not inside a savepoint.

    For the rows every checkout and cart writes. A flush of the same rows costs several
    times the CPU (the unit of work sorts them, cascades and tracks history): four rows of
    a checkout took 3.4-3.9 ms flushed.
    """
    statement, columns, relationships = _insert_plan(inspect_instance(instance).mapper)
    state = instance.__dict__
    if given := relationships.intersection(state):
        raise TypeError(f"insert_now takes foreign keys as ids, not {sorted(given)}")
    session = db.session()
    if session.in_nested_transaction():
        raise TypeError("insert_now writes in the transaction itself, not in a savepoint")
    values = {}
    for key, column in columns:
        if state.get(key) is None:
            setattr(instance, key, _default(column))
        values[column.key] = state[key]
    instance.id = execute(statement, values).scalar_one()
    make_transient_to_detached(instance)
    session.add(instance)
    session.info.setdefault(INSERTED_NOW, []).append(instance)
    return instance


def insert_for_dialect(model):
    """An INSERT for `model` with ON CONFLICT clauses (SQLite and PostgreSQL share them)."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(model)
