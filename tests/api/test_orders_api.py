"""Cart, checkout, orders and money through the API (API.md: cart, checkout, orders)."""

import json
from datetime import timedelta

import pytest

from marketplace import clock
from marketplace.extensions import db
from marketplace.services import ledger, orders, payments
from models import Checkout, Order, Payment, Variant
from tests.helpers import (
    count,
    make_admin,
    make_company_member,
    make_listing,
    make_person,
    token_for,
)

CARD_OK = "4242 4242 4242 4242"
CARD_DECLINED = "4000 0000 0000 0002"
CARD_NEEDS_BANK = "4000 0025 0000 3155"
ADDRESS = {
    "name": "Sam Buyer",
    "line1": "1 Main St",
    "city": "Springfield",
    "postal_code": "12345",
    "country": "US",
}


def checkout_body(card=CARD_OK, **extra):
    return {"shipping_address": ADDRESS, "payment": {"card_number": card}, **extra}


@pytest.fixture
def shop(app, client):
    """Two sellers with a listing each, a buyer with a token."""
    north = make_company_member(app, "North Co")
    south = make_company_member(app, "South Co")
    boots = make_listing(app, north.company_id, {"42": 3, "43": 1}, 12999, title="Trail Boot")
    slides = make_listing(app, south.company_id, {"40": 5}, 2550, title="Pool Slide")
    buyer = make_person(app, name="Bea Buyer")
    return {
        "north": north,
        "south": south,
        "boots": boots,
        "slides": slides,
        "buyer": buyer,
        "headers": token_for(client, buyer.email),
        "north_headers": token_for(client, north.email),
        "south_headers": token_for(client, south.email),
    }


