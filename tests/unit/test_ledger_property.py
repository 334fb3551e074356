"""Property: whatever buyers, sellers, the bank and the clock do, pairs and money add up.

A state machine drives checkouts (paid, waiting for the bank, declined), bank answers and
replays, cancels, shipping, delivery, returns, refunds, confirmations and `jobs run` at a
moving clock against the real database. After every step every pair is either on the
shelf (free, or held for an unpaid order) or sold, and every cent the sellers are owed
comes from an order the ledger captured and did not refund.
"""

from __future__ import annotations

import itertools
import json
from calendar import timegm
from collections import Counter
from datetime import datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace import clock
from marketplace.exceptions import DomainError, NotFound, OutOfStock, PaymentDeclined
from marketplace.extensions import db
from marketplace.services import cart, checkout, jobs, ledger, orders, payments
from models import Account, LedgerTransaction, Order, Payment, Variant
from tests.conftest import empty_tables
from tests.helpers import make_company_member, make_listing, make_person

CARD_OK = "4242424242424242"
CARD_NEEDS_BANK = "4000002500003155"
CARD_DECLINED = "4000000000000002"
ADDRESS = {
    "name": "Sam Buyer",
    "line1": "1 Main St",
    "city": "Springfield",
    "postal_code": "12345",
    "country": "US",
}
START = datetime(2026, 3, 2, 9, 0)
RETURN_WINDOW = timedelta(days=7)
# Sold and not given back: the pairs left the shelf and the seller is owed the money.
SOLD = {"paid", "shipped", "delivered", "completed", "return_requested", "returned"}
# Each order step (DESIGN.md's state machine): the statuses it needs, where it leads, who
# takes it, and the service call.
STEPS = {  # forward steps first: what a flow that goes on takes next
    "ship": ({"paid"}, "shipped", "seller"),
    "deliver": ({"shipped"}, "delivered", "seller"),
    "request_return": ({"delivered"}, "return_requested", "buyer"),
    "mark_returned": ({"return_requested"}, "returned", "seller"),
    "refund": ({"return_requested", "returned"}, "refunded", "seller"),
    "confirm": ({"shipped", "delivered"}, "completed", "buyer"),  # orders.can_confirm
    "cancel": ({"pending_payment", "paid"}, "cancelled", "buyer"),
}
CALLS = {
    "cancel": lambda order_id, account: orders.cancel(order_id, account, "Changed my mind"),
    "ship": lambda order_id, account: orders.ship(order_id, account, "UPS", f"1Z{order_id}"),
    "deliver": orders.deliver,
    "request_return": lambda order_id, account: orders.request_return(
        order_id, account, "Too tight"
    ),
    "mark_returned": orders.mark_returned,
    "refund": orders.refund,
    "confirm": orders.confirm,
}
BUYERS = st.integers(0, 1)
LINES = st.lists(st.tuples(st.integers(0, 2), st.integers(1, 3)), min_size=1, max_size=3)
CARDS = st.sampled_from([CARD_OK, CARD_OK, CARD_NEEDS_BANK, CARD_DECLINED])
EXPRESS = st.booleans()
PICK = st.integers(0, 30)
event_ids = itertools.count(1)


def placed(machine: Marketplace) -> bool:
    return machine.checkouts > 0


