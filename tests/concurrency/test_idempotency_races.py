"""Retries that arrive together: one Idempotency-Key buys once, one webhook event pays once."""

from __future__ import annotations

import json
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.services import ledger, payments
from models import Checkout, LedgerTransaction, Order, Payment, ProviderEvent, Variant
from tests.helpers import (
    all_at_once,
    make_company_member,
    make_listing,
    make_person,
    token_for,
)

CARD_OK = "4242 4242 4242 4242"
CARD_NEEDS_BANK = "4000 0025 0000 3155"
ADDRESS = {
    "name": "Sam Buyer",
    "line1": "1 Main St",
    "city": "Springfield",
    "postal_code": "12345",
    "country": "US",
}


def answered_at_once(work, arguments: list[tuple]) -> list[object]:
    """`work(*args)` for each argument tuple, all released together (tests.helpers.all_at_once);
    what each returned, in argument order, none of them having raised."""
    results = all_at_once(work, arguments)
    errors = [value for outcome, value in results if outcome == "error"]
    assert errors == [], errors
    return [value for _, value in results]


def checkout_body(card: str = CARD_OK, shipping_method: str = "standard") -> dict:
    return {
        "shipping_address": ADDRESS,
        "payment": {"card_number": card},
        "shipping_method": shipping_method,
    }