def add(client, headers, variant_id, quantity=1):
    response = client.post(
        "/api/v1/cart/items", json={"variant_id": variant_id, "quantity": quantity}, headers=headers
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def stock(app, variant_id) -> tuple[int, int]:
    with app.app_context():
        variant = db.session.get(Variant, variant_id)
        return variant.stock, variant.reserved


def balances(app, **owner) -> dict:
    with app.app_context():
        return ledger.owner_balances(**owner)


def trial(app) -> dict:
    with app.app_context():
        return ledger.trial_balance()


def buy(client, shop, card=CARD_OK, key=None):
    headers = dict(shop["headers"])
    if key:
        headers["Idempotency-Key"] = key
    return client.post("/api/v1/checkout", json=checkout_body(card), headers=headers)


def test_a_two_seller_cart_becomes_two_orders_and_one_payment(app, client, shop, outbox):
    add(client, shop["headers"], shop["boots"].variants["42"], 2)
    cart = add(client, shop["headers"], shop["slides"].variants["40"], 3)
    assert cart["subtotal_cents"] == 2 * 12999 + 3 * 2550 == 33648
    response = buy(client, shop)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["total_cents"] == 33648
    by_seller = {o["seller_id"]: o for o in body["orders"]}
    north, south = by_seller[shop["north"].company_id], by_seller[shop["south"].company_id]
    assert (north["total_cents"], north["status"], north["mode"]) == (25998, "paid", "b2c")
    assert (south["total_cents"], south["status"]) == (7650, "paid")
    with app.app_context():
        assert count(app, Checkout) == 1 and count(app, Order) == 2
        assert [p.amount_cents for p in db.session.query(Payment).all()] == [33648]
    # fees: 5 % of 259.98 = 12.999 -> 13.00; 5 % of 76.50 = 3.825 -> 3.83
    north_order = client.get(f"/api/v1/orders/{north['id']}", headers=shop["headers"]).get_json()
    assert (north_order["subtotal_cents"], north_order["fee_cents"]) == (25998, 1300)
    assert [(line["quantity"], line["unit_price_cents"]) for line in north_order["lines"]] == [
        (2, 12999)
    ]
    assert balances(app, company_id=shop["north"].company_id) == {
        "pending_cents": 24698,
        "available_cents": 0,
    }
    assert balances(app, company_id=shop["south"].company_id) == {
        "pending_cents": 7650 - 383,
        "available_cents": 0,
    }
    with app.app_context():
        assert ledger.owed(ledger.FEES) == 1300 + 383
        assert ledger.balance(ledger.CLEARING) == 33648
    assert stock(app, shop["boots"].variants["42"]) == (1, 0)
    assert stock(app, shop["slides"].variants["40"]) == (2, 0)
    assert client.get("/api/v1/cart", headers=shop["headers"]).get_json()["items"] == []
    assert trial(app)["balanced"]
    subjects = [message["subject"] for message in outbox]
    assert subjects.count(f"Order #{north['id']} confirmed") == 1
    assert f"New order #{south['id']}" in subjects


def test_express_shipping_goes_to_the_seller_and_is_not_charged_a_fee(app, client, shop):
    add(client, shop["headers"], shop["slides"].variants["40"])
    response = client.post(
        "/api/v1/checkout", json=checkout_body(shipping_method="express"), headers=shop["headers"]
    ).get_json()
    order = client.get(
        f"/api/v1/orders/{response['orders'][0]['id']}", headers=shop["headers"]
    ).get_json()
    assert (
        order["subtotal_cents"],
        order["shipping_cents"],
        order["total_cents"],
        order["fee_cents"],
    ) == (
        2550,
        1500,
        4050,
        128,
    )
    assert balances(app, company_id=shop["south"].company_id)["pending_cents"] == 4050 - 128


def test_a_repeated_idempotency_key_gives_one_checkout(app, client, shop):
    add(client, shop["headers"], shop["boots"].variants["42"])
    first = buy(client, shop, key="order-1")
    again = buy(client, shop, key="order-1")
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    assert count(app, Checkout) == 1
    add(client, shop["headers"], shop["boots"].variants["43"])
    other_body = client.post(
        "/api/v1/checkout",
        json=checkout_body(shipping_method="express"),
        headers={**shop["headers"], "Idempotency-Key": "order-1"},
    )
    assert other_body.status_code == 409
    assert other_body.get_json()["error"]["code"] == "idempotency_key_reused"
    assert count(app, Checkout) == 1


def test_a_checkout_that_fails_after_its_commit_is_answered_by_a_retry(
    app, client, shop, monkeypatch
):
    """The answer is stored in the order's own transaction: when the request dies after that
    commit (here: sending the emails), a retry with the key gets the order, not 'cart empty'."""
    add(client, shop["headers"], shop["boots"].variants["42"])

    def mail_server_down(messages):
        raise ConnectionError("mail server down")

    monkeypatch.setattr(orders, "send_emails", mail_server_down)
    assert buy(client, shop, key="order-1").status_code == 500
    monkeypatch.undo()
    retry = buy(client, shop, key="order-1")
    assert retry.status_code == 201, retry.get_json()
    [order] = retry.get_json()["orders"]
    assert order["status"] == "paid"
    assert count(app, Checkout) == 1
    assert stock(app, shop["boots"].variants["42"]) == (2, 0)


def test_a_declined_card_holds_nothing_and_keeps_the_cart(app, client, shop):
    add(client, shop["headers"], shop["boots"].variants["42"], 2)
    response = buy(client, shop, CARD_DECLINED)
    assert response.status_code == 402
    assert response.get_json()["error"]["code"] == "payment_declined"
    assert stock(app, shop["boots"].variants["42"]) == (3, 0)
    assert count(app, Order) == 0 and count(app, Checkout) == 0
    assert len(client.get("/api/v1/cart", headers=shop["headers"]).get_json()["items"]) == 1
    assert trial(app) == {
        "balanced": True,
        "total_debits_cents": 0,
        "total_credits_cents": 0,
        "unbalanced_transactions": 0,
    }


def test_out_of_stock_names_the_sizes_and_keeps_the_cart(app, client, shop):
    add(client, shop["headers"], shop["boots"].variants["43"])
    add(client, shop["headers"], shop["slides"].variants["40"])
    rival = make_person(app)
    rival_headers = token_for(client, rival.email)
    add(client, rival_headers, shop["boots"].variants["43"])
    assert (
        client.post("/api/v1/checkout", json=checkout_body(), headers=rival_headers).status_code
        == 201
    )
    response = buy(client, shop)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "out_of_stock"
    assert "Trail Boot" in error["message"] and "EU 43" in error["message"]
    assert error["variants"] == [
        {
            "variant_id": shop["boots"].variants["43"],
            "sku": shop["boots"].skus["43"],
            "size_eu": "43",
            "requested": 1,
            "available": 0,
        }
    ]
    assert stock(app, shop["slides"].variants["40"]) == (5, 0)  # the other line held nothing
    assert len(client.get("/api/v1/cart", headers=shop["headers"]).get_json()["items"]) == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (checkout_body(card="1234"), "payment.card_number"),
        (checkout_body(card="4242 4242 4242 4241"), "payment.card_number"),
        (
            {"shipping_address": {**ADDRESS, "city": ""}, "payment": {"card_number": CARD_OK}},
            "shipping_address.city",
        ),
        ({"payment": {"card_number": CARD_OK}}, "shipping_address"),
        (checkout_body(shipping_method="drone"), "shipping_method"),
    ],
)
def test_bad_checkout_input_is_422_and_changes_nothing(app, client, shop, body, field):
    add(client, shop["headers"], shop["boots"].variants["42"])
    response = client.post("/api/v1/checkout", json=body, headers=shop["headers"])
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert count(app, Order) == 0 and stock(app, shop["boots"].variants["42"]) == (3, 0)