class Marketplace(RuleBasedStateMachine):
    """Two sellers, three sizes, two buyers, one bank and a clock, in any order."""

    app = None  # set by the test: the machine runs on the test's app and database

    def __init__(self):
        super().__init__()
        app = self.app
        clock.set_now(START)
        with app.app_context():
            empty_tables()
        north = make_company_member(app, "North Co")
        south = make_company_member(app, "South Co")
        boots = make_listing(app, north.company_id, {"42": 4, "43": 2}, 12999, title="Boot")
        slides = make_listing(app, south.company_id, {"40": 5}, 2550, title="Slide")
        self.shelf = {
            boots.variants["42"]: 4,
            boots.variants["43"]: 2,
            slides.variants["40"]: 5,
        }
        self.variants = list(self.shelf)
        self.seller_of = {north.company_id: north.id, south.company_id: south.id}
        self.buyers = [make_person(app, name="Bea Buyer").id, make_person(app, name="Cy").id]
        self.events_sent: list[dict] = []
        self.checkouts = 0  # placed so far: order steps wait for the first one

    def teardown(self):
        clock.set_now(None)

    # Helpers.

    def allowed(self, step: str, order: Order) -> bool:
        needs, _, _ = STEPS[step]
        if step == "request_return" and order.status == "delivered":
            return clock.now() <= order.delivered_at + RETURN_WINDOW
        return order.status in needs

    def actor(self, order: Order, role: str) -> int:
        if role == "buyer":
            return order.buyer_id
        if role == "seller":
            return self.seller_of[order.seller_company_id]
        return next(buyer for buyer in self.buyers if buyer != order.buyer_id)

    def send_event(self, event: dict) -> dict:
        raw = json.dumps(event).encode()
        headers = {
            # stamped in UTC seconds: sign()'s default reads the naive clock as local time
            "X-Signature": payments.sign(
                raw, self.app.config["WEBHOOK_SECRET"], timegm(clock.now().timetuple())
            ),
            "Content-Type": "application/json",
        }
        response = self.app.test_client().post(
            "/api/v1/payments/webhook", data=raw, headers=headers
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def snapshot(self) -> tuple:
        with self.app.app_context():
            return (
                db.session.execute(select(Order.id, Order.status).order_by(Order.id)).all(),
                db.session.execute(select(Variant.id, Variant.stock, Variant.reserved)).all(),
                db.session.execute(select(Payment.kind, Payment.status).order_by(Payment.id)).all(),
                ledger.trial_balance(),
            )

    # Buyers.

    @initialize(
        buyer=BUYERS, lines=LINES, card=st.sampled_from([CARD_OK, CARD_NEEDS_BANK]), express=EXPRESS
    )
    def first_checkout(self, buyer, lines, card, express):
        self.check_out(buyer, lines, card, express)

    @rule(buyer=BUYERS, lines=LINES, card=CARDS, express=EXPRESS)
    def check_out(self, buyer, lines, card, express):
        with self.app.app_context():
            account = db.session.get(Account, self.buyers[buyer])
            cart.clear(account)
            db.session.commit()
            wanted: Counter = Counter()
            for index, quantity in lines:
                cart.add(account, self.variants[index], quantity)
                wanted[self.variants[index]] += quantity
            free = {
                v.id: v.stock - v.reserved
                for v in db.session.scalars(select(Variant).where(Variant.id.in_(wanted)))
            }
            short = {variant_id for variant_id, n in wanted.items() if n > free[variant_id]}
            try:
                bought = checkout.place_order(
                    account,
                    shipping_address=ADDRESS,
                    card_number=card,
                    shipping_method="express" if express else "standard",
                )
            except OutOfStock as error:
                assert {v["variant_id"] for v in error.details["variants"]} == short
                return
            except PaymentDeclined:
                assert not short and card == CARD_DECLINED
                return
            assert not short and card != CARD_DECLINED
            expected = "paid" if card == CARD_OK else "pending_payment"
            assert [o.status for o in bought.orders] == [expected] * len(bought.orders)
            assert bought.total_cents == sum(o.total_cents for o in bought.orders)
            assert cart.view(account).lines == []
            self.checkouts += 1

    # Buyers and sellers moving orders on.

    @precondition(placed)
    @rule(
        turns=st.lists(
            st.tuples(
                PICK,
                st.sampled_from(sorted(STEPS)),
                st.sampled_from(["party", "party", "party", "other party", "stranger"]),
                st.integers(0, 4),
            ),
            min_size=1,
            max_size=6,
        )
    )
    def buyers_and_sellers_act(self, turns):
        for pick, step, who, fitting in turns:
            self.act_on_an_order(pick, step, who, fitting)
            self.pairs_and_money_add_up()

    def act_on_an_order(self, pick: int, step: str, who: str, fitting: int) -> None:
        """Mostly the next step an order's status allows (the forward one, sometimes the
        other), so flows get deep; sometimes any step on any order, by the wrong party or by
        a stranger, which must change nothing."""
        with self.app.app_context():
            every = db.session.scalars(select(Order).order_by(Order.id)).all()
            live = [o for o in every if any(self.allowed(s, o) for s in STEPS)]
            if fitting and live:
                order = live[pick % len(live)]
                legal = [s for s in STEPS if self.allowed(s, order)]
                step = legal[0] if fitting < 4 else legal[-1]
            else:
                order = every[pick % len(every)]
            _, leads_to, party = STEPS[step]
            other = "seller" if party == "buyer" else "buyer"
            role = {"party": party, "other party": other, "stranger": "stranger"}[who]
            order_id, before = order.id, order.status
            expected = "done" if self.allowed(step, order) else "refused"
            if who == "stranger":
                expected = "not found"
            elif who == "other party" and step != "cancel":  # either side may cancel
                expected = "refused"
            account = db.session.get(Account, self.actor(order, role))
            try:
                CALLS[step](order_id, account)
                outcome = "done"
            except NotFound:
                outcome = "not found"
            except DomainError:
                outcome = "refused"
        with self.app.app_context():
            after = db.session.get(Order, order_id).status
        assert (outcome, after) == (expected, leads_to if expected == "done" else before), (
            step,
            role,
            before,
        )

    # The bank and the clock.

    @precondition(placed)
    @rule(pick=PICK, approve=st.booleans())
    def bank_answers(self, pick, approve):
        with self.app.app_context():
            waiting = db.session.scalars(
                select(Payment).where(Payment.kind == "charge", Payment.status == "pending")
            ).all()
            if not waiting:
                return
            payment = waiting[pick % len(waiting)]
            checkout_id, reference = payment.checkout_id, payment.provider_ref
        event = {
            "id": f"evt_{next(event_ids)}",
            "type": "payment.succeeded" if approve else "payment.failed",
            "data": {"payment_ref": reference},
        }
        assert self.send_event(event)["duplicate"] is False
        self.events_sent.append(event)
        with self.app.app_context():
            answered = db.session.scalars(select(Order).where(Order.checkout_id == checkout_id))
            assert all(order.status != "pending_payment" for order in answered)
            status = db.session.scalar(
                select(Payment.status).where(Payment.provider_ref == reference)
            )
            assert status == ("succeeded" if approve else "declined")

    @precondition(lambda machine: machine.events_sent)
    @rule(pick=PICK)
    def bank_replays_an_event(self, pick):
        before = self.snapshot()
        assert self.send_event(self.events_sent[pick % len(self.events_sent)])["duplicate"] is True
        assert self.snapshot() == before

    @rule(minutes=st.sampled_from([1, 29, 31, 60, 60 * 24, 60 * 24 * 6, 60 * 24 * 7 + 1]))
    def time_passes(self, minutes):
        clock.set_now(clock.now() + timedelta(minutes=minutes))

    @rule()
    def jobs_run(self):
        now = clock.now()
        with self.app.app_context():
            jobs.run_due()
            overdue = db.session.scalars(
                select(Order.id).where(
                    (Order.status == "pending_payment") & (Order.hold_expires_at <= now)
                    | (Order.status == "delivered") & (Order.delivered_at <= now - RETURN_WINDOW)
                )
            ).all()
            assert overdue == []
            again = jobs.run_due()
            assert all(done == 0 for done in again.values()), again

    # What must hold after every step.

    @invariant()
    def pairs_and_money_add_up(self):
        with self.app.app_context():
            assert ledger.trial_balance()["balanced"]
            every = db.session.scalars(
                select(Order).options(selectinload(Order.lines), selectinload(Order.events))
            ).all()
            sold, held = Counter(), Counter()
            for order in every:
                assert order.events[-1].status == order.status
                for line in order.lines:
                    if order.status in SOLD:
                        sold[line.variant_id] += line.quantity
                    elif order.status == "pending_payment":
                        held[line.variant_id] += line.quantity
            for variant in db.session.scalars(select(Variant)):
                assert 0 <= variant.reserved <= variant.stock
                assert variant.stock + sold[variant.id] == self.shelf[variant.id]
                assert variant.reserved == held[variant.id]

            posted = {
                kind: set(
                    db.session.scalars(
                        select(LedgerTransaction.order_id).where(LedgerTransaction.kind == kind)
                    )
                )
                for kind in ("capture", "release", "refund")
            }
            assert posted["refund"] <= posted["capture"]
            kept = posted["capture"] - posted["refund"]  # captured and not refunded
            assert kept == {o.id for o in every if o.status in SOLD}
            assert posted["release"] == {o.id for o in every if o.status == "completed"}

            owed_in_total = 0
            for company_id in self.seller_of:
                mine = [o for o in every if o.seller_company_id == company_id and o.status in SOLD]
                expected = {
                    "pending_cents": sum(
                        o.total_cents - o.fee_cents for o in mine if o.status != "completed"
                    ),
                    "available_cents": sum(
                        o.total_cents - o.fee_cents for o in mine if o.status == "completed"
                    ),
                }
                balances = ledger.owner_balances(company_id=company_id)
                assert balances == expected
                owed_in_total += balances["pending_cents"] + balances["available_cents"]
            kept_orders = [o for o in every if o.id in kept]
            assert owed_in_total == sum(o.total_cents - o.fee_cents for o in kept_orders)
            assert ledger.owed(ledger.FEES) == sum(o.fee_cents for o in kept_orders)

            # The clearing account holds what the bank took and did not give back.
            settled = db.session.execute(
                select(Payment.kind, Payment.amount_cents).where(Payment.status == "succeeded")
            ).all()
            taken = sum(amount for kind, amount in settled if kind == "charge")
            given_back = sum(amount for kind, amount in settled if kind == "refund")
            assert ledger.balance(ledger.CLEARING) == taken - given_back


def test_pairs_and_money_add_up_whatever_happens(app):
    Marketplace.app = app
    try:
        run_state_machine_as_test(
            Marketplace,
            settings=settings(
                max_examples=25,
                stateful_step_count=25,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            ),
        )
    finally:
        Marketplace.app = None
        clock.set_now(None)
