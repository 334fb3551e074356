"""B2M through the API (API.md: B2M, admin managers and payouts): becoming a manager, shop
prices inside the seller's range, the money of an order through a shop to the cent,
overrides capped in depth, commissions frozen until the return window closes, payouts,
and managers kept apart from each other's shops, commissions and networks."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from marketplace import clock
from marketplace.extensions import db
from marketplace.services import ledger, payments
from models import Checkout, Order, Payment, Payout, Variant
from tests.b2m_helpers import (
    ADDRESS,
    act,
    add_to_cart,
    add_to_shop,
    all_balances,
    apply,
    approve,
    buy_from_shop,
    checkout,
    commissions,
    deliver,
    earned,
    half_up,
    make_manager,
    make_network,
    manager_code,
    me_balance,
    open_listing,
    owed,
    run_jobs,
    set_range,
    ship,
    shop_item,
    trial,
)
from tests.helpers import (
    PASSWORD,
    count,
    make_admin,
    make_company_member,
    make_person,
    token_for,
)

T0 = datetime(2026, 5, 4, 9, 0)
WINDOW = timedelta(days=7)
NOTHING = {"pending_cents": 0, "available_cents": 0}


@pytest.fixture
def market(app, client):
    """An admin, a verified seller with a token, and a buyer with a token."""
    clock.set_now(T0)
    admin = make_admin(app)
    seller = make_company_member(app, "Stride Co")
    buyer = make_person(app, name="Bea Buyer")
    return {
        "admin": admin,
        "admin_headers": token_for(client, admin.email),
        "seller": seller,
        "seller_headers": token_for(client, seller.email),
        "buyer": buyer,
        "buyer_headers": token_for(client, buyer.email),
    }


def error_of(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.get_json())
    return response.get_json()["error"]


def stock(app, variant_id: int) -> tuple[int, int]:
    with app.app_context():
        variant = db.session.get(Variant, variant_id)
        return variant.stock, variant.reserved


def shop_items(client, headers) -> list[dict]:
    response = client.get("/api/v1/b2m/shop/items", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def public_listing_ids(client, slug: str) -> list[int]:
    response = client.get(f"/api/v1/b2m/shops/{slug}")
    assert response.status_code == 200, response.get_json()
    return [item["listing_id"] for item in response.get_json()["items"]]


def network_of(client, headers) -> dict:
    response = client.get("/api/v1/b2m/network", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


# Becoming a manager


def test_applying_is_free_and_approval_opens_a_shop_with_a_referral_code(app, client, market):
    person = make_person(app, name="Maya Manager")
    headers = token_for(client, person.email)
    before = me_balance(client, headers)

    applied = apply(client, headers, "Maya's Sneaker Picks")
    assert applied.status_code == 201, applied.get_json()
    assert applied.get_json()["status"] == "pending"
    me = client.get("/api/v1/me", headers=headers).get_json()
    assert me["manager"] == {"status": "pending", "shop_slug": None, "referral_code": None}
    # a pending applicant has no shop yet
    assert error_of(client.get("/api/v1/b2m/shop/items", headers=headers), 403)

    opened = approve(client, market["admin_headers"], person.id)
    assert opened["shop_slug"] == "maya-s-sneaker-picks"
    assert len(opened["referral_code"]) >= 6
    me = client.get("/api/v1/me", headers=headers).get_json()
    assert me["manager"] == {
        "status": "approved",
        "shop_slug": opened["shop_slug"],
        "referral_code": opened["referral_code"],
    }
    assert shop_items(client, headers) == []
    # joining charged nobody anything: no ledger posting at all
    assert me_balance(client, headers) == before == NOTHING
    assert all_balances(app) == {}
    assert trial(app)["total_debits_cents"] == 0


def test_shops_of_the_same_name_get_their_own_slug_and_code(app, client, market):
    first = make_manager(app, client, market["admin_headers"], "Maya", shop_name="Sole Mates")
    second = make_manager(app, client, market["admin_headers"], "Mia", shop_name="Sole Mates")

    assert (first.slug, second.slug) == ("sole-mates", "sole-mates-2")
    assert first.code != second.code
    again = client.post(
        f"/api/v1/admin/managers/{first.id}/approve", headers=market["admin_headers"]
    )
    assert again.get_json()["shop_slug"] == "sole-mates"  # approving twice changes nothing
    assert again.get_json()["referral_code"] == first.code
    unknown = client.post("/api/v1/admin/managers/999999/approve", headers=market["admin_headers"])
    assert error_of(unknown, 404)
    person = make_person(app)
    assert error_of(
        client.post(
            f"/api/v1/admin/managers/{person.id}/approve",
            headers=token_for(client, person.email),
        ),
        403,
    )


def test_applying_twice_as_a_business_or_with_an_unknown_code_is_refused(app, client, market):
    headers = token_for(client, make_person(app).email)
    assert apply(client, headers, "First Shop").status_code == 201
    assert error_of(apply(client, headers, "Second Shop"), 409)["code"] == "already_applied"

    assert error_of(apply(client, market["seller_headers"], "Brand Shop"), 403)
    newcomer = token_for(client, make_person(app).email)
    error = error_of(apply(client, newcomer, "Invited Shop", "NOSUCHCODE"), 422)
    assert "referral_code" in error["fields"]
    assert client.get("/api/v1/me", headers=newcomer).get_json()["manager"] is None
    error = error_of(apply(client, newcomer, "ab"), 422)
    assert "shop_name" in error["fields"]


def test_a_referral_code_given_at_sign_up_places_the_later_application(app, client, market):
    upline = make_manager(app, client, market["admin_headers"], "Ana Upline")
    registered = client.post(
        "/api/v1/auth/register",
        json={
            "email": "invited@example.test",
            "password": PASSWORD,
            "name": "Ivo Invited",
            "account_type": "person",
            "referral_code": upline.code,
        },
    )
    assert registered.status_code == 201, registered.get_json()
    headers = token_for(client, "invited@example.test")
    assert apply(client, headers, "Ivo's Shoes").status_code == 201  # no code given now
    approve(client, market["admin_headers"], registered.get_json()["id"])

    network = network_of(client, upline.headers)
    assert [(m["level"], m["name"]) for m in network["items"]] == [(1, "Ivo Invited")]
    assert me_balance(client, upline.headers) == NOTHING


# Shop prices inside the seller's range


def test_a_shop_price_outside_the_sellers_range_is_refused_with_the_range(app, client, market):
    manager = make_manager(app, client, market["admin_headers"])
    boots = open_listing(
        client, market["seller_headers"], base=6000, low=8000, high=12000, suggested=9900
    )

    for price in (7999, 12001):
        error = error_of(add_to_shop(client, manager.headers, boots.id, price), 422)
        assert error["code"] == "price_out_of_range"
        assert "$80.00" in error["message"] and "$120.00" in error["message"]
    assert shop_items(client, manager.headers) == []

    item = shop_item(client, manager.headers, boots.id, 8000)  # the edges are allowed
    assert (item["retail_price_cents"], item["sellable"], item["margin_cents"]) == (
        8000,
        True,
        2000,
    )
    again = add_to_shop(client, manager.headers, boots.id, 9000)
    assert error_of(again, 409)["code"] == "already_in_shop"

    patch = client.patch(
        f"/api/v1/b2m/shop/items/{item['id']}",
        json={"retail_price_cents": 12500},
        headers=manager.headers,
    )
    error = error_of(patch, 422)
    assert error["code"] == "price_out_of_range" and "$120.00" in error["message"]
    patch = client.patch(
        f"/api/v1/b2m/shop/items/{item['id']}",
        json={"retail_price_cents": 12000},
        headers=manager.headers,
    )
    assert patch.status_code == 200 and patch.get_json()["retail_price_cents"] == 12000

    closed = open_listing(client, market["seller_headers"], base=6000, low=8000, high=12000)
    client.patch(
        f"/api/v1/listings/{closed.id}",
        json={"b2m": {"enabled": False}},
        headers=market["seller_headers"],
    )
    assert error_of(add_to_shop(client, manager.headers, closed.id, 9000), 404)


def test_a_narrowed_range_blocks_checkout_until_the_manager_fixes_the_price(app, client, market):
    manager = make_manager(app, client, market["admin_headers"])
    boots = open_listing(client, market["seller_headers"], base=6000, low=8000, high=12000)
    item = shop_item(client, manager.headers, boots.id, 11000)
    added = add_to_cart(client, market["buyer_headers"], boots.variants["42"], 2, manager.slug)
    assert added.status_code == 201
    assert [(i["unit_price_cents"], i["shop_slug"]) for i in added.get_json()["items"]] == [
        (11000, manager.slug)
    ]

    set_range(client, market["seller_headers"], boots.id, 8000, 10000)

    assert [(i["id"], i["sellable"]) for i in shop_items(client, manager.headers)] == [
        (item["id"], False)
    ]
    assert public_listing_ids(client, manager.slug) == []
    blocked = checkout(client, market["buyer_headers"])
    error = error_of(blocked, 409)
    assert "Trail Runner" in error["message"]
    assert count(app, Order) == count(app, Checkout) == count(app, Payment) == 0
    assert stock(app, boots.variants["42"]) == (10, 0)
    assert trial(app)["total_debits_cents"] == 0
    assert len(client.get("/api/v1/cart", headers=market["buyer_headers"]).get_json()["items"]) == 1

    fixed = client.patch(
        f"/api/v1/b2m/shop/items/{item['id']}",
        json={"retail_price_cents": 9900},
        headers=manager.headers,
    )
    assert fixed.status_code == 200 and fixed.get_json()["sellable"] is True
    assert [i["sellable"] for i in shop_items(client, manager.headers)] == [True]
    assert public_listing_ids(client, manager.slug) == [boots.id]
    placed = checkout(client, market["buyer_headers"])
    assert placed.status_code == 201, placed.get_json()
    assert placed.get_json()["total_cents"] == 2 * 9900  # priced again at the fixed price
    assert stock(app, boots.variants["42"]) == (8, 0)


# The money of an order through a shop


@pytest.mark.parametrize(("method", "shipping"), [("standard", 0), ("express", 1500)])
def test_a_two_listing_order_through_a_level_two_shop_splits_to_the_cent(
    app, client, market, method, shipping
):
    ana, ben, cleo = make_network(
        app, client, market["admin_headers"], ["Ana Top", "Ben Middle", "Cleo Shop"]
    )
    runners = open_listing(
        client, market["seller_headers"], base=4990, low=6000, high=8000, title="Road Runner"
    )
    slides = open_listing(
        client,
        market["seller_headers"],
        base=5000,
        low=6500,
        high=9000,
        sizes={"41": 5},
        title="Pool Slide",
        b2c=False,  # sold through managers only
    )
    shop_item(client, cleo.headers, runners.id, 6999)
    shop_item(client, cleo.headers, slides.id, 7450)

    order = buy_from_shop(
        client,
        market["buyer_headers"],
        cleo.slug,
        [(runners.variants["42"], 3), (slides.variants["41"], 2)],
        method,
    )

    retail = 3 * 6999 + 2 * 7450
    base = 3 * 4990 + 2 * 5000
    fee = half_up(base, 5)
    ben_override, ana_override = half_up(fee, 20), half_up(fee, 10)
    # 5 % of 249.70 = 12.485 -> 12.49; 20 % of 12.49 = 2.498 -> 2.50; 10 % = 1.249 -> 1.25
    assert (retail, base, fee, ben_override, ana_override) == (35897, 24970, 1249, 250, 125)
    assert order["total_cents"] == retail + shipping
    detail = client.get(f"/api/v1/orders/{order['id']}", headers=market["buyer_headers"])
    detail = detail.get_json()
    assert (detail["mode"], detail["manager_id"], detail["seller_id"]) == (
        "b2m",
        cleo.id,
        market["seller"].company_id,
    )
    assert (
        detail["subtotal_cents"],
        detail["shipping_cents"],
        detail["fee_cents"],
        detail["total_cents"],
    ) == (retail, shipping, fee, retail + shipping)
    assert sorted((line["quantity"], line["unit_price_cents"]) for line in detail["lines"]) == [
        (2, 7450),
        (3, 6999),
    ]

    seller_share = base + shipping - fee
    assert me_balance(client, market["seller_headers"]) == {
        "pending_cents": seller_share,
        "available_cents": 0,
    }
    assert me_balance(client, cleo.headers)["pending_cents"] == retail - base == 10927
    assert me_balance(client, ben.headers)["pending_cents"] == ben_override
    assert me_balance(client, ana.headers)["pending_cents"] == ana_override
    assert owed(app, ledger.FEES) == fee - ben_override - ana_override == 874
    assert owed(app, manager_code("pending", cleo.id)) == 10927
    with app.app_context():
        assert ledger.balance(ledger.CLEARING) == retail + shipping
    tb = client.get("/api/v1/admin/ledger/trial-balance", headers=market["admin_headers"])
    assert tb.get_json()["balanced"] is True
    assert tb.get_json()["total_debits_cents"] == retail + shipping

    assert earned(client, cleo.headers) == [("margin", 0, 10927, "pending")]
    assert earned(client, ben.headers) == [("override", 1, 250, "pending")]
    assert earned(client, ana.headers) == [("override", 2, 125, "pending")]
    assert all(c["order_id"] == order["id"] for c in commissions(client, ana.headers))
    # the manager of the order may read it
    assert client.get(f"/api/v1/orders/{order['id']}", headers=cleo.headers).status_code == 200

    top = network_of(client, ana.headers)
    assert [(m["level"], m["name"], m["sales_cents"], m["orders"]) for m in top["items"]] == [
        (1, "Ben Middle", 0, 0),
        (2, "Cleo Shop", retail, 1),
    ]
    assert top["levels"] == {"1": 1, "2": 1}


@pytest.mark.parametrize(("depth", "earning_levels"), [(None, 2), (3, 3), (5, 3)])
def test_overrides_reach_two_levels_by_default_and_never_more_than_three(
    make_app, depth, earning_levels
):
    app = make_app() if depth is None else make_app(OVERRIDE_DEPTH=depth)
    client = app.test_client()
    clock.set_now(T0)
    admin_headers = token_for(client, make_admin(app).email)
    seller = make_company_member(app, "Depth Co")
    seller_headers = token_for(client, seller.email)
    buyer_headers = token_for(client, make_person(app, name="Bea Buyer").email)
    ana, ben, cleo, dan = make_network(
        app, client, admin_headers, ["Ana L3", "Ben L2", "Cleo L1", "Dan Shop"]
    )
    boots = open_listing(client, seller_headers, base=2445, low=3000, high=4000)
    shop_item(client, dan.headers, boots.id, 3500)

    order = buy_from_shop(client, buyer_headers, dan.slug, [(boots.variants["42"], 2)])

    fee = half_up(2 * 2445, 5)  # 244.5 -> 245 (half-up, not to even)
    levels = {1: half_up(fee, 20), 2: half_up(fee, 10), 3: half_up(fee, 5)}
    assert (fee, levels) == (245, {1: 49, 2: 25, 3: 12})  # 24.5 -> 25, 12.25 -> 12
    expected = {cleo.id: 1, ben.id: 2, ana.id: 3}
    for upline in (cleo, ben, ana):
        level = expected[upline.id]
        want = [("override", level, levels[level], "pending")] if level <= earning_levels else []
        assert earned(client, upline.headers, order["id"]) == want, upline.name
    assert earned(client, dan.headers) == [("margin", 0, 2 * (3500 - 2445), "pending")]
    paid_overrides = sum(levels[level] for level in range(1, earning_levels + 1))
    assert owed(app, ledger.FEES) == fee - paid_overrides
    assert trial(app)["balanced"]


def test_an_upline_earns_no_override_on_a_pair_they_bought_themselves(app, client, market):
    ana, ben, cleo = make_network(app, client, market["admin_headers"], ["Ana", "Ben", "Cleo"])
    boots = open_listing(client, market["seller_headers"], base=6000, low=8000, high=12000)
    shop_item(client, cleo.headers, boots.id, 10000)

    order = buy_from_shop(client, ana.headers, cleo.slug, [(boots.variants["42"], 2)])

    fee = half_up(12000, 5)
    assert earned(client, ana.headers) == []
    assert earned(client, ben.headers) == [("override", 1, half_up(fee, 20), "pending")]
    assert earned(client, cleo.headers) == [("margin", 0, 8000, "pending")]
    assert me_balance(client, ana.headers) == NOTHING
    assert owed(app, ledger.FEES) == fee - half_up(fee, 20)
    assert trial(app)["balanced"]
    buyer_view = client.get("/api/v1/orders?role=buyer", headers=ana.headers).get_json()
    assert [o["id"] for o in buyer_view["items"]] == [order["id"]]


def test_a_manager_cannot_buy_through_their_own_shop(app, client, market):
    manager = make_manager(app, client, market["admin_headers"])
    boots = open_listing(client, market["seller_headers"], base=6000, low=8000, high=12000)
    shop_item(client, manager.headers, boots.id, 9000)

    refused = add_to_cart(client, manager.headers, boots.variants["42"], 1, manager.slug)

    assert error_of(refused, 409)["code"] == "own_shop"
    assert client.get("/api/v1/cart", headers=manager.headers).get_json()["items"] == []


def test_moving_a_manager_below_their_own_downline_is_a_referral_cycle(app, client, market):
    ana, ben, cleo = make_network(app, client, market["admin_headers"], ["Ana", "Ben", "Cleo"])
    admin = market["admin_headers"]

    def move(manager, code):
        return client.post(
            f"/api/v1/admin/managers/{manager.id}/upline",
            json={"referral_code": code},
            headers=admin,
        )

    for below in (ben, cleo):
        error = error_of(move(ana, below.code), 422)
        assert error["code"] == "referral_cycle" and "referral_code" in error["fields"]
    assert error_of(move(ben, ben.code), 422)["code"] == "referral_cycle"
    assert error_of(move(cleo, "NOSUCHCODE"), 422)["fields"]["referral_code"]
    assert error_of(move(ben, cleo.code), 422)["code"] == "referral_cycle"
    assert error_of(
        client.post(
            f"/api/v1/admin/managers/{ben.id}/upline",
            json={"referral_code": ana.code},
            headers=ben.headers,
        ),
        403,
    )

    approved = client.get("/api/v1/admin/managers?status=approved", headers=admin).get_json()
    uplines = {m["account_id"]: m["upline_account_id"] for m in approved["items"]}
    assert uplines == {ana.id: None, ben.id: ana.id, cleo.id: ben.id}  # nothing moved

    moved = move(cleo, ana.code)  # a legal move: Cleo directly below Ana
    assert moved.status_code == 200 and moved.get_json()["upline_account_id"] == ana.id
    top = move(ben, None)
    assert top.status_code == 200 and top.get_json()["upline_account_id"] is None
    assert [(m["level"], m["name"]) for m in network_of(client, ana.headers)["items"]] == [
        (1, "Cleo")
    ]


# Commissions over time


@pytest.fixture
def shop_order(app, client, market):
    """Ana -> Ben -> Cleo; the buyer bought 2 pairs from Cleo's shop at T0."""
    ana, ben, cleo = make_network(app, client, market["admin_headers"], ["Ana", "Ben", "Cleo"])
    boots = open_listing(client, market["seller_headers"], base=6000, low=8000, high=12000)
    shop_item(client, cleo.headers, boots.id, 10000)
    order = buy_from_shop(client, market["buyer_headers"], cleo.slug, [(boots.variants["42"], 2)])
    fee = half_up(12000, 5)
    return {
        "ana": ana,
        "ben": ben,
        "cleo": cleo,
        "order": order,
        "boots": boots,
        "fee": fee,
        "shares": {
            "cleo": ("margin", 0, 8000),
            "ben": ("override", 1, half_up(fee, 20)),
            "ana": ("override", 2, half_up(fee, 10)),
        },
    }