def test_checkout_of_an_empty_cart_is_refused(client, shop):
    response = buy(client, shop)
    assert response.status_code == 422 and "empty" in response.get_json()["error"]["message"]


def signed_event(app, event: dict, at: int | None = None) -> tuple[bytes, dict]:
    body = json.dumps(event).encode()
    with app.app_context():
        header = payments.sign(body, app.config["WEBHOOK_SECRET"], at)
    return body, {"X-Signature": header, "Content-Type": "application/json"}


def test_json_nested_deeper_than_the_parser_goes_is_refused_and_changes_nothing(app, client, shop):
    add(client, shop["headers"], shop["boots"].variants["42"], 1)
    deep = b"[" * 5000 + b"]" * 5000
    headers = {**shop["headers"], "Idempotency-Key": "deep-1", "Content-Type": "application/json"}
    refused = client.post("/api/v1/checkout", data=deep, headers=headers)
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "bad_request"
    with app.app_context():
        signature = payments.sign(deep, app.config["WEBHOOK_SECRET"])
    event = client.post(
        "/api/v1/payments/webhook",
        data=deep,
        headers={"X-Signature": signature, "Content-Type": "application/json"},
    )
    assert event.status_code == 422
    assert count(app, Order) == 0
    cart = client.get("/api/v1/cart", headers=shop["headers"]).get_json()
    assert [item["quantity"] for item in cart["items"]] == [1]


def pending_checkout(app, client, shop):
    add(client, shop["headers"], shop["boots"].variants["42"], 2)
    response = buy(client, shop, CARD_NEEDS_BANK)
    assert response.status_code == 201
    body = response.get_json()
    assert [o["status"] for o in body["orders"]] == ["pending_payment"]
    with app.app_context():
        reference = db.session.query(Payment).one().provider_ref
    return body, reference


