"""Builders and readers for B2M tests: a seller opening listings to managers, managers
applying (with referral codes) and being approved, buying through a shop, moving orders
along, running the jobs at a moment, and reading commissions and ledger balances."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace

from marketplace import clock
from marketplace.services import ledger
from tests.helpers import make_person, token_for, unique

CARD_OK = "4242 4242 4242 4242"
ADDRESS = {
    "name": "Sam Buyer",
    "line1": "1 Main St",
    "city": "Springfield",
    "postal_code": "12345",
    "country": "US",
}


def half_up(cents: int, percent: str | int) -> int:
    """`percent` % of `cents`, rounded half-up to the cent, as DESIGN.md states every share."""
    share = Decimal(cents) * Decimal(str(percent)) / 100
    return int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def b2m_terms(base: int, low: int, high: int, suggested: int | None = None) -> dict:
    return {
        "enabled": True,
        "base_price_cents": base,
        "min_retail_cents": low,
        "max_retail_cents": high,
        "suggested_retail_cents": suggested if suggested is not None else low,
    }


def open_listing(
    client,
    seller_headers,
    *,
    base: int,
    low: int,
    high: int,
    suggested: int | None = None,
    sizes: dict[str, int] | None = None,
    title: str = "Trail Runner",
    retail_cents: int = 15000,
    b2c: bool = True,
) -> SimpleNamespace:
    """POST /api/v1/listings with B2M terms; the listing id and its variant ids by size."""
    sizes = sizes or {"42": 10}
    body = {
        "title": title,
        "brand": "Acme",
        "model": unique("Model "),
        "colorway": "Black",
        "category": "running",
        "gender": "men",
        "description": "Drop-shipped by the brand.",
        "variants": [
            {
                "size_eu": size,
                "sku": unique(f"B2M-{size}-"),
                "stock": stock,
                "price_cents": retail_cents,
            }
            for size, stock in sizes.items()
        ],
        "b2c": {"enabled": b2c},
        "b2m": b2m_terms(base, low, high, suggested),
    }
    response = client.post("/api/v1/listings", json=body, headers=seller_headers)
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    return SimpleNamespace(
        id=data["id"], variants={v["size_eu"]: v["id"] for v in data["variants"]}, title=title
    )


def set_range(client, seller_headers, listing_id: int, low: int, high: int, suggested=None):
    """The seller changes the allowed retail range (PATCH /api/v1/listings/<id>)."""
    terms = {"min_retail_cents": low, "max_retail_cents": high}
    terms["suggested_retail_cents"] = suggested if suggested is not None else low
    response = client.patch(
        f"/api/v1/listings/{listing_id}", json={"b2m": terms}, headers=seller_headers
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def apply(client, headers, shop_name: str = "Sneaker Picks", referral_code: str | None = None):
    body = {"shop_name": shop_name}
    if referral_code is not None:
        body["referral_code"] = referral_code
    return client.post("/api/v1/b2m/apply", json=body, headers=headers)


def approve(client, admin_headers, account_id: int) -> dict:
    response = client.post(f"/api/v1/admin/managers/{account_id}/approve", headers=admin_headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def make_manager(
    app,
    client,
    admin_headers,
    name: str = "Maya Manager",
    upline: SimpleNamespace | None = None,
    shop_name: str | None = None,
) -> SimpleNamespace:
    """A person who applied (under `upline`'s referral code) and was approved."""
    person = make_person(app, name=name)
    headers = token_for(client, person.email)
    applied = apply(
        client, headers, shop_name or f"{name}'s Picks", upline.code if upline else None
    )
    assert applied.status_code == 201, applied.get_json()
    opened = approve(client, admin_headers, person.id)
    return SimpleNamespace(
        id=person.id,
        email=person.email,
        name=name,
        headers=headers,
        slug=opened["shop_slug"],
        code=opened["referral_code"],
    )


def make_network(app, client, admin_headers, names: list[str]) -> list[SimpleNamespace]:
    """Managers each recruited by the one before: names[0] at the top."""
    found: list[SimpleNamespace] = []
    for name in names:
        found.append(make_manager(app, client, admin_headers, name, found[-1] if found else None))
    return found


def add_to_shop(client, manager_headers, listing_id: int, price: int):
    return client.post(
        "/api/v1/b2m/shop/items",
        json={"listing_id": listing_id, "retail_price_cents": price},
        headers=manager_headers,
    )


def shop_item(client, manager_headers, listing_id: int, price: int) -> dict:
    response = add_to_shop(client, manager_headers, listing_id, price)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def add_to_cart(client, headers, variant_id: int, quantity: int = 1, shop_slug=None):
    body = {"variant_id": variant_id, "quantity": quantity}
    if shop_slug is not None:
        body["shop_slug"] = shop_slug
    return client.post("/api/v1/cart/items", json=body, headers=headers)


def checkout(client, headers, shipping_method: str = "standard", key: str | None = None):
    body = {
        "shipping_address": ADDRESS,
        "payment": {"card_number": CARD_OK},
        "shipping_method": shipping_method,
    }
    if key:
        headers = {**headers, "Idempotency-Key": key}
    return client.post("/api/v1/checkout", json=body, headers=headers)


def buy_from_shop(
    client, headers, slug: str, lines: list[tuple[int, int]], shipping_method: str = "standard"
) -> dict:
    """Add (variant, quantity) lines from a shop to the cart and check out; the one order."""
    for variant_id, quantity in lines:
        added = add_to_cart(client, headers, variant_id, quantity, slug)
        assert added.status_code == 201, added.get_json()
    response = checkout(client, headers, shipping_method)
    assert response.status_code == 201, response.get_json()
    placed = response.get_json()
    assert len(placed["orders"]) == 1, placed
    return placed["orders"][0]


def act(client, order_id: int, action: str, headers, **body):
    return client.post(f"/api/v1/orders/{order_id}/{action}", json=body, headers=headers)


def ship(client, order_id: int, seller_headers) -> None:
    response = act(client, order_id, "ship", seller_headers, carrier="UPS", tracking_number="1Z9")
    assert response.status_code == 200, response.get_json()


def deliver(client, order_id: int, seller_headers) -> None:
    response = act(client, order_id, "deliver", seller_headers)
    assert response.status_code == 200, response.get_json()


def run_jobs(app, at: datetime) -> dict[str, int]:
    """`flask jobs run --at <at>`; what each job did. The test clock stays at `at` after."""
    result = app.test_cli_runner().invoke(args=["jobs", "run", "--at", at.isoformat()])
    assert result.exit_code == 0, result.output
    clock.set_now(at)  # the command lets the clock run again when it ends
    return {name: int(count) for name, count in re.findall(r"^(.+): (\d+)$", result.output, re.M)}


def commissions(client, headers) -> list[dict]:
    response = client.get("/api/v1/b2m/commissions", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def earned(client, headers, order_id: int | None = None) -> list[tuple[str, int, int, str]]:
    """(kind, level, amount_cents, status) of a manager's commissions, optionally of one order."""
    return sorted(
        (c["kind"], c["level"], c["amount_cents"], c["status"])
        for c in commissions(client, headers)
        if order_id is None or c["order_id"] == order_id
    )


def me_balance(client, headers) -> dict:
    """GET /me/balance without `requested_cents` (the payout tests read it themselves)."""
    response = client.get("/api/v1/me/balance", headers=headers)
    assert response.status_code == 200, response.get_json()
    return {key: response.get_json()[key] for key in ("pending_cents", "available_cents")}


def owed(app, code: str) -> int:
    with app.app_context():
        return ledger.owed(code)


def manager_code(state: str, account_id: int) -> str:
    return ledger.owner_code(f"manager_{state}", account_id=account_id)


def trial(app) -> dict:
    with app.app_context():
        return ledger.trial_balance()


def all_balances(app) -> dict[str, int]:
    """Every ledger account's signed balance, by code (accounts never touched are absent)."""
    with app.app_context():
        return {row["code"]: row["balance_cents"] for row in ledger.account_balances()}