def every_share(client, shop_order, status):
    return {
        name: earned(client, shop_order[name].headers, shop_order["order"]["id"])
        for name in ("ana", "ben", "cleo")
    } == {name: [(*share, status)] for name, share in shop_order["shares"].items()}


def test_commissions_become_available_only_when_the_return_window_closes(
    app, client, market, shop_order
):
    order_id = shop_order["order"]["id"]
    cleo = shop_order["cleo"]
    clock.set_now(T0 + timedelta(days=1))
    ship(client, order_id, market["seller_headers"])
    delivered_at = T0 + timedelta(days=2)
    clock.set_now(delivered_at)
    deliver(client, order_id, market["seller_headers"])
    assert {c["available_at"] for c in commissions(client, cleo.headers)} == {
        clock.isoformat(delivered_at + WINDOW)
    }

    run_jobs(app, delivered_at + WINDOW - timedelta(minutes=1))
    assert every_share(client, shop_order, "pending")
    assert me_balance(client, cleo.headers) == {"pending_cents": 8000, "available_cents": 0}
    listed = client.get("/api/v1/b2m/commissions", headers=cleo.headers).get_json()
    assert listed["totals"] == {
        "pending_cents": 8000,
        "available_cents": 0,
        "paid_cents": 0,
        "reversed_cents": 0,
    }

    report = run_jobs(app, delivered_at + WINDOW + timedelta(minutes=1))
    assert report["complete orders past their return window"] == 1
    assert every_share(client, shop_order, "available")
    for name, (_, _, amount) in shop_order["shares"].items():
        person = shop_order[name]
        assert me_balance(client, person.headers) == {"pending_cents": 0, "available_cents": amount}
        assert owed(app, manager_code("available", person.id)) == amount
    seller_available = 12000 - shop_order["fee"]
    assert me_balance(client, market["seller_headers"]) == {
        "pending_cents": 0,
        "available_cents": seller_available,
    }
    # running again at the same moment finds nothing to do
    assert (
        run_jobs(app, delivered_at + WINDOW + timedelta(minutes=1))[
            "complete orders past their return window"
        ]
        == 0
    )
    assert me_balance(client, cleo.headers)["available_cents"] == 8000
    assert trial(app)["balanced"]


