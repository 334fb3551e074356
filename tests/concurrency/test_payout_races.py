"""Payout requests racing for one available balance: it is never overdrawn, on SQLite and
PostgreSQL, whether the requests come through the service or the API, and one payout is
paid once however many admins press the button. Also the manager network's own races:
a double-clicked application, two admins moving managers under each other, and two shops
of one name approved at once."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from marketplace import clock
from marketplace.exceptions import Conflict, InsufficientBalance, ValidationFailed
from marketplace.extensions import db
from marketplace.services import ledger, managers, payouts
from models import Account, LedgerTransaction, Manager, Payout
from tests.b2m_helpers import (
    buy_from_shop,
    deliver,
    make_manager,
    me_balance,
    open_listing,
    run_jobs,
    ship,
    shop_item,
    trial,
)
from tests.helpers import (
    add_member,
    all_at_once,
    make_admin,
    make_company_member,
    make_person,
    token_for,
)

T0 = datetime(2026, 5, 4, 9, 0)


@pytest.fixture
def manager_with_100(app, client):
    """A manager whose margin of $100.00 on a delivered order became available."""
    clock.set_now(T0)
    admin = make_admin(app)
    admin_headers = token_for(client, admin.email)
    seller = make_company_member(app, "Payout Co")
    seller_headers = token_for(client, seller.email)
    manager = make_manager(app, client, admin_headers, "Maya Manager")
    boots = open_listing(client, seller_headers, base=5000, low=15000, high=15000)
    shop_item(client, manager.headers, boots.id, 15000)
    buyer_headers = token_for(client, make_person(app).email)
    order = buy_from_shop(client, buyer_headers, manager.slug, [(boots.variants["42"], 1)])
    ship(client, order["id"], seller_headers)
    deliver(client, order["id"], seller_headers)
    run_jobs(app, T0 + timedelta(days=8))
    assert me_balance(client, manager.headers) == {"pending_cents": 0, "available_cents": 10000}
    manager.admin = admin
    manager.admin_headers = admin_headers
    return manager


def requested(app) -> list[int]:
    with app.app_context():
        return sorted(db.session.scalars(select(Payout.amount_cents)).all())


def withdrawable(app, account_id: int) -> int:
    with app.app_context():
        return payouts.withdrawable(db.session.get(Account, account_id))


def test_two_payouts_of_70_from_100_cannot_both_be_requested(app, manager_with_100):
    def ask(amount: int) -> int:
        with app.app_context():
            account = db.session.get(Account, manager_with_100.id)
            return payouts.request(account, amount).id

    results = all_at_once(ask, [(7000,), (7000,)])

    outcomes = sorted(outcome for outcome, _ in results)
    assert outcomes == ["error", "ok"], results
    losers = [value for outcome, value in results if outcome == "error"]
    assert isinstance(losers[0], InsufficientBalance), losers
    assert losers[0].details["available_cents"] == 3000
    assert requested(app) == [7000]
    assert withdrawable(app, manager_with_100.id) == 3000


def test_two_api_payout_requests_with_one_token_get_one_201_and_one_409(app, manager_with_100):
    def ask(key: str):
        client = app.test_client()  # its own client (and connection), the same token
        response = client.post(
            "/api/v1/b2m/payouts",
            json={"amount_cents": 7000},
            headers={**manager_with_100.headers, "Idempotency-Key": key},
        )
        return response.status_code, response.get_json()

    results = all_at_once(ask, [("phone-1",), ("laptop-1",)])

    assert [outcome for outcome, _ in results] == ["ok", "ok"], results
    statuses = sorted(status for _, (status, _) in results)
    assert statuses == [201, 409], results
    refused = next(body for _, (status, body) in results if status == 409)
    assert refused["error"]["code"] == "insufficient_available_balance"
    assert requested(app) == [7000]


def test_many_small_requests_at_once_claim_no_more_than_is_available(app, manager_with_100):
    def ask(amount: int) -> int:
        with app.app_context():
            return payouts.request(db.session.get(Account, manager_with_100.id), amount).id

    results = all_at_once(ask, [(3000,)] * 6)

    assert sum(outcome == "ok" for outcome, _ in results) == 3, results
    losers = [value for outcome, value in results if outcome == "error"]
    assert all(isinstance(error, InsufficientBalance) for error in losers), losers
    assert requested(app) == [3000, 3000, 3000]
    assert withdrawable(app, manager_with_100.id) == 1000


def test_one_payout_approved_by_two_admins_at_once_is_paid_once(app, client, manager_with_100):
    with app.app_context():
        payout_id = payouts.request(db.session.get(Account, manager_with_100.id), 7000).id
    second_admin = make_admin(app)

    def approve(admin_id: int) -> str:
        with app.app_context():
            return payouts.approve(payout_id, db.session.get(Account, admin_id)).status

    results = all_at_once(approve, [(manager_with_100.admin.id,), (second_admin.id,)])

    assert sorted(outcome for outcome, _ in results) == ["error", "ok"], results
    assert [value for outcome, value in results if outcome == "ok"] == ["approved"]
    loser = next(value for outcome, value in results if outcome == "error")
    assert isinstance(loser, Conflict), loser
    with app.app_context():
        assert ledger.balance(ledger.PAYOUTS) == -7000
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(LedgerTransaction)
                .where(LedgerTransaction.kind == "payout")
            )
            == 1
        )
    assert me_balance(client, manager_with_100.headers)["available_cents"] == 3000
    assert trial(app)["balanced"]


def test_two_members_of_one_company_cannot_both_withdraw_its_proceeds(app, client):
    clock.set_now(T0)
    admin_headers = token_for(client, make_admin(app).email)
    seller = make_company_member(app, "Twin Desk Co")
    colleague = add_member(app, seller.company_id)
    seller_headers = token_for(client, seller.email)
    manager = make_manager(app, client, admin_headers, "Maya Manager")
    boots = open_listing(client, seller_headers, base=10000, low=12000, high=12000)
    shop_item(client, manager.headers, boots.id, 12000)
    buyer_headers = token_for(client, make_person(app).email)
    order = buy_from_shop(client, buyer_headers, manager.slug, [(boots.variants["42"], 1)])
    ship(client, order["id"], seller_headers)
    deliver(client, order["id"], seller_headers)
    run_jobs(app, T0 + timedelta(days=8))
    assert me_balance(client, seller_headers)["available_cents"] == 9500  # $100.00 less 5 %

    def ask(account_id: int) -> int:
        with app.app_context():
            return payouts.request(db.session.get(Account, account_id), 7000).id

    results = all_at_once(ask, [(seller.id,), (colleague.id,)])

    assert sorted(outcome for outcome, _ in results) == ["error", "ok"], results
    assert isinstance(next(v for o, v in results if o == "error"), InsufficientBalance)
    with app.app_context():
        assert [(p.company_id, p.amount_cents) for p in db.session.query(Payout)] == [
            (seller.company_id, 7000)
        ]


# The network's races. Each test below replays the interleaving two simultaneous requests
# produce (the second request commits between the first one's check and its write) on its
# own connection, so the outcome does not depend on thread timing.


def approved_manager(app, name: str, shop_name: str | None = None):
    person = make_person(app, name=name)
    with app.app_context():
        managers.apply(db.session.get(Account, person.id), shop_name or f"{name}'s Picks")
        manager = managers.approve(person.id)
        return person.id, manager.referral_code


def test_a_double_clicked_application_is_one_application_and_one_409(app):
    person = make_person(app, name="Dora Double")
    with app.app_context():
        account = db.session.get(Account, person.id)
        assert account.manager is None  # the first request has checked: not applied yet
        with app.app_context():  # the second request, on its own connection, is quicker
            managers.apply(db.session.get(Account, person.id), "Dora's Picks")
        with pytest.raises(Conflict) as raised:
            managers.apply(account, "Dora's Picks")
        assert raised.value.code == "already_applied"
    with app.app_context():
        assert db.session.query(Manager).filter_by(account_id=person.id).count() == 1


def test_two_admins_moving_two_managers_under_each_other_at_once_make_no_cycle(app, monkeypatch):
    xena, xena_code = approved_manager(app, "Xena")
    yuri, yuri_code = approved_manager(app, "Yuri")
    check_and_place = managers.set_upline
    rival = []

    def then_the_other_admin_moves_yuri(manager, upline):
        check_and_place(manager, upline)
        if not rival:
            rival.append("moved")
            with app.app_context():  # the second admin's request commits meanwhile
                managers.move(yuri, xena_code)

    monkeypatch.setattr(managers, "set_upline", then_the_other_admin_moves_yuri)
    refused = []
    with app.app_context():
        try:
            managers.move(xena, yuri_code)
        except ValidationFailed as error:
            refused.append(error.code)
    monkeypatch.undo()

    assert rival == ["moved"]
    with app.app_context():
        upline_of = {
            m.account_id: m.upline.account_id if m.upline else None
            for m in db.session.query(Manager)
        }
    assert upline_of != {xena: yuri, yuri: xena}, "a referral cycle"
    assert refused == ["referral_cycle"]


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"),
    reason="SQLite serializes the approvals (the first flush takes the write lock before the "
    "slug is counted), so two approvals cannot pick the same slug there",
)
def test_two_shops_of_one_name_approved_at_once_get_two_slugs(app, monkeypatch):
    first, second = make_person(app, name="Sol"), make_person(app, name="Sam")
    with app.app_context():
        for person in (first, second):
            managers.apply(db.session.get(Account, person.id), "Sole Mates")
    pick_slug = managers._unique_slug
    rival = []

    def then_the_other_admin_approves(base: str) -> str:
        slug = pick_slug(base)
        if not rival:
            rival.append("approved")
            with app.app_context():  # the second admin's approval commits meanwhile
                managers.approve(second.id)
        return slug

    monkeypatch.setattr(managers, "_unique_slug", then_the_other_admin_approves)
    with app.app_context():
        managers.approve(first.id)
    monkeypatch.undo()

    with app.app_context():
        slugs = sorted(m.shop_slug for m in db.session.query(Manager))
    assert slugs == ["sole-mates", "sole-mates-2"]
