"""The seller's money pages: what an order pays the seller (the manager's margin and the
fee taken off), sales by trade at the seller's proceeds, the statement in date order with
pages, and payout requests from the seller console."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from marketplace import clock
from marketplace.extensions import db
from marketplace.services import ledger, payouts
from models import Account, Order, Payout
from tests.b2m_helpers import (
    add_to_cart,
    buy_from_shop,
    checkout,
    deliver,
    half_up,
    make_manager,
    open_listing,
    run_jobs,
    ship,
    shop_item,
)
from tests.helpers import (
    browser,
    make_admin,
    make_company_member,
    make_person,
    page_text,
    token_for,
)

T0 = datetime(2026, 5, 4, 9, 0)
BASE, SHOP_PRICE, RETAIL = 6000, 9900, 15000


def dollars(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) // 100:,}.{abs(cents) % 100:02d}"


def cells(row: str) -> list[str]:
    found = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip() for cell in found]


def table_after(page: str, heading: str) -> list[list[str]]:
    """The rows (header row left out) of the first table after `heading`, as cell texts."""
    start = page.index(heading)
    table = page[start : page.index("</table>", start)]
    body = table[table.index("</thead>") :] if "</thead>" in table else table
    return [cells(row) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def kpi(page: str, label: str) -> str:
    match = re.search(rf"{re.escape(label)}</span><strong>([^<]*)</strong>", page)
    assert match, label
    return match.group(1)


def seller_credit(app, company_id: int) -> int:
    """Everything the ledger has credited the seller company, pending and available."""
    with app.app_context():
        held = ledger.owner_balances(company_id=company_id)
        return held["pending_cents"] + held["available_cents"]


def order_of(app, order_id: int) -> Order:
    with app.app_context():
        order = db.session.get(Order, order_id)
        db.session.expunge(order)
        return order


@pytest.fixture
def world(app, client):
    """Stride Co opens boots to managers ($60.00 base, $80.00-$120.00, retail $150.00);
    Maya shops them at $99.00; Bea buys; browsers for the seller and the admin."""
    clock.set_now(T0)
    admin = make_admin(app)
    admin_headers = token_for(client, admin.email)
    seller = make_company_member(app, "Stride Co")
    seller_headers = token_for(client, seller.email)
    boots = open_listing(
        client,
        seller_headers,
        base=BASE,
        low=8000,
        high=12000,
        sizes={"42": 40},
        title="Stride Trail Boot",
        retail_cents=RETAIL,
    )
    maya = make_manager(app, client, admin_headers, "Maya Manager", shop_name="Maya's Picks")
    shop_item(client, maya.headers, boots.id, SHOP_PRICE)
    buyer = make_person(app, name="Bea Buyer")
    return {
        "admin_browser": browser(app, admin.email),
        "seller": seller,
        "seller_headers": seller_headers,
        "seller_browser": browser(app, seller.email),
        "boots": boots,
        "maya": maya,
        "buyer_headers": token_for(client, buyer.email),
    }


def buy_through_shop(client, world) -> int:
    boots, maya = world["boots"], world["maya"]
    return buy_from_shop(client, world["buyer_headers"], maya.slug, [(boots.variants["42"], 1)])[
        "id"
    ]


def buy_retail(client, world) -> int:
    added = add_to_cart(client, world["buyer_headers"], world["boots"].variants["42"])
    assert added.status_code == 201, added.get_json()
    response = checkout(client, world["buyer_headers"])
    assert response.status_code == 201, response.get_json()
    return response.get_json()["orders"][0]["id"]


def test_a_b2m_order_shows_the_margin_and_what_the_seller_receives(app, client, world):
    order_id = buy_through_shop(client, world)
    order = order_of(app, order_id)
    fee, margin = half_up(BASE, 5), SHOP_PRICE - BASE
    assert (order.mode, order.subtotal_cents, order.fee_cents) == ("b2m", SHOP_PRICE, fee)
    receives = order.total_cents - fee - margin  # base and shipping, less 5 % of base

    page = page_text(world["seller_browser"].get(f"/seller/orders/{order_id}"))

    assert table_after(page, "<h2>Your proceeds</h2>") == [
        ["Order total (paid by the buyer)", dollars(order.total_cents)],
        ["Platform fee (on your base price)", f"−{dollars(fee)}"],
        ["Manager's margin (Maya Manager's shop price less your base price)", "−$39.00"],
        ["You receive", dollars(receives)],
    ]
    assert receives == order.total_cents - 300 - 3900
    assert seller_credit(app, world["seller"].company_id) == receives  # the ledger agrees

    # refunded, nothing is owed any more, and the page says so
    cancelled = world["seller_browser"].post(f"/seller/orders/{order_id}/cancel")
    assert cancelled.status_code == 302
    page = page_text(world["seller_browser"].get(f"/seller/orders/{order_id}"))
    assert table_after(page, "<h2>Your proceeds</h2>")[-1] == ["You receive", "$0.00"]
    assert f"the {dollars(receives)} credited to you was taken back" in page
    assert seller_credit(app, world["seller"].company_id) == 0


def test_a_retail_order_shows_the_total_less_the_fee(app, client, world):
    order_id = buy_retail(client, world)
    order = order_of(app, order_id)
    assert (order.mode, order.fee_cents) == ("b2c", half_up(RETAIL, 5))

    page = page_text(world["seller_browser"].get(f"/seller/orders/{order_id}"))

    assert table_after(page, "<h2>Your proceeds</h2>") == [
        ["Order total (paid by the buyer)", dollars(order.total_cents)],
        ["Platform fee", "−$7.50"],
        ["You receive", dollars(order.total_cents - 750)],
    ]
    assert "Manager's margin" not in page
    assert seller_credit(app, world["seller"].company_id) == order.total_cents - 750


def test_the_sales_page_counts_a_b2m_sale_at_the_sellers_proceeds(app, client, world):
    shop_order = order_of(app, buy_through_shop(client, world))
    retail_order = order_of(app, buy_retail(client, world))
    from_shop = shop_order.total_cents - 300 - 3900
    from_retail = retail_order.total_cents - 750

    page = page_text(world["seller_browser"].get("/seller/sales"))

    assert table_after(page, "<h2>By trade, last 30 days</h2>") == [
        ["Retail (B2C)", "1", "$150.00", dollars(from_retail)],
        ["Through managers (B2M)", "1", "$99.00", dollars(from_shop)],
        ["All trades", "2", "$249.00", dollars(from_shop + from_retail)],
    ]
    assert kpi(page, "Your proceeds, last 30 days") == dollars(from_shop + from_retail)
    assert kpi(page, "Pending (return windows open)") == dollars(from_shop + from_retail)
    assert seller_credit(app, world["seller"].company_id) == from_shop + from_retail
    # the chart draws the same proceeds, on the day of the sales
    assert "Your proceeds per day, last 30 days" in page
    assert f"<title>{T0:%d %b}: {dollars(from_shop + from_retail)}</title>" in page
    assert "Sales, last 30 days" not in page
    assert "Proceeds are the order total less the platform fee." not in page
    assert "for B2M orders also less the manager's margin" in page


def statement(page: str) -> list[tuple[str, str, str]]:
    """(when, what, order) of the statement's rows, top to bottom."""
    return [(row[0], row[1], row[2]) for row in table_after(page, "<h2>Statement</h2>")]