def test_a_return_within_the_window_reverses_the_margin_and_the_overrides(
    app, client, market, shop_order
):
    order_id = shop_order["order"]["id"]
    ship(client, order_id, market["seller_headers"])
    deliver(client, order_id, market["seller_headers"])
    clock.set_now(T0 + timedelta(days=5))
    returned = act(client, order_id, "return", market["buyer_headers"], reason="Too narrow")
    assert returned.status_code == 200, returned.get_json()
    assert every_share(client, shop_order, "pending")
    refunded = act(client, order_id, "refund", market["seller_headers"])
    assert refunded.status_code == 200 and refunded.get_json()["status"] == "refunded"

    assert every_share(client, shop_order, "reversed")
    for name in ("ana", "ben", "cleo"):
        assert me_balance(client, shop_order[name].headers) == NOTHING
    assert me_balance(client, market["seller_headers"]) == NOTHING
    assert owed(app, ledger.FEES) == 0
    # the window closing later makes nothing available
    run_jobs(app, T0 + timedelta(days=20))
    assert every_share(client, shop_order, "reversed")
    assert me_balance(client, shop_order["cleo"].headers) == NOTHING
    assert trial(app)["balanced"]


def test_a_return_asked_after_the_window_closed_is_refused_and_commissions_stay(
    app, client, market, shop_order
):
    order_id = shop_order["order"]["id"]
    ship(client, order_id, market["seller_headers"])
    deliver(client, order_id, market["seller_headers"])
    run_jobs(app, T0 + WINDOW + timedelta(hours=1))

    late = act(client, order_id, "return", market["buyer_headers"], reason="Changed my mind")

    assert error_of(late, 409)
    assert every_share(client, shop_order, "available")
    assert me_balance(client, shop_order["cleo"].headers)["available_cents"] == 8000


