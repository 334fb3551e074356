"""Buyers racing for the same pairs: stock is sold once, never twice, and money follows it."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from marketplace import clock
from marketplace.exceptions import IllegalTransition, OutOfStock
from marketplace.extensions import db
from marketplace.services import cart, checkout, ledger, orders
from models import Account, Checkout, LedgerTransaction, Order, Payment, Variant
from tests.helpers import all_at_once, make_company_member, make_listing, make_person

CARD_OK = "4242424242424242"
CARD_NEEDS_BANK = "4000002500003155"
ADDRESS = {
    "name": "Sam Buyer",
    "line1": "1 Main St",
    "city": "Springfield",
    "postal_code": "12345",
    "country": "US",
}


def fill_cart(app, buyer_id: int, items: list[tuple[int, int]]) -> None:
    with app.app_context():
        buyer = db.session.get(Account, buyer_id)
        for variant_id, quantity in items:
            cart.add(buyer, variant_id, quantity)


def place_order_in_own_context(app, buyer_id: int) -> int:
    """Check out the buyer's cart on a connection of this thread's own; the checkout id."""
    with app.app_context():
        buyer = db.session.get(Account, buyer_id)
        placed = checkout.place_order(buyer, shipping_address=ADDRESS, card_number=CARD_OK)
        return placed.id


def stock(app, variant_id: int) -> tuple[int, int]:
    with app.app_context():
        variant = db.session.get(Variant, variant_id)
        return variant.stock, variant.reserved


def statuses(app) -> Counter:
    with app.app_context():
        return Counter(db.session.scalars(select(Order.status)).all())


def balanced(app) -> bool:
    with app.app_context():
        return ledger.trial_balance()["balanced"]


def unexpected(results) -> list[object]:
    return [
        value
        for outcome, value in results
        if outcome == "error" and not isinstance(value, OutOfStock)
    ]


def test_last_three_pairs_sell_exactly_three_times(app):
    seller = make_company_member(app, "Last Pairs Co")
    boots = make_listing(app, seller.company_id, {"42": 3}, 12999, title="Trail Boot")
    size_42 = boots.variants["42"]
    buyers = [make_person(app, name=f"Buyer {n}").id for n in range(20)]
    for buyer_id in buyers:
        fill_cart(app, buyer_id, [(size_42, 1)])

    results = all_at_once(place_order_in_own_context, [(app, b) for b in buyers])

    assert unexpected(results) == []
    assert sum(outcome == "ok" for outcome, _ in results) == 3
    assert sum(isinstance(value, OutOfStock) for _, value in results) == 17
    assert stock(app, size_42) == (0, 0)
    assert statuses(app) == Counter({"paid": 3})
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Checkout)) == 3
        assert ledger.owner_balances(company_id=seller.company_id)["pending_cents"] == 3 * (
            12999 - 650
        )
    assert balanced(app)


def test_buyers_taking_two_listings_in_opposite_order_do_not_deadlock(app):
    north = make_company_member(app, "North Co")
    south = make_company_member(app, "South Co")
    boots = make_listing(app, north.company_id, {"42": 50}, 12999, title="Trail Boot")
    slides = make_listing(app, south.company_id, {"40": 50}, 2550, title="Pool Slide")
    a, b = boots.variants["42"], slides.variants["40"]
    buyers = [make_person(app, name=f"Buyer {n}").id for n in range(10)]
    for index, buyer_id in enumerate(buyers):
        fill_cart(app, buyer_id, [(a, 1), (b, 1)] if index % 2 else [(b, 1), (a, 1)])

    results = all_at_once(place_order_in_own_context, [(app, b) for b in buyers])

    assert [outcome for outcome, _ in results] == ["ok"] * 10, [v for _, v in results]
    assert stock(app, a) == (40, 0)
    assert stock(app, b) == (40, 0)
    assert statuses(app) == Counter({"paid": 20})  # one order per seller per checkout
    assert balanced(app)


@pytest.mark.parametrize("short_size", ["41", "42"])
def test_a_wholesale_sized_cart_short_of_one_size_fails_whole(app, short_size):
    seller = make_company_member(app, "Bulk Co")
    sizes = {"41": 30, "42": 30}
    sizes[short_size] = 12
    boots = make_listing(app, seller.company_id, sizes, 9000, title="Work Boot")
    other_size = "42" if short_size == "41" else "41"
    buyer = make_person(app, name="Shop Owner")
    fill_cart(app, buyer.id, [(boots.variants["41"], 20), (boots.variants["42"], 20)])

    with app.app_context(), pytest.raises(OutOfStock) as raised:
        checkout.place_order(
            db.session.get(Account, buyer.id), shipping_address=ADDRESS, card_number=CARD_OK
        )

    assert [
        (v["variant_id"], v["size_eu"], v["requested"], v["available"])
        for v in raised.value.details["variants"]
    ] == [(boots.variants[short_size], short_size, 20, 12)]
    assert "only 12 left" in raised.value.message
    assert stock(app, boots.variants[other_size]) == (30, 0)
    assert stock(app, boots.variants[short_size]) == (12, 0)
    assert statuses(app) == Counter()
    with app.app_context():
        kept = cart.view(db.session.get(Account, buyer.id))
        assert sorted(line.quantity for line in kept.lines) == [20, 20]


@pytest.mark.parametrize("cancellers", [2, 6])
def test_cancelling_one_paid_order_at_once_refunds_it_once(app, cancellers):
    seller = make_company_member(app, "Refund Co")
    boots = make_listing(app, seller.company_id, {"42": 5}, 12999, title="Trail Boot")
    buyer = make_person(app, name="Bea Buyer")
    fill_cart(app, buyer.id, [(boots.variants["42"], 2)])
    with app.app_context():
        order_id = (
            checkout.place_order(
                db.session.get(Account, buyer.id), shipping_address=ADDRESS, card_number=CARD_OK
            )
            .orders[0]
            .id
        )
    assert stock(app, boots.variants["42"]) == (3, 0)

    def cancel(account_id: int) -> str:
        with app.app_context():
            account = db.session.get(Account, account_id)
            return orders.cancel(order_id, account, reason="Changed my mind").status

    # the buyer and the seller both press cancel, some of them more than once
    people = [buyer.id if n % 2 == 0 else seller.id for n in range(cancellers)]
    results = all_at_once(cancel, [(person,) for person in people])

    assert [value for outcome, value in results if outcome == "ok"] == ["cancelled"]
    losers = [value for outcome, value in results if outcome == "error"]
    assert len(losers) == cancellers - 1
    assert all(isinstance(error, IllegalTransition) for error in losers), losers
    assert stock(app, boots.variants["42"]) == (5, 0)
    with app.app_context():
        refunds = db.session.scalars(select(Payment).where(Payment.kind == "refund")).all()
        assert [(r.amount_cents, r.order_id) for r in refunds] == [(2 * 12999, order_id)]
        kinds = db.session.scalars(
            select(LedgerTransaction.kind).where(LedgerTransaction.order_id == order_id)
        ).all()
        assert sorted(kinds) == ["capture", "refund"]
        assert ledger.owner_balances(company_id=seller.company_id) == {
            "pending_cents": 0,
            "available_cents": 0,
        }
        events = db.session.get(Order, order_id).events
        assert [event.status for event in events] == ["pending_payment", "paid", "cancelled"]
    assert balanced(app)


def test_overlapping_job_runs_expire_and_release_each_order_once(app):
    seller = make_company_member(app, "Cron Co")
    boots = make_listing(app, seller.company_id, {"42": 10}, 10000, title="Trail Boot")
    size_42 = boots.variants["42"]
    buyer = make_person(app, name="Bea Buyer")
    clock.set_now(datetime(2026, 5, 4, 12, 0))
    with app.app_context():
        account = db.session.get(Account, buyer.id)
        for card in [CARD_NEEDS_BANK, CARD_OK] * 3:
            cart.add(account, size_42, 1)
            placed = checkout.place_order(account, shipping_address=ADDRESS, card_number=card)
            if card == CARD_OK:
                seller_account = db.session.get(Account, seller.id)
                orders.ship(placed.orders[0].id, seller_account, "UPS", "1Z1")
                orders.deliver(placed.orders[0].id, seller_account)
    assert stock(app, size_42) == (7, 3)
    # a week and a day later the holds have run out and the return windows have closed
    clock.set_now(clock.now() + timedelta(days=8))

    def jobs_run() -> tuple[int, int]:
        with app.app_context():
            return orders.expire_unpaid(), orders.complete_due()

    results = all_at_once(jobs_run, [()] * 4)

    assert [outcome for outcome, _ in results] == ["ok"] * 4, results
    assert sum(completed for _, (_, completed) in results) == 3
    assert statuses(app) == Counter({"expired": 3, "completed": 3})
    assert stock(app, size_42) == (7, 0)
    with app.app_context():
        assert ledger.owner_balances(company_id=seller.company_id) == {
            "pending_cents": 0,
            "available_cents": 3 * (10000 - 500),
        }
        releases = db.session.scalars(
            select(LedgerTransaction.order_id).where(LedgerTransaction.kind == "release")
        ).all()
        assert len(releases) == len(set(releases)) == 3
        for order in db.session.scalars(select(Order)):
            assert [e.status for e in order.events].count(order.status) == 1
    assert balanced(app)
