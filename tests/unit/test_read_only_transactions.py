"""A request that only read commits its transaction (psycopg keeps its prepared statements);
one that wrote, or holds unsaved changes, is left to roll back as before."""

import pytest
from flask import jsonify
from sqlalchemy import event, select, text, update

from marketplace.extensions import db
from models import Account, Company
from tests.helpers import make_person


@pytest.fixture
def endings(app):
    """How each request's transaction ended: 'commit' or 'rollback', in order."""
    seen: list[str] = []
    with app.app_context():
        event.listen(db.engine, "commit", lambda _connection: seen.append("commit"))
        event.listen(db.engine, "rollback", lambda _connection: seen.append("rollback"))
    return seen


@pytest.fixture
def routes(app):
    person = make_person(app, name="Before")

    @app.get("/_test/read")
    def read():
        return jsonify(name=db.session.scalar(select(Account.name).where(Account.id == person.id)))

    @app.post("/_test/write-then-refuse")
    def write_then_refuse():
        db.session.execute(update(Account).where(Account.id == person.id).values(name="After"))
        return jsonify(error="refused"), 409  # an answer that forgot to roll back

    @app.post("/_test/unsaved")
    def unsaved():
        db.session.add(Company(name="Never Saved", tax_id="X-1"))
        return jsonify(ok=True)

    @app.get("/_test/prepared")
    def prepared():
        return jsonify(count=db.session.scalar(text("SELECT count(*) FROM pg_prepared_statements")))

    return person


def name_of(app, account_id: int) -> str:
    with app.app_context():
        return db.session.get(Account, account_id).name


def test_a_request_that_only_read_commits(app, client, routes, endings):
    assert client.get("/_test/read").get_json() == {"name": "Before"}
    assert endings == ["commit"]


def test_a_request_that_wrote_and_did_not_commit_is_rolled_back(app, client, routes, endings):
    assert client.post("/_test/write-then-refuse").status_code == 409
    assert endings == ["rollback"]
    assert name_of(app, routes.id) == "Before"


def test_unsaved_changes_are_not_committed_by_the_end_of_a_request(app, client, routes):
    assert client.post("/_test/unsaved").status_code == 200
    with app.app_context():
        assert db.session.scalars(select(Company.name)).all() == []


def test_postgresql_keeps_statements_prepared_across_read_only_requests(app, client, routes):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("prepared statements are psycopg's")
    for _ in range(8):  # psycopg prepares a statement on its fifth run
        client.get("/_test/read")
    assert client.get("/_test/prepared").get_json()["count"] >= 1