def test_a_bank_approval_arrives_by_webhook_and_a_replay_changes_nothing(app, client, shop, outbox):
    body, reference = pending_checkout(app, client, shop)
    order_id = body["orders"][0]["id"]
    assert stock(app, shop["boots"].variants["42"]) == (3, 2)
    raw, headers = signed_event(
        app, {"id": "evt_1", "type": "payment.succeeded", "data": {"payment_ref": reference}}
    )
    first = client.post("/api/v1/payments/webhook", data=raw, headers=headers)
    assert first.status_code == 200 and first.get_json()["duplicate"] is False
    order = client.get(f"/api/v1/orders/{order_id}", headers=shop["headers"]).get_json()
    assert order["status"] == "paid"
    assert stock(app, shop["boots"].variants["42"]) == (1, 0)
    pending = balances(app, company_id=shop["north"].company_id)["pending_cents"]
    replay = client.post("/api/v1/payments/webhook", data=raw, headers=headers)
    assert replay.status_code == 200 and replay.get_json()["duplicate"] is True
    assert stock(app, shop["boots"].variants["42"]) == (1, 0)
    assert balances(app, company_id=shop["north"].company_id)["pending_cents"] == pending
    assert sum(1 for m in outbox if m["subject"] == f"Order #{order_id} confirmed") == 1
    assert trial(app)["balanced"]


@pytest.mark.parametrize("tamper", ["body", "secret", "old", "future", "missing"])
def test_badly_signed_webhooks_change_nothing(app, client, shop, tamper):
    body, reference = pending_checkout(app, client, shop)
    event = {"id": "evt_x", "type": "payment.succeeded", "data": {"payment_ref": reference}}
    raw, headers = signed_event(app, event)
    now = int(clock.now().timestamp())
    if tamper == "body":
        raw = raw.replace(b"evt_x", b"evt_y")
    elif tamper == "secret":
        headers["X-Signature"] = payments.sign(raw, "not-the-secret", now)
    elif tamper == "old":
        raw, headers = signed_event(app, event, at=now - 301)
    elif tamper == "future":
        raw, headers = signed_event(app, event, at=now + 301)
    else:
        headers.pop("X-Signature")
    response = client.post("/api/v1/payments/webhook", data=raw, headers=headers)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_signature"
    order = client.get(
        f"/api/v1/orders/{body['orders'][0]['id']}", headers=shop["headers"]
    ).get_json()
    assert order["status"] == "pending_payment"


def test_a_refused_payment_cancels_the_waiting_orders(app, client, shop):
    body, reference = pending_checkout(app, client, shop)
    raw, headers = signed_event(
        app, {"id": "evt_no", "type": "payment.failed", "data": {"payment_ref": reference}}
    )
    assert client.post("/api/v1/payments/webhook", data=raw, headers=headers).status_code == 200
    order = client.get(
        f"/api/v1/orders/{body['orders'][0]['id']}", headers=shop["headers"]
    ).get_json()
    assert order["status"] == "cancelled"
    assert stock(app, shop["boots"].variants["42"]) == (3, 0)


def test_an_unpaid_order_expires_and_its_pairs_return(app, client, shop):
    body, _ = pending_checkout(app, client, shop)
    runner = app.test_cli_runner()
    soon = (clock.now() + timedelta(minutes=29)).isoformat()
    assert "expire unpaid orders: 0" in runner.invoke(args=["jobs", "run", "--at", soon]).output
    later = (clock.now() + timedelta(minutes=31)).isoformat()
    result = runner.invoke(args=["jobs", "run", "--at", later])
    assert "expire unpaid orders: 1" in result.output, result.output
    order = client.get(
        f"/api/v1/orders/{body['orders'][0]['id']}", headers=shop["headers"]
    ).get_json()
    assert order["status"] == "expired"
    assert [step["status"] for step in order["history"]] == ["pending_payment", "expired"]
    assert stock(app, shop["boots"].variants["42"]) == (3, 0)
    assert "expire unpaid orders: 0" in runner.invoke(args=["jobs", "run", "--at", later]).output


def paid_order(client, shop, quantity=1) -> int:
    add(client, shop["headers"], shop["boots"].variants["42"], quantity)
    return buy(client, shop).get_json()["orders"][0]["id"]