def test_the_statement_is_newest_first_and_comes_in_pages(app, client, world):
    # sales booked at earlier clock times out of order, as imported history is; two at
    # the very same moment (the later id comes first)
    days_ago = [(n * 13) % 31 for n in range(31)] + [13]
    for days in days_ago:
        clock.set_now(T0 - timedelta(days=days))
        buy_retail(client, world)
    clock.set_now(T0)
    with app.app_context():
        expected = [
            (f"{created_at:%d %b %Y, %H:%M}", "capture", f"#{order_id}")
            for order_id, created_at in db.session.execute(
                select(Order.id, Order.created_at).order_by(
                    Order.created_at.desc(), Order.id.desc()
                )
            )
        ]
    assert len(expected) == 32

    first = page_text(world["seller_browser"].get("/seller/sales"))
    second = page_text(world["seller_browser"].get("/seller/sales?page=2"))

    assert statement(first) == expected[:30]
    assert statement(second) == expected[30:]
    when = f"{T0 - timedelta(days=13):%d %b %Y, %H:%M}"
    tied = [order for at, _, order in statement(first) if at == when]
    assert len(tied) == 2 and int(tied[0][1:]) > int(tied[1][1:])
    assert 'href="/seller/sales?page=2" rel="next"' in first and 'rel="prev"' not in first
    assert 'href="/seller/sales?page=1" rel="prev"' in second and 'rel="next"' not in second
    assert "Page 2 of 2" in second
    assert "No money movements on this page." in page_text(
        world["seller_browser"].get("/seller/sales?page=3")
    )