def test_cancelling_before_shipping_reverses_the_commissions(app, client, market, shop_order):
    order_id = shop_order["order"]["id"]
    cancelled = act(client, order_id, "cancel", market["buyer_headers"], reason="Wrong size")
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"

    assert every_share(client, shop_order, "reversed")
    for name in ("ana", "ben", "cleo"):
        assert me_balance(client, shop_order[name].headers) == NOTHING
    assert owed(app, ledger.FEES) == 0
    assert stock(app, shop_order["boots"].variants["42"]) == (10, 0)
    assert trial(app)["balanced"]


# Payouts


def completed_through_shop(app, client, market, manager, margin: int) -> None:
    """One pair sold through `manager`'s shop with `margin`, delivered, window closed."""
    boots = open_listing(
        client, market["seller_headers"], base=5000, low=5000 + margin, high=5000 + margin
    )
    shop_item(client, manager.headers, boots.id, 5000 + margin)
    order = buy_from_shop(
        client, market["buyer_headers"], manager.slug, [(boots.variants["42"], 1)]
    )
    ship(client, order["id"], market["seller_headers"])
    deliver(client, order["id"], market["seller_headers"])
    run_jobs(app, clock.now() + WINDOW + timedelta(hours=1))


def request_payout(client, headers, amount: int, key: str | None = None):
    if key:
        headers = {**headers, "Idempotency-Key": key}
    return client.post("/api/v1/b2m/payouts", json={"amount_cents": amount}, headers=headers)