def act(client, order_id, action, headers, **body):
    return client.post(f"/api/v1/orders/{order_id}/{action}", json=body, headers=headers)


def test_a_buyer_cancels_a_paid_order_and_everything_goes_back(app, client, shop, outbox):
    order_id = paid_order(client, shop, 2)
    response = act(client, order_id, "cancel", shop["headers"], reason="Ordered the wrong size")
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    assert stock(app, shop["boots"].variants["42"]) == (3, 0)
    assert balances(app, company_id=shop["north"].company_id) == {
        "pending_cents": 0,
        "available_cents": 0,
    }
    with app.app_context():
        refunds = db.session.query(Payment).filter_by(kind="refund").all()
        assert [(r.amount_cents, r.order_id) for r in refunds] == [(25998, order_id)]
        assert ledger.balance(ledger.CLEARING) == 0 and ledger.balance(ledger.FEES) == 0
    assert trial(app)["balanced"]
    assert any(m["subject"] == f"Order #{order_id} cancelled" for m in outbox)


def test_shipping_delivery_return_and_refund(app, client, shop, outbox):
    order_id = paid_order(client, shop)
    assert (
        act(
            client, order_id, "ship", shop["north_headers"], carrier="", tracking_number=""
        ).status_code
        == 422
    )
    shipped = act(
        client, order_id, "ship", shop["north_headers"], carrier="UPS", tracking_number="1Z999"
    )
    assert shipped.get_json()["status"] == "shipped"
    assert any("UPS" in m["body"] and "1Z999" in m["body"] for m in outbox)
    assert act(client, order_id, "cancel", shop["headers"]).status_code == 409  # too late to cancel
    assert (
        act(client, order_id, "deliver", shop["headers"]).status_code == 403
    )  # buyers don't deliver
    assert (
        act(client, order_id, "deliver", shop["north_headers"]).get_json()["status"] == "delivered"
    )
    returned = act(client, order_id, "return", shop["headers"], reason="Too tight")
    assert returned.get_json()["status"] == "return_requested"
    refunded = act(client, order_id, "refund", shop["north_headers"])
    assert refunded.get_json()["status"] == "refunded"
    assert [s["status"] for s in refunded.get_json()["history"]] == [
        "pending_payment",
        "paid",
        "shipped",
        "delivered",
        "return_requested",
        "refunded",
    ]
    assert stock(app, shop["boots"].variants["42"]) == (3, 0)
    assert balances(app, company_id=shop["north"].company_id) == {
        "pending_cents": 0,
        "available_cents": 0,
    }
    assert trial(app)["balanced"]
    assert any(m["subject"] == f"Order #{order_id} refunded" for m in outbox)


def deliver(client, shop, order_id):
    act(client, order_id, "ship", shop["north_headers"], carrier="DHL", tracking_number="JD1")
    act(client, order_id, "deliver", shop["north_headers"])


def test_returns_close_after_the_window(app, client, shop):
    order_id = paid_order(client, shop)
    deliver(client, shop, order_id)
    clock.set_now(clock.now() + timedelta(days=7, minutes=1))
    response = act(client, order_id, "return", shop["headers"], reason="Changed my mind")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] in ("return_window_closed", "illegal_transition")


