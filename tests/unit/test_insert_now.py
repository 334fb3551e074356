"""extensions.insert_now: a row written at once, its object in the session as if loaded."""

import pytest
from sqlalchemy import event, select

from marketplace.extensions import INSERTED_NOW, db, insert_now
from models import Cart, CartItem, Company


@pytest.fixture
def statements(app):
    """The SQL statements run, in order."""
    seen: list[str] = []
    with app.app_context():
        event.listen(
            db.engine, "before_cursor_execute", lambda *args: seen.append(args[2].split()[0])
        )
    return seen


def test_the_row_is_written_with_its_defaults_and_reads_back_without_a_query(app, statements):
    with app.app_context():
        company = insert_now(Company(name="Sole Supply", tax_id="DE-1"))
        assert statements == ["INSERT"]
        # Python-side defaults were written and set on the object, as a flush would
        assert (company.status, company.credit_limit_cents, company.sells) == ("pending", 0, False)
        assert company.created_at is not None and company.id is not None
        assert db.session.get(Company, company.id) is company
        assert statements == ["INSERT"]  # nothing read back
        created_at = company.created_at
        company.status = "verified"  # a later change is saved as usual
        db.session.commit()
    with app.app_context():
        row = db.session.execute(
            select(Company.name, Company.status, Company.credit_limit_cents, Company.created_at)
        ).one()
    assert row[:3] == ("Sole Supply", "verified", 0)
    assert row.created_at == created_at


def test_the_row_and_its_object_go_with_a_rolled_back_transaction(app):
    with app.app_context():
        gone = insert_now(Company(name="Gone Soon", tax_id="DE-2"))
        db.session.rollback()
        assert gone not in db.session
        assert db.session.scalars(select(Company)).all() == []
        # the next row may take the same id (SQLite does): the session takes it
        kept = insert_now(Company(name="Kept", tax_id="DE-3"))
        db.session.commit()
        assert db.session.scalars(select(Company.name)).all() == ["Kept"]
        assert kept in db.session


def test_related_objects_are_refused_and_nothing_is_written(app, statements):
    with app.app_context():
        with pytest.raises(TypeError, match="cart"):
            insert_now(CartItem(cart=Cart(account_id=1), variant_id=1, quantity=1))
        assert statements == []


def test_an_unset_or_none_column_takes_its_default_and_a_savepoint_is_refused(app):
    with app.app_context():
        company = insert_now(Company(name="Defaults", tax_id="DE-4", status=None))
        assert company.status == "pending"
        db.session.commit()
        # a commit lets go of what was written: the session holds it weakly, as any row
        assert db.session.info.get(INSERTED_NOW) is None
        kept = insert_now(Company(name="Kept", tax_id="DE-5"))
        with db.session.begin_nested(), pytest.raises(TypeError, match="savepoint"):
            insert_now(Company(name="Inside", tax_id="DE-6"))
        db.session.commit()
        assert db.session.info.get(INSERTED_NOW) is None and kept in db.session
        assert sorted(db.session.scalars(select(Company.name))) == ["Defaults", "Kept"]