def test_payouts_refuse_more_than_available_and_less_than_the_minimum(app, client, market):
    manager = make_manager(app, client, market["admin_headers"])
    completed_through_shop(app, client, market, manager, 10000)
    assert me_balance(client, manager.headers)["available_cents"] == 10000

    error = error_of(request_payout(client, manager.headers, 10001), 409)
    assert error["code"] == "insufficient_available_balance" and "$100.00" in error["message"]
    error = error_of(request_payout(client, manager.headers, 1999), 422)
    assert "amount_cents" in error["fields"] and "$20.00" in error["fields"]["amount_cents"][0]
    assert count(app, Payout) == 0

    first = request_payout(client, manager.headers, 6000)
    assert first.status_code == 201 and first.get_json()["status"] == "requested"
    # an open request already claims its part of the balance
    error = error_of(request_payout(client, manager.headers, 4001), 409)
    assert error["code"] == "insufficient_available_balance" and "$40.00" in error["message"]
    assert request_payout(client, manager.headers, 4000).status_code == 201


def test_a_payout_request_with_an_idempotency_key_is_made_once(app, client, market):
    manager = make_manager(app, client, market["admin_headers"])
    completed_through_shop(app, client, market, manager, 10000)

    first = request_payout(client, manager.headers, 3000, key="payout-1")
    again = request_payout(client, manager.headers, 3000, key="payout-1")

    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    assert count(app, Payout) == 1
    other = request_payout(client, manager.headers, 4000, key="payout-1")
    assert error_of(other, 409)["code"] == "idempotency_key_reused"
    assert count(app, Payout) == 1