@pytest.fixture
def shop(app, client):
    """A seller's boot with 5 pairs of EU 42, and a buyer signed in to the API."""
    seller = make_company_member(app, "North Co")
    boots = make_listing(app, seller.company_id, {"42": 5}, 12999, title="Trail Boot")
    buyer = make_person(app, name="Bea Buyer")
    headers = token_for(client, buyer.email)
    response = client.post(
        "/api/v1/cart/items",
        json={"variant_id": boots.variants["42"], "quantity": 2},
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()
    return {"seller": seller, "size_42": boots.variants["42"], "headers": headers}


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def stock(app, variant_id: int) -> tuple[int, int]:
    with app.app_context():
        variant = db.session.get(Variant, variant_id)
        return variant.stock, variant.reserved


def post_checkout(app, headers: dict, key: str, body: dict) -> tuple[int, dict]:
    """POST /checkout from a client of its own (so its own app context and connection)."""
    response = app.test_client().post(
        "/api/v1/checkout", json=body, headers={**headers, "Idempotency-Key": key}
    )
    return response.status_code, response.get_json()


@pytest.mark.parametrize("retries", [2, 8])
def test_a_checkout_retried_at_once_with_one_key_buys_once(app, shop, retries):
    answers = answered_at_once(
        post_checkout, [(app, shop["headers"], "tap-tap", checkout_body())] * retries
    )

    assert [status for status, _ in answers] == [201] * retries, answers
    first = answers[0][1]
    assert all(body == first for _, body in answers)
    assert [o["status"] for o in first["orders"]] == ["paid"]
    assert count(app, Checkout) == 1 and count(app, Order) == 1
    assert count(app, Payment) == 1
    assert stock(app, shop["size_42"]) == (3, 0)
    with app.app_context():
        assert ledger.owner_balances(company_id=shop["seller"].company_id)["pending_cents"] == (
            2 * 12999 - 1300
        )
        assert ledger.trial_balance()["balanced"]


def test_one_key_sent_at_once_with_two_different_bodies_buys_once(app, shop):
    bodies = [checkout_body(), checkout_body(shipping_method="express")] * 3
    answers = answered_at_once(
        post_checkout, [(app, shop["headers"], "one-key", b) for b in bodies]
    )

    created = [
        (body, answer)
        for body, (status, answer) in zip(bodies, answers, strict=True)
        if status == 201
    ]
    assert created, answers
    winner_body, winner_answer = created[0]
    for body, (status, answer) in zip(bodies, answers, strict=True):
        if body == winner_body:
            assert (status, answer) == (201, winner_answer)
        else:
            assert status == 409 and answer["error"]["code"] == "idempotency_key_reused"
    assert count(app, Checkout) == 1 and count(app, Order) == 1
    assert stock(app, shop["size_42"]) == (3, 0)


def test_a_cart_checked_out_from_several_tabs_at_once_is_bought_once(app, client):
    seller = make_company_member(app, "Tabs Co")
    boots = make_listing(app, seller.company_id, {"42": 100}, 12999, title="Trail Boot")
    buyer = make_person(app, name="Tab Hoarder")
    headers = token_for(client, buyer.email)
    # a few rounds, so that the race is lost at least once whatever the scheduling
    for round_ in range(4):
        added = client.post(
            "/api/v1/cart/items",
            json={"variant_id": boots.variants["42"], "quantity": 2},
            headers=headers,
        )
        assert added.status_code == 201
        tabs = [(app, headers, f"tab-{round_}-{n}", checkout_body()) for n in range(8)]
        answers = answered_at_once(post_checkout, tabs)
        assert sorted(status for status, _ in answers) == [201] + [422] * 7, answers
    assert count(app, Checkout) == 4
    assert stock(app, boots.variants["42"]) == (100 - 4 * 2, 0)


def signed(app, event: dict) -> tuple[bytes, dict]:
    raw = json.dumps(event).encode()
    signature = payments.sign(raw, app.config["WEBHOOK_SECRET"])
    return raw, {"X-Signature": signature, "Content-Type": "application/json"}


def post_event(app, raw: bytes, headers: dict) -> tuple[int, dict]:
    response = app.test_client().post("/api/v1/payments/webhook", data=raw, headers=headers)
    return response.status_code, response.get_json()


@pytest.fixture
def waiting_for_the_bank(app, client, shop):
    """A checkout paid with the card that needs the bank's approval: its order waits."""
    response = client.post(
        "/api/v1/checkout", json=checkout_body(CARD_NEEDS_BANK), headers=shop["headers"]
    )
    assert response.status_code == 201, response.get_json()
    order = response.get_json()["orders"][0]
    assert order["status"] == "pending_payment"
    assert stock(app, shop["size_42"]) == (5, 2)
    with app.app_context():
        reference = db.session.scalars(select(Payment.provider_ref)).one()
    return {"order_id": order["id"], "reference": reference}


def assert_captured_once(app, shop, order_id: int) -> None:
    assert stock(app, shop["size_42"]) == (3, 0)
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert order.status == "paid"
        assert [event.status for event in order.events] == ["pending_payment", "paid"]
        kinds = db.session.scalars(
            select(LedgerTransaction.kind).where(LedgerTransaction.order_id == order_id)
        ).all()
        assert kinds == ["capture"]
        assert ledger.owner_balances(company_id=shop["seller"].company_id) == {
            "pending_cents": 2 * 12999 - 1300,
            "available_cents": 0,
        }
        assert ledger.balance(ledger.CLEARING) == 2 * 12999
        assert db.session.scalars(select(Payment.status)).all() == ["succeeded"]
        assert ledger.trial_balance()["balanced"]


def test_a_bank_approval_replayed_eight_times_at_once_captures_once(
    app, shop, waiting_for_the_bank
):
    raw, headers = signed(
        app,
        {
            "id": "evt_approved",
            "type": "payment.succeeded",
            "data": {"payment_ref": waiting_for_the_bank["reference"]},
        },
    )
    answers = answered_at_once(post_event, [(app, raw, headers)] * 8)

    assert [status for status, _ in answers] == [200] * 8, answers
    assert Counter(body["duplicate"] for _, body in answers) == Counter({False: 1, True: 7})
    assert count(app, ProviderEvent) == 1
    assert_captured_once(app, shop, waiting_for_the_bank["order_id"])


def test_one_approval_sent_as_distinct_events_at_once_captures_once(
    app, shop, waiting_for_the_bank
):
    deliveries = [
        signed(
            app,
            {
                "id": f"evt_approved_{n}",
                "type": "payment.succeeded",
                "data": {"payment_ref": waiting_for_the_bank["reference"]},
            },
        )
        for n in range(4)
    ]
    answers = answered_at_once(post_event, [(app, raw, headers) for raw, headers in deliveries])

    # A delivery that lost the race may be refused for the provider to retry, never a 500.
    assert all(status in (200, 409) for status, _ in answers), answers
    captured = [body for status, body in answers if status == 200 and body.get("handled")]
    assert [body["handled"] for body in captured].count("captured 1 order(s)") == 1
    assert_captured_once(app, shop, waiting_for_the_bank["order_id"])


def test_a_webhook_signed_on_a_host_outside_utc_is_accepted(app, monkeypatch):
    raw = b'{"id": "evt_tz", "type": "payment.succeeded", "data": {}}'
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        with app.app_context():
            payments.verify(raw, payments.sign(raw, app.config["WEBHOOK_SECRET"]))
    finally:
        monkeypatch.undo()
        time.tzset()
