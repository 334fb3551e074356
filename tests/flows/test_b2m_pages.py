"""Manager pages: applying, referral links, the dashboard, the catalog's add form, the shop
with its share panel and QR code, the commissions CSV, the public shop and its item page,
payout requests, and the admin's managers and payouts pages."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest
from PIL import Image

from marketplace import clock
from marketplace.extensions import db
from models import Account, Manager, Payout
from tests.b2m_helpers import (
    add_to_cart,
    all_balances,
    buy_from_shop,
    commissions,
    deliver,
    make_manager,
    me_balance,
    open_listing,
    run_jobs,
    set_range,
    ship,
    shop_item,
)
from tests.helpers import (
    PASSWORD,
    browser,
    count,
    login,
    make_admin,
    make_company_member,
    make_person,
    page_text,
    token_for,
)

T0 = datetime(2026, 5, 4, 9, 0)


def path_of(response) -> str:
    return urlsplit(response.headers["Location"]).path


def flashes(page: str) -> list[str]:
    return re.findall(r'<p class="flash [^"]*" role="status">([^<]*)</p>', page)


def field_errors(page: str) -> list[str]:
    return re.findall(r'<small class="error" role="alert">([^<]*)</small>', page)


def follow(client, response):
    assert response.status_code == 302, response.status_code
    return page_text(client.get(response.headers["Location"]))


@pytest.fixture
def world(app, client):
    """An admin, a seller with boots open to B2M ($60.00 base, $80.00-$120.00), Maya an
    approved manager, and a buyer; browsers for the admin, Maya and the buyer."""
    clock.set_now(T0)
    admin = make_admin(app)
    admin_headers = token_for(client, admin.email)
    seller = make_company_member(app, "Stride Co")
    seller_headers = token_for(client, seller.email)
    boots = open_listing(
        client,
        seller_headers,
        base=6000,
        low=8000,
        high=12000,
        suggested=9900,
        sizes={"42": 5, "43": 5},
        title="Stride Trail Boot",
    )
    maya = make_manager(app, client, admin_headers, "Maya Manager", shop_name="Maya's Picks")
    buyer = make_person(app, name="Bea Buyer")
    return {
        "admin": admin,
        "admin_headers": admin_headers,
        "admin_browser": browser(app, admin.email),
        "seller": seller,
        "seller_headers": seller_headers,
        "boots": boots,
        "maya": maya,
        "maya_browser": browser(app, maya.email),
        "buyer": buyer,
        "buyer_headers": token_for(client, buyer.email),
        "buyer_browser": browser(app, buyer.email),
    }


def test_a_person_applies_on_the_page_and_an_admin_approves_them(app, client, world):
    person = make_person(app, name="Pia Picker")
    pia = browser(app, person.email)
    form = page_text(pia.get("/manager/apply"))
    assert "Apply (free)" in form and 'name="shop_name"' in form
    assert path_of(pia.get("/manager")) == "/manager/apply"  # the dashboard sends her there

    response = pia.post("/manager/apply", data={"shop_name": "Pia's Kicks", "referral_code": ""})
    assert path_of(response) == "/manager/apply"
    page = follow(pia, response)
    assert "Pia's Kicks" in page and "pending" in page
    waiting = pia.get("/manager")  # not open before approval: the application's status
    assert path_of(waiting) == "/manager/apply" and "pending" in follow(pia, waiting)

    listed = page_text(world["admin_browser"].get("/admin/managers"))
    assert "Pia's Kicks" in listed and person.email in listed
    decided = world["admin_browser"].post(f"/admin/managers/{person.id}/approve")
    assert path_of(decided) == "/admin/managers"
    approved = page_text(world["admin_browser"].get("/admin/managers?status=approved"))
    assert "/s/pia-s-kicks" in approved

    assert pia.get("/manager").status_code == 200
    assert path_of(pia.get("/manager/apply")) == "/manager"
    with app.app_context():
        manager = db.session.get(Account, person.id).manager
        assert (manager.status, manager.shop_slug) == ("approved", "pia-s-kicks")
        assert manager.referral_code
    assert all_balances(app) == {}  # joining cost nothing and paid nothing


def test_a_business_account_cannot_apply_on_the_page(app, world):
    seller = browser(app, world["seller"].email)
    response = seller.post("/manager/apply", data={"shop_name": "Brand Shop"})
    assert "Managers are people" in page_text(response)
    with app.app_context():
        assert db.session.get(Account, world["seller"].id).manager is None


def test_signing_up_through_a_referral_link_places_the_application_below_the_inviter(app, world):
    maya = world["maya"]
    visitor = app.test_client()
    assert visitor.get("/r/NOSUCHCODE").status_code == 404

    invited = visitor.get(f"/r/{maya.code}")
    assert path_of(invited) == "/account/register"
    assert "next=" in invited.headers["Location"]
    signup = page_text(visitor.get(invited.headers["Location"]))
    assert "Maya Manager invited you" in signup and "free" in signup
    registered = visitor.post(
        invited.headers["Location"],
        data={
            "name": "Ivo Invited",
            "email": "ivo@example.test",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "account_type": "person",
        },
    )
    assert path_of(registered) == "/manager/apply"
    with app.app_context():
        ivo = db.session.query(Account).filter_by(email="ivo@example.test").one()
        inviter = db.session.query(Manager).filter_by(shop_slug=maya.slug).one()
        assert ivo.referred_by_id == inviter.id
        ivo_id = ivo.id
    assert f'value="{maya.code}"' in page_text(visitor.get("/manager/apply"))

    # the code is on the account, so even an application without it lands below Maya
    applied = visitor.post("/manager/apply", data={"shop_name": "Ivo's Shoes", "referral_code": ""})
    assert path_of(applied) == "/manager/apply"
    decided = world["admin_browser"].post(f"/admin/managers/{ivo_id}/approve")
    assert decided.status_code == 302
    network = world["admin_browser"].get("/admin/managers?status=approved")
    assert "Maya Manager" in page_text(network)
    dashboard = page_text(world["maya_browser"].get("/manager"))
    assert "Ivo Invited" in dashboard and "Ivo's Shoes" in dashboard
    assert me_balance(world["maya_browser"], maya.headers) == {
        "pending_cents": 0,
        "available_cents": 0,
    }


def test_the_dashboard_shows_sales_earnings_chart_commission_by_status_and_network(
    app, client, world
):
    ana = make_manager(app, client, world["admin_headers"], "Ana Upline")
    cleo = make_manager(app, client, world["admin_headers"], "Cleo Downline", upline=ana)
    boots = world["boots"]
    shop_item(client, cleo.headers, boots.id, 9900)
    buy_from_shop(client, world["buyer_headers"], cleo.slug, [(boots.variants["42"], 2)])
    fee = 600  # 5 % of 2 x $60.00
    assert [c["amount_cents"] for c in commissions(client, ana.headers)] == [fee * 20 // 100]

    page = page_text(browser(app, cleo.email).get("/manager"))
    assert '<svg class="chart' in page
    for kpi in (
        "Sales, last 7 days",
        "Sales, last 30 days",
        "Earned, last 7 days",
        "Earned, last 30 days",
    ):
        assert kpi in page
    assert page.count("$198.00") >= 2  # sales in the last 7 and 30 days
    assert page.count("$78.00") >= 2  # margin 2 x $39.00, earned in the last 7 and 30 days
    assert "Commission by status" in page and "Pending (return window open)" in page
    assert "Stride Trail Boot" in page  # top pairs

    upline_page = page_text(browser(app, ana.email).get("/manager"))
    network = upline_page.split("Your network")[1]
    assert "Cleo Downline" in network and "$198.00" in network
    assert "$1.20" in upline_page  # her override, 20 % of the $6.00 fee, pending


def test_the_dashboard_figures_are_named_after_their_rolling_windows(app, client, world):
    """A sale 29 days ago, in the previous calendar month, still counts in the 30 days,
    so the figures are not called "this week" and "this month"."""
    maya, boots = world["maya"], world["boots"]
    shop_item(client, maya.headers, boots.id, 9900)
    buy_from_shop(client, world["buyer_headers"], maya.slug, [(boots.variants["42"], 2)])
    clock.set_now(T0 + timedelta(days=29))  # 4 May -> 2 June: another month, 29 days on
    page = page_text(browser(app, maya.email).get("/manager"))

    def kpi(label: str) -> str:
        return re.search(rf"{label}</span><strong>([^<]*)</strong>", page).group(1)

    assert kpi("Sales, last 7 days") == "$0.00"
    assert kpi("Sales, last 30 days") == "$198.00"
    assert kpi("Earned, last 7 days") == "$0.00"
    assert kpi("Earned, last 30 days") == "$78.00"
    assert "this month" not in page and "this week" not in page


def test_the_catalog_page_adds_pairs_to_the_shop_inside_the_range(app, world):
    maya = world["maya_browser"]
    boots = world["boots"]
    page = page_text(maya.get("/manager/catalog"))
    assert "Stride Trail Boot" in page
    assert "$60.00" in page and "$80.00 – $120.00" in page and "$99.00" in page
    assert 'action="/manager/catalog"' in page and f'value="{boots.id}"' in page

    # a refused price stays on the catalog, as typed, with the reason beside it
    for price, reason in (("130.00", "$120.00"), ("abc", "amount")):
        refused = maya.post("/manager/catalog", data={"listing_id": boots.id, "price": price})
        assert refused.status_code == 200
        row = re.search(rf'value="{price}">.*?</td>', page_text(refused), re.S).group(0)
        assert '<small class="error" role="alert">' in row and reason in row
    assert shop_items_of(app, world["maya"].id) == []
    huge = maya.post("/manager/catalog", data={"listing_id": "9" * 20, "price": "95.50"})
    assert huge.status_code == 404  # no listing has that id (not an integer overflow)

    added = maya.post("/manager/catalog", data={"listing_id": boots.id, "price": "95.50"})
    assert path_of(added) == "/manager/shop"
    shop = follow(maya, added)
    assert "Your shop is updated." in flashes(shop)
    assert "on sale" in shop and "$35.50" in shop  # the margin
    assert shop_items_of(app, world["maya"].id) == [(boots.id, 9550)]
    assert "Update" in page_text(maya.get("/manager/catalog"))

    maya.post("/manager/shop", data={"listing_id": boots.id, "price": "101.00"})
    assert shop_items_of(app, world["maya"].id) == [(boots.id, 10100)]
    refused = page_text(maya.post("/manager/shop", data={"listing_id": boots.id, "price": "70.00"}))
    row = re.search(r'value="70.00".*?</td>', refused, re.S).group(0)
    assert "$80.00" in row and '<small class="error"' in row
    assert shop_items_of(app, world["maya"].id) == [(boots.id, 10100)]


def shop_items_of(app, account_id: int) -> list[tuple[int, int]]:
    from models import ShopItem

    with app.app_context():
        manager = db.session.get(Account, account_id).manager
        return [
            (item.listing_id, item.retail_price_cents)
            for item in db.session.query(ShopItem).filter_by(manager_id=manager.id)
        ]


def test_the_share_panel_gives_the_shop_link_and_a_qr_code_image(app, client, world):
    maya = world["maya"]
    shop_item(client, maya.headers, world["boots"].id, 9900)
    page = page_text(world["maya_browser"].get("/manager/shop"))
    assert "Share your shop" in page
    assert f'value="http://localhost/s/{maya.slug}"' in page
    assert f'src="/s/{maya.slug}/qr.png"' in page
    assert f"/r/{maya.code}" in page

    qr = client.get(f"/s/{maya.slug}/qr.png")
    assert qr.status_code == 200 and qr.mimetype == "image/png"
    image = Image.open(io.BytesIO(qr.data))
    assert image.format == "PNG" and image.size[0] == image.size[1] >= 100
    assert client.get(f"/s/{maya.slug}/items/{world['boots'].id}/qr.png").mimetype == "image/png"
    assert client.get("/s/no-such-shop/qr.png").status_code == 404


def test_the_commissions_csv_has_a_header_and_a_row_per_commission(app, client, world):
    maya = world["maya"]
    boots = world["boots"]
    shop_item(client, maya.headers, boots.id, 9900)
    first = buy_from_shop(client, world["buyer_headers"], maya.slug, [(boots.variants["42"], 2)])
    second = buy_from_shop(client, world["buyer_headers"], maya.slug, [(boots.variants["43"], 1)])

    response = world["maya_browser"].get("/manager/commissions.csv")

    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert f"commissions-{maya.slug}.csv" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == [
        "order_id",
        "kind",
        "level",
        "amount_cents",
        "status",
        "created_at",
        "available_at",
    ]
    assert sorted((int(r[0]), r[1], int(r[3]), r[4]) for r in rows[1:]) == [
        (first["id"], "margin", 7800, "pending"),
        (second["id"], "margin", 3900, "pending"),
    ]


def test_the_public_shop_sells_at_the_shop_price_and_hides_what_is_not_sellable(app, client, world):
    maya = world["maya"]
    boots = world["boots"]
    shop_item(client, maya.headers, boots.id, 11000)
    visitor = app.test_client()
    shop = page_text(visitor.get(f"/s/{maya.slug}"))
    assert "Maya's Picks" in shop and "Stride Trail Boot" in shop and "$110.00" in shop
    item_page = page_text(visitor.get(f"/s/{maya.slug}/items/{boots.id}"))
    assert "$110.00" in item_page and "Add to cart" in item_page

    buyer = world["buyer_browser"]
    added = buyer.post(
        f"/s/{maya.slug}/items/{boots.id}", data={"variant_id": boots.variants["42"], "quantity": 2}
    )
    assert path_of(added) == "/cart"
    cart = client.get("/api/v1/cart", headers=world["buyer_headers"]).get_json()
    assert [
        (i["variant_id"], i["quantity"], i["unit_price_cents"], i["shop_slug"])
        for i in cart["items"]
    ] == [(boots.variants["42"], 2, 11000, maya.slug)]
    assert cart["subtotal_cents"] == 22000
    assert "$220.00" in page_text(buyer.get("/cart"))

    set_range(client, world["seller_headers"], boots.id, 8000, 10000)
    assert "Stride Trail Boot" not in page_text(visitor.get(f"/s/{maya.slug}"))
    assert visitor.get(f"/s/{maya.slug}/items/{boots.id}").status_code == 404
    assert "not sellable: fix the price" in page_text(world["maya_browser"].get("/manager/shop"))
    assert visitor.get("/s/no-such-shop").status_code == 404


def test_a_visitors_shop_cart_keeps_the_shop_price_after_signing_in(app, client, world):
    maya = world["maya"]
    boots = world["boots"]
    shop_item(client, maya.headers, boots.id, 10500)
    visitor = app.test_client()
    added = visitor.post(
        f"/s/{maya.slug}/items/{boots.id}", data={"variant_id": boots.variants["43"], "quantity": 1}
    )
    assert path_of(added) == "/cart" and "$105.00" in page_text(visitor.get("/cart"))

    login(visitor, world["buyer"].email)

    cart = client.get("/api/v1/cart", headers=world["buyer_headers"]).get_json()
    assert [(i["unit_price_cents"], i["shop_slug"]) for i in cart["items"]] == [(10500, maya.slug)]


def test_a_manager_requests_a_payout_on_the_page_and_an_admin_pays_it(app, client, world):
    maya = world["maya"]
    boots = world["boots"]
    shop_item(client, maya.headers, boots.id, 12000)
    order = buy_from_shop(client, world["buyer_headers"], maya.slug, [(boots.variants["42"], 1)])
    ship(client, order["id"], world["seller_headers"])
    deliver(client, order["id"], world["seller_headers"])
    run_jobs(app, T0 + timedelta(days=8))
    page_of = world["maya_browser"]
    page = page_text(page_of.get("/manager/payouts"))
    assert "Withdrawable: <strong>$60.00</strong>" in page

    too_small = page_text(page_of.post("/manager/payouts", data={"amount": "10.00"}))
    assert any("$20.00" in error for error in field_errors(too_small))
    too_big = page_text(page_of.post("/manager/payouts", data={"amount": "60.01"}))
    assert any("$60.00" in error for error in field_errors(too_big))
    assert count(app, Payout) == 0
    asked = page_of.post("/manager/payouts", data={"amount": "45.00"})
    assert path_of(asked) == "/manager/payouts"
    page = follow(page_of, asked)
    assert "Withdrawable: <strong>$15.00</strong>" in page and "requested" in page

    admin_page = page_text(world["admin_browser"].get("/admin/payouts"))
    assert "Maya Manager" in admin_page and "$45.00" in admin_page
    assert "their own balance" in admin_page  # a manager's commissions, not a company's
    with app.app_context():
        payout_id = db.session.query(Payout).one().id
    paid = world["admin_browser"].post(f"/admin/payouts/{payout_id}/approve")
    assert path_of(paid) == "/admin/payouts"
    assert f"Payout #{payout_id} approved." in flashes(follow(world["admin_browser"], paid))
    assert me_balance(client, maya.headers) == {"pending_cents": 0, "available_cents": 1500}
    assert "No payout waiting." in page_text(world["admin_browser"].get("/admin/payouts"))
    assert "approved" in page_text(page_of.get("/manager/payouts"))


def test_a_seller_requests_a_payout_of_its_proceeds_on_the_same_page(app, client, world):
    maya = world["maya"]
    boots = world["boots"]
    shop_item(client, maya.headers, boots.id, 12000)
    order = buy_from_shop(client, world["buyer_headers"], maya.slug, [(boots.variants["42"], 1)])
    ship(client, order["id"], world["seller_headers"])
    deliver(client, order["id"], world["seller_headers"])
    run_jobs(app, T0 + timedelta(days=8))
    seller = browser(app, world["seller"].email)
    assert "Withdrawable: <strong>$57.00</strong>" in page_text(seller.get("/manager/payouts"))

    asked = seller.post("/manager/payouts", data={"amount": "57.00"})

    assert path_of(asked) == "/manager/payouts"
    with app.app_context():
        payout = db.session.query(Payout).one()
        assert (payout.company_id, payout.account_id, payout.amount_cents) == (
            world["seller"].company_id,
            None,
            5700,
        )
    buyer_only = make_company_member(app, sells=False, buys_wholesale=True)
    assert browser(app, buyer_only.email).get("/manager/payouts").status_code == 404


@pytest.mark.parametrize(
    "path",
    ["/manager/catalog", "/manager/shop", "/manager/commissions.csv"],
)
def test_manager_pages_are_404_for_everyone_else(app, world, path):
    assert world["buyer_browser"].get(path).status_code == 404
    assert browser(app, world["seller"].email).get(path).status_code == 404
    assert app.test_client().get(path).status_code == 404
    assert world["maya_browser"].get(path).status_code == 200


@pytest.mark.parametrize("path", ["/admin/managers", "/admin/payouts"])
def test_admin_pages_are_404_for_non_admins(app, world, path):
    assert world["maya_browser"].get(path).status_code == 404
    assert world["buyer_browser"].get(path).status_code == 404
    assert world["admin_browser"].get(path).status_code == 200


def test_non_admins_cannot_approve_managers_or_payouts(app, client, world):
    person = make_person(app, name="Pending Pat")
    token = token_for(client, person.email)
    client.post("/api/v1/b2m/apply", json={"shop_name": "Pat's Pairs"}, headers=token)
    assert world["maya_browser"].post(f"/admin/managers/{person.id}/approve").status_code == 404
    with app.app_context():
        assert db.session.get(Account, person.id).manager.status == "pending"
    assert world["buyer_browser"].post("/admin/payouts/1/approve").status_code == 404


def test_a_manager_cannot_add_their_own_shops_pair_to_their_cart(app, client, world):
    maya = world["maya"]
    shop_item(client, maya.headers, world["boots"].id, 9900)
    response = world["maya_browser"].post(
        f"/s/{maya.slug}/items/{world['boots'].id}",
        data={"variant_id": world["boots"].variants["42"], "quantity": 1},
    )
    assert response.status_code == 200
    assert "Managers cannot buy through their own shop." in flashes(page_text(response))
    assert (
        add_to_cart(client, maya.headers, world["boots"].variants["42"], 1, maya.slug).status_code
        == 409
    )
