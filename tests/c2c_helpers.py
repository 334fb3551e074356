"""Builders and readers for C2C (used pairs) tests: listing a pair with photos through the
API, buying it into escrow, running the jobs at a moment, and reading stock and money."""

from __future__ import annotations

import io
import re
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.services import ledger
from models import Listing, Offer, Order, OrderLine, Payment, Variant
from tests.helpers import image_bytes

CARD_OK = "4242 4242 4242 4242"
CARD_DECLINED = "4000 0000 0000 0002"
ADDRESS = {
    "name": "Sam Buyer",
    "line1": "1 Main St",
    "city": "Springfield",
    "postal_code": "12345",
    "country": "US",
}
PAIR_FACTS = {
    "title": "Aero Glide 3, worn twice",
    "brand": "Aero",
    "model": "Glide 3",
    "colorway": "Black/White",
    "category": "running",
    "size_eu": "42.5",
    "gender": "men",
    "condition": "like_new",
    "description": "Worn twice indoors, box included.",
}


def c2c_fee(cents: int, percent: str = "8") -> int:
    """The C2C fee as the design states it: a percentage rounded half-up to the cent."""
    return int((Decimal(cents) * Decimal(percent) / 100).quantize(Decimal(1), ROUND_HALF_UP))


def photo_files(*images: bytes, name: str = "photo.jpg") -> list[tuple[io.BytesIO, str]]:
    return [(io.BytesIO(data), f"{index}-{name}") for index, data in enumerate(images)]


def list_pair(client, headers, *, price_cents=10000, photos=None, **facts):
    """POST /api/v1/c2c/listings as multipart; the response (one JPEG unless told)."""
    photos = photo_files(image_bytes("JPEG")) if photos is None else photos
    data = {**PAIR_FACTS, "price_cents": str(price_cents), **facts}
    data = {key: value for key, value in data.items() if value is not None}
    data["photos"] = photos
    return client.post(
        "/api/v1/c2c/listings", data=data, headers=headers, content_type="multipart/form-data"
    )


def new_pair(client, headers, price_cents=10000, **facts) -> dict:
    """A used pair on sale; its JSON."""
    response = list_pair(client, headers, price_cents=price_cents, **facts)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def buy_body(card: str = CARD_OK, offer_id: int | None = None) -> dict:
    body = {"shipping_address": ADDRESS, "payment": {"card_number": card}}
    if offer_id is not None:
        body["offer_id"] = offer_id
    return body


def buy_pair(client, headers, listing_id: int, offer_id=None, card=CARD_OK, key=None):
    if key:
        headers = {**headers, "Idempotency-Key": key}
    return client.post(
        f"/api/v1/c2c/listings/{listing_id}/buy", json=buy_body(card, offer_id), headers=headers
    )


def bought(client, headers, listing_id: int, offer_id=None) -> dict:
    """Buy a used pair; the order's JSON."""
    response = buy_pair(client, headers, listing_id, offer_id)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def act(client, order_id: int, action: str, headers, **body):
    return client.post(f"/api/v1/orders/{order_id}/{action}", json=body, headers=headers)


def ship_and_deliver(client, order_id: int, seller_headers) -> None:
    shipped = act(
        client, order_id, "ship", seller_headers, carrier="UPS", tracking_number="1Z999AA1"
    )
    assert shipped.status_code == 200, shipped.get_json()
    delivered = act(client, order_id, "deliver", seller_headers)
    assert delivered.status_code == 200, delivered.get_json()


def offer(client, headers, listing_id: int, amount_cents: int):
    return client.post(
        f"/api/v1/c2c/listings/{listing_id}/offers",
        json={"amount_cents": amount_cents},
        headers=headers,
    )


def answer(client, headers, offer_id: int, action: str, amount_cents: int | None = None):
    body = {} if amount_cents is None else {"amount_cents": amount_cents}
    return client.post(f"/api/v1/c2c/offers/{offer_id}/{action}", json=body, headers=headers)


def run_jobs(app, at: datetime) -> dict[str, int]:
    """`flask jobs run --at <at>`: what each job did."""
    result = app.test_cli_runner().invoke(args=["jobs", "run", "--at", at.isoformat()])
    assert result.exit_code == 0, result.output
    return {name: int(count) for name, count in re.findall(r"^(.+): (\d+)$", result.output, re.M)}


def pair_stock(app, listing_id: int) -> tuple[int, int]:
    """(stock, reserved) of a used pair's one variant."""
    with app.app_context():
        variant = db.session.scalar(select(Variant).where(Variant.listing_id == listing_id))
        return variant.stock, variant.reserved


def listing_status(app, listing_id: int) -> str:
    with app.app_context():
        return db.session.get(Listing, listing_id).status


def order_status(app, order_id: int) -> str:
    with app.app_context():
        return db.session.get(Order, order_id).status


def offer_status(app, offer_id: int) -> str:
    with app.app_context():
        return db.session.get(Offer, offer_id).status


def escrow_held(app) -> int:
    """What escrow holds, as a positive number (its balance is a credit)."""
    with app.app_context():
        return -ledger.balance(ledger.ESCROW)


def person_balance(app, account_id: int) -> dict[str, int]:
    with app.app_context():
        return ledger.owner_balances(account_id=account_id)


def balanced(app) -> bool:
    with app.app_context():
        return ledger.trial_balance()["balanced"]


def payments_of(app, order_id: int) -> list[tuple[str, int, str]]:
    """(kind, amount, status) of the payments touching an order's checkout."""
    with app.app_context():
        order = db.session.get(Order, order_id)
        rows = db.session.scalars(
            select(Payment)
            .where((Payment.order_id == order_id) | (Payment.checkout_id == order.checkout_id))
            .order_by(Payment.id)
        ).all()
        return [(p.kind, p.amount_cents, p.status) for p in rows]


def line_of(app, order_id: int) -> int:
    """The id of an order's (first) line, which a buyer resells by."""
    with app.app_context():
        return db.session.scalar(
            select(OrderLine.id).where(OrderLine.order_id == order_id).order_by(OrderLine.id)
        )