def test_approving_a_payout_moves_available_money_out_and_marks_commissions_paid(
    app, client, market
):
    manager = make_manager(app, client, market["admin_headers"])
    completed_through_shop(app, client, market, manager, 3000)
    completed_through_shop(app, client, market, manager, 4000)
    assert me_balance(client, manager.headers)["available_cents"] == 7000
    assert owed(app, ledger.PAYOUTS) == 0

    earned_page = client.get("/api/v1/b2m/commissions?per_page=1", headers=manager.headers)
    body = earned_page.get_json()  # a page like every list; the totals cover every item
    assert (body["page"], body["per_page"], body["total"], len(body["items"])) == (1, 1, 2, 1)
    assert body["totals"]["available_cents"] == 7000
    payout = request_payout(client, manager.headers, 3000).get_json()
    mine = client.get("/api/v1/b2m/payouts", headers=manager.headers).get_json()
    assert ([p["id"] for p in mine["items"]], mine["total"]) == ([payout["id"]], 1)
    # Requested, not yet approved: no longer available to ask for, shown as requested.
    shown = client.get("/api/v1/me/balance", headers=manager.headers).get_json()
    assert shown == {"pending_cents": 0, "available_cents": 4000, "requested_cents": 3000}
    whole_balance = request_payout(client, manager.headers, 7000)
    assert whole_balance.status_code == 409
    assert whole_balance.get_json()["error"]["available_cents"] == 4000
    waiting = client.get("/api/v1/admin/payouts", headers=market["admin_headers"]).get_json()
    assert [(p["id"], p["amount_cents"]) for p in waiting["items"]] == [(payout["id"], 3000)]
    not_admin = client.post(
        f"/api/v1/admin/payouts/{payout['id']}/approve", headers=manager.headers
    )
    assert error_of(not_admin, 403)
    approved = client.post(
        f"/api/v1/admin/payouts/{payout['id']}/approve", headers=market["admin_headers"]
    )
    assert approved.status_code == 200 and approved.get_json()["status"] == "approved"

    shown = client.get("/api/v1/me/balance", headers=manager.headers).get_json()
    assert shown == {"pending_cents": 0, "available_cents": 4000, "requested_cents": 0}
    assert owed(app, manager_code("available", manager.id)) == 4000
    assert owed(app, ledger.PAYOUTS) == 3000  # on its way to the manager's bank
    assert sorted(
        (c["amount_cents"], c["status"]) for c in commissions(client, manager.headers)
    ) == [
        (3000, "paid"),
        (4000, "available"),
    ]
    again = client.post(
        f"/api/v1/admin/payouts/{payout['id']}/approve", headers=market["admin_headers"]
    )
    assert error_of(again, 409)
    assert me_balance(client, manager.headers)["available_cents"] == 4000
    assert trial(app)["balanced"]