def test_balances_become_available_when_the_window_closes(app, client, shop):
    order_id = paid_order(client, shop)
    deliver(client, shop, order_id)
    runner = app.test_cli_runner()
    at = (clock.now() + timedelta(days=6)).isoformat()
    assert (
        "complete orders past their return window: 0"
        in runner.invoke(args=["jobs", "run", "--at", at]).output
    )
    assert balances(app, company_id=shop["north"].company_id) == {
        "pending_cents": 12349,
        "available_cents": 0,
    }
    at = (clock.now() + timedelta(days=7, hours=1)).isoformat()
    assert (
        "complete orders past their return window: 1"
        in runner.invoke(args=["jobs", "run", "--at", at]).output
    )
    assert balances(app, company_id=shop["north"].company_id) == {
        "pending_cents": 0,
        "available_cents": 12349,
    }
    assert (
        "complete orders past their return window: 0"
        in runner.invoke(args=["jobs", "run", "--at", at]).output
    )
    assert balances(app, company_id=shop["north"].company_id)["available_cents"] == 12349
    me = client.get("/api/v1/me/balance", headers=shop["north_headers"]).get_json()
    assert me == {"pending_cents": 0, "available_cents": 12349, "requested_cents": 0}
    order = client.get(f"/api/v1/orders/{order_id}", headers=shop["headers"]).get_json()
    assert order["status"] == "completed"
    assert trial(app)["balanced"]


def test_the_buyer_confirms_receipt_and_the_order_completes_at_once(app, client, shop):
    order_id = paid_order(client, shop)
    deliver(client, shop, order_id)
    assert act(client, order_id, "confirm", shop["headers"]).get_json()["status"] == "completed"
    assert balances(app, company_id=shop["north"].company_id)["available_cents"] == 12349


def test_the_buyer_may_confirm_a_shipped_order_before_anyone_says_it_was_delivered(
    app, client, shop
):
    order_id = paid_order(client, shop)
    early = act(client, order_id, "confirm", shop["headers"])
    assert early.status_code == 409  # paid, not shipped: nothing to have received
    act(client, order_id, "ship", shop["north_headers"], carrier="DHL", tracking_number="JD1")
    confirmed = act(client, order_id, "confirm", shop["headers"])
    assert confirmed.status_code == 200 and confirmed.get_json()["status"] == "completed"
    history = [step["status"] for step in confirmed.get_json()["history"]]
    assert history[-3:] == ["shipped", "delivered", "completed"]
    assert balances(app, company_id=shop["north"].company_id)["available_cents"] == 12349


def test_a_retail_order_is_returned_not_disputed(app, client, shop):
    order_id = paid_order(client, shop)
    deliver(client, shop, order_id)
    disputed = act(client, order_id, "dispute", shop["headers"], reason="Wrong colour")
    assert disputed.status_code == 409
    assert disputed.get_json()["error"]["code"] == "not_disputable"
    order = client.get(f"/api/v1/orders/{order_id}", headers=shop["headers"]).get_json()
    assert order["status"] == "delivered"


def test_reviews_need_delivery_and_count_once(app, client, shop):
    order_id = paid_order(client, shop)
    early = client.post(
        f"/api/v1/orders/{order_id}/review", json={"stars": 5}, headers=shop["headers"]
    )
    assert early.status_code == 409
    deliver(client, shop, order_id)
    bad = client.post(
        f"/api/v1/orders/{order_id}/review", json={"stars": 6}, headers=shop["headers"]
    )
    assert bad.status_code == 422
    review = client.post(
        f"/api/v1/orders/{order_id}/review",
        json={"stars": 4, "comment": "Comfy"},
        headers=shop["headers"],
    )
    assert review.status_code == 201 and review.get_json()["stars"] == 4
    again = client.post(
        f"/api/v1/orders/{order_id}/review", json={"stars": 1}, headers=shop["headers"]
    )
    assert again.status_code == 409
    seller = client.post(
        f"/api/v1/orders/{order_id}/review", json={"stars": 1}, headers=shop["north_headers"]
    )
    assert seller.status_code == 403
    second = paid_order(client, shop)
    deliver(client, shop, second)
    client.post(f"/api/v1/orders/{second}/review", json={"stars": 5}, headers=shop["headers"])
    page = client.get(f"/listings/{shop['boots'].id}").get_data(as_text=True)
    assert "4.5" in page and "2 reviews" in page