def test_a_seller_requests_a_payout_in_the_seller_console(app, client, world):
    order_id = buy_through_shop(client, world)
    receives = order_of(app, order_id).total_cents - 300 - 3900
    ship(client, order_id, world["seller_headers"])
    deliver(client, order_id, world["seller_headers"])
    run_jobs(app, T0 + timedelta(days=8))
    seller = world["seller_browser"]
    sales = page_text(seller.get("/seller/sales"))
    assert kpi(sales, "Available to pay out") == dollars(receives)
    assert 'href="/seller/payouts">Request a payout</a>' in sales

    page = page_text(seller.get("/seller/payouts"))
    assert 'aria-label="Seller console"' in page and 'href="/seller/sales"' in page
    assert f"Withdrawable: <strong>{dollars(receives)}</strong>" in page
    too_small = page_text(seller.post("/seller/payouts", data={"amount": "10.00"}))
    assert "Ask for at least $20.00." in too_small
    too_big = page_text(seller.post("/seller/payouts", data={"amount": f"{receives / 100 + 0.01}"}))
    assert f"You can withdraw up to {dollars(receives)}." in too_big

    asked = seller.post("/seller/payouts", data={"amount": "50.00"})

    assert asked.status_code == 302 and asked.headers["Location"].endswith("/seller/payouts")
    page = page_text(seller.get("/seller/payouts"))
    assert f"Withdrawable: <strong>{dollars(receives - 5000)}</strong>" in page
    assert "Waiting for approval: $50.00" in page
    assert table_after(page, "<h2>History</h2>")[0][2:] == ["$50.00", "requested"]
    with app.app_context():
        payout = db.session.scalars(select(Payout)).one()
        assert (payout.company_id, payout.account_id, payout.amount_cents) == (
            world["seller"].company_id,
            None,
            5000,
        )
        account = db.session.get(Account, world["seller"].id)
        assert payouts.balance(account) == {
            "pending_cents": 0,
            "available_cents": receives - 5000,
            "requested_cents": 5000,
        }
        payout_id = payout.id
    sales = page_text(seller.get("/seller/sales"))
    assert kpi(sales, "Payouts waiting for approval") == "$50.00"
    assert kpi(sales, "Available to pay out") == dollars(receives - 5000)

    waiting = table_after(page_text(world["admin_browser"].get("/admin/payouts")), "<thead>")
    assert waiting[0][2] == "Stride Co"  # paid out of the company's balance
    approved = world["admin_browser"].post(f"/admin/payouts/{payout_id}/approve")
    assert approved.status_code == 302
    page = page_text(seller.get("/seller/payouts"))
    assert table_after(page, "<h2>History</h2>")[0][2:] == ["$50.00", "approved"]
    assert seller_credit(app, world["seller"].company_id) == receives - 5000


def test_the_payout_page_is_for_sellers_only(app, client, world):
    person = make_person(app, name="Pat Person")
    assert browser(app, person.email).get("/seller/payouts").status_code == 403
    maya = browser(app, world["maya"].email)
    assert maya.post("/seller/payouts", data={"amount": "20.00"}).status_code == 403
    assert app.test_client().get("/seller/payouts").status_code == 302