def test_a_seller_requests_a_payout_of_its_companys_available_proceeds(app, client, market):
    boots = open_listing(client, market["seller_headers"], base=5000, low=6000, high=9000)
    manager = make_manager(app, client, market["admin_headers"])
    shop_item(client, manager.headers, boots.id, 8000)
    order = buy_from_shop(
        client, market["buyer_headers"], manager.slug, [(boots.variants["42"], 2)]
    )
    ship(client, order["id"], market["seller_headers"])
    deliver(client, order["id"], market["seller_headers"])
    proceeds = 10000 - half_up(10000, 5)
    too_early = request_payout(client, market["seller_headers"], 2000)
    assert error_of(too_early, 409)["code"] == "insufficient_available_balance"
    run_jobs(app, clock.now() + WINDOW + timedelta(hours=1))
    assert me_balance(client, market["seller_headers"])["available_cents"] == proceeds == 9500

    requested = request_payout(client, market["seller_headers"], 9500)
    assert requested.status_code == 201, requested.get_json()
    assert requested.get_json()["company_id"] == market["seller"].company_id
    approved = client.post(
        f"/api/v1/admin/payouts/{requested.get_json()['id']}/approve",
        headers=market["admin_headers"],
    )
    assert approved.status_code == 200
    assert me_balance(client, market["seller_headers"]) == NOTHING
    assert owed(app, ledger.PAYOUTS) == 9500
    assert me_balance(client, manager.headers)["available_cents"] == 2 * 3000
    assert trial(app)["balanced"]


# Managers kept apart


def test_a_manager_cannot_see_or_change_another_managers_shop(app, client, market):
    maya = make_manager(app, client, market["admin_headers"], "Maya")
    noah = make_manager(app, client, market["admin_headers"], "Noah")
    boots = open_listing(client, market["seller_headers"], base=6000, low=8000, high=12000)
    mayas = shop_item(client, maya.headers, boots.id, 9000)
    shop_item(client, noah.headers, boots.id, 9500)

    for method in ("patch", "delete"):
        response = getattr(client, method)(
            f"/api/v1/b2m/shop/items/{mayas['id']}",
            json={"retail_price_cents": 8000},
            headers=noah.headers,
        )
        assert error_of(response, 404)
    assert [(i["id"], i["retail_price_cents"]) for i in shop_items(client, maya.headers)] == [
        (mayas["id"], 9000)
    ]
    assert [i["retail_price_cents"] for i in shop_items(client, noah.headers)] == [9500]

    order = buy_from_shop(client, market["buyer_headers"], maya.slug, [(boots.variants["42"], 1)])
    assert commissions(client, noah.headers) == []
    assert [c["order_id"] for c in commissions(client, maya.headers)] == [order["id"]]
    assert error_of(client.get(f"/api/v1/orders/{order['id']}", headers=noah.headers), 404)
    mine = client.get("/api/v1/orders?role=manager", headers=maya.headers).get_json()
    assert [o["id"] for o in mine["items"]] == [order["id"]]
    assert client.get("/api/v1/orders?role=manager", headers=noah.headers).get_json()["items"] == []

    deleted = client.delete(f"/api/v1/b2m/shop/items/{mayas['id']}", headers=maya.headers)
    assert deleted.status_code == 200
    assert shop_items(client, maya.headers) == []


def test_each_manager_sees_only_their_own_network(app, client, market):
    ana, ben = make_network(app, client, market["admin_headers"], ["Ana", "Ben"])
    other = make_manager(app, client, market["admin_headers"], "Olga Other")

    assert [m["name"] for m in network_of(client, ana.headers)["items"]] == ["Ben"]
    assert network_of(client, ben.headers)["items"] == []
    assert network_of(client, other.headers)["items"] == []


@pytest.mark.parametrize(
    "path", ["/api/v1/b2m/commissions", "/api/v1/b2m/network", "/api/v1/b2m/shop/items"]
)
def test_manager_routes_are_forbidden_to_others(app, client, market, path):
    assert error_of(client.get(path, headers=market["buyer_headers"]), 403)
    assert error_of(client.get(path, headers=market["seller_headers"]), 403)
    assert error_of(client.get(path), 401)