def test_orders_are_private_to_their_parties(app, client, shop):
    order_id = paid_order(client, shop)
    stranger = token_for(client, make_person(app).email)
    assert client.get(f"/api/v1/orders/{order_id}", headers=stranger).status_code == 404
    assert act(client, order_id, "cancel", stranger).status_code == 404
    assert (
        client.get(f"/api/v1/orders/{order_id}", headers=shop["south_headers"]).status_code == 404
    )
    assert (
        client.get(f"/api/v1/orders/{order_id}", headers=shop["north_headers"]).status_code == 200
    )
    to_fulfil = client.get("/api/v1/orders?role=seller", headers=shop["north_headers"]).get_json()
    assert [o["id"] for o in to_fulfil["items"]] == [order_id]
    assert (
        client.get("/api/v1/orders?role=seller", headers=shop["south_headers"]).get_json()["total"]
        == 0
    )
    mine = client.get("/api/v1/orders", headers=shop["headers"]).get_json()
    assert [o["id"] for o in mine["items"]] == [order_id]
    assert client.get("/api/v1/orders/424242", headers=shop["headers"]).status_code == 404


def test_illegal_transitions_are_409(app, client, shop):
    order_id = paid_order(client, shop)
    act(client, order_id, "cancel", shop["headers"])
    for action, headers in (
        ("ship", shop["north_headers"]),
        ("deliver", shop["north_headers"]),
        ("refund", shop["north_headers"]),
        ("cancel", shop["headers"]),
    ):
        response = act(client, order_id, action, headers, carrier="UPS", tracking_number="1")
        assert response.status_code == 409, action
        assert response.get_json()["error"]["code"] == "illegal_transition"


def test_a_carrier_webhook_marks_delivery(app, client, shop):
    order_id = paid_order(client, shop)
    act(client, order_id, "ship", shop["north_headers"], carrier="UPS", tracking_number="1ZTRACK")
    raw, headers = signed_event(
        app,
        {
            "id": "evt_d",
            "type": "shipment.delivered",
            "data": {"order_id": order_id, "tracking_number": "1ZTRACK"},
        },
    )
    assert client.post("/api/v1/payments/webhook", data=raw, headers=headers).status_code == 200
    assert (
        client.get(f"/api/v1/orders/{order_id}", headers=shop["headers"]).get_json()["status"]
        == "delivered"
    )


def test_admin_trial_balance(app, client, shop):
    paid_order(client, shop)
    admin = token_for(client, make_admin(app).email)
    body = client.get("/api/v1/admin/ledger/trial-balance", headers=admin).get_json()
    assert (
        body["balanced"] is True
        and body["total_debits_cents"] == body["total_credits_cents"] == 12999
    )
    assert (
        client.get("/api/v1/admin/ledger/trial-balance", headers=shop["headers"]).status_code == 403
    )


def test_the_cart_refuses_what_cannot_be_bought(app, client, shop):
    own = client.post(
        "/api/v1/cart/items",
        json={"variant_id": shop["boots"].variants["42"]},
        headers=shop["north_headers"],
    )
    assert own.status_code == 409
    missing = client.post(
        "/api/v1/cart/items", json={"variant_id": 999999}, headers=shop["headers"]
    )
    assert missing.status_code == 404
    too_many = client.post(
        "/api/v1/cart/items",
        json={"variant_id": shop["boots"].variants["42"], "quantity": 21},
        headers=shop["headers"],
    )
    assert too_many.status_code == 422
    cart = add(client, shop["headers"], shop["boots"].variants["42"], 2)
    item_id = cart["items"][0]["id"]
    changed = client.patch(
        f"/api/v1/cart/items/{item_id}", json={"quantity": 1}, headers=shop["headers"]
    ).get_json()
    assert changed["subtotal_cents"] == 12999
    stranger = token_for(client, make_person(app).email)
    assert client.delete(f"/api/v1/cart/items/{item_id}", headers=stranger).status_code == 404
    emptied = client.delete(f"/api/v1/cart/items/{item_id}", headers=shop["headers"]).get_json()
    assert emptied == {"items": [], "subtotal_cents": 0}