def test_the_b2m_catalog_and_terms_are_for_approved_managers(app, client, market):
    boots = open_listing(client, market["seller_headers"], base=6000, low=8000, high=12000)
    manager = make_manager(app, client, market["admin_headers"])

    found = client.get("/api/v1/b2m/catalog", headers=manager.headers).get_json()
    assert [
        (i["id"], i["b2m"]["base_price_cents"], i["b2m"]["max_retail_cents"])
        for i in found["items"]
    ] == [(boots.id, 6000, 12000)]
    item = found["items"][0]  # API.md names the four prices on the item itself too
    assert [item[f"{name}_cents"] for name in ("base_price", "min_retail", "max_retail")] == [
        6000,
        8000,
        12000,
    ]
    assert item["suggested_retail_cents"] == item["b2m"]["suggested_retail_cents"]
    assert error_of(client.get("/api/v1/b2m/catalog", headers=market["buyer_headers"]), 403)
    public = client.get(f"/api/v1/listings/{boots.id}", headers=market["buyer_headers"])
    assert "base_price_cents" not in str(public.get_json())
    as_manager = client.get(f"/api/v1/listings/{boots.id}", headers=manager.headers).get_json()
    assert as_manager["b2m"]["base_price_cents"] == 6000


# One cart, several shops


def test_one_cart_through_two_shops_and_the_catalog_is_one_payment_and_three_orders(
    app, client, market
):
    maya = make_manager(app, client, market["admin_headers"], "Maya")
    noah = make_manager(app, client, market["admin_headers"], "Noah")
    boots = open_listing(
        client, market["seller_headers"], base=6000, low=8000, high=12000, retail_cents=10500
    )
    shop_item(client, maya.headers, boots.id, 9000)
    shop_item(client, noah.headers, boots.id, 11000)
    buyer = market["buyer_headers"]
    size = boots.variants["42"]
    for slug, quantity in ((maya.slug, 2), (noah.slug, 1), (None, 1)):
        assert add_to_cart(client, buyer, size, quantity, slug).status_code == 201
    cart = client.get("/api/v1/cart", headers=buyer).get_json()
    lines = {i["shop_slug"]: i["unit_price_cents"] for i in cart["items"]}
    assert lines == {maya.slug: 9000, noah.slug: 11000, None: 10500}

    placed = checkout(client, buyer)

    assert placed.status_code == 201, placed.get_json()
    body = placed.get_json()
    assert body["total_cents"] == 2 * 9000 + 11000 + 10500
    with app.app_context():
        assert [p.amount_cents for p in db.session.query(Payment).all()] == [body["total_cents"]]
    orders = {}
    for summary in body["orders"]:
        order = client.get(f"/api/v1/orders/{summary['id']}", headers=buyer).get_json()
        orders[order["manager_id"]] = order
    assert {m: (o["mode"], o["subtotal_cents"], o["fee_cents"]) for m, o in orders.items()} == {
        maya.id: ("b2m", 18000, half_up(12000, 5)),
        noah.id: ("b2m", 11000, half_up(6000, 5)),
        None: ("b2c", 10500, half_up(10500, 5)),
    }
    assert earned(client, maya.headers) == [("margin", 0, 6000, "pending")]
    assert earned(client, noah.headers) == [("margin", 0, 5000, "pending")]
    seller_share = (12000 - 600) + (6000 - 300) + (10500 - 525)
    assert me_balance(client, market["seller_headers"])["pending_cents"] == seller_share
    assert owed(app, ledger.FEES) == 600 + 300 + 525
    assert stock(app, size) == (6, 0)
    assert trial(app)["balanced"]


def test_a_bank_approved_shop_order_books_its_commissions_when_the_webhook_arrives(
    app, client, market
):
    ana, cleo = make_network(app, client, market["admin_headers"], ["Ana", "Cleo"])
    boots = open_listing(client, market["seller_headers"], base=6000, low=8000, high=12000)
    shop_item(client, cleo.headers, boots.id, 10000)
    assert add_to_cart(client, market["buyer_headers"], boots.variants["42"], 1, cleo.slug)
    waiting = client.post(
        "/api/v1/checkout",
        json={
            "shipping_address": ADDRESS,
            "payment": {"card_number": "4000 0025 0000 3155"},
        },
        headers=market["buyer_headers"],
    )
    assert waiting.status_code == 201, waiting.get_json()
    assert waiting.get_json()["orders"][0]["status"] == "pending_payment"
    assert commissions(client, cleo.headers) == []
    with app.app_context():
        reference = db.session.query(Payment).one().provider_ref
        raw = json.dumps(
            {"id": "evt_b2m", "type": "payment.succeeded", "data": {"payment_ref": reference}}
        ).encode()
        signature = payments.sign(raw, app.config["WEBHOOK_SECRET"])

    hook = client.post(
        "/api/v1/payments/webhook",
        data=raw,
        headers={"X-Signature": signature, "Content-Type": "application/json"},
    )

    assert hook.status_code == 200, hook.get_json()
    assert earned(client, cleo.headers) == [("margin", 0, 4000, "pending")]
    assert earned(client, ana.headers) == [("override", 1, half_up(300, 20), "pending")]
    assert owed(app, ledger.FEES) == 300 - 60
    assert trial(app)["balanced"]
