"""Who reads where an order goes: its buyer, its seller (who ships it) and admins; not the
manager whose shop sold it, who earns on the sale and needs no buyer's home address."""

from __future__ import annotations

import pytest

from tests.b2m_helpers import ADDRESS, buy_from_shop, make_manager, open_listing, shop_item
from tests.helpers import browser, make_admin, make_company_member, make_person, token_for


@pytest.fixture
def shop_sale(app, client):
    admin = make_admin(app)
    seller = make_company_member(app, "Stride Co")
    buyer = make_person(app, name="Bea Buyer")
    seller_headers = token_for(client, seller.email)
    manager = make_manager(app, client, token_for(client, admin.email), "Maya")
    boots = open_listing(client, seller_headers, base=6000, low=8000, high=12000)
    shop_item(client, manager.headers, boots.id, 9000)
    buyer_headers = token_for(client, buyer.email)
    order = buy_from_shop(client, buyer_headers, manager.slug, [(boots.variants["42"], 1)])
    return {
        "order_id": order["id"],
        "manager": manager,
        "seller": seller,
        "seller_headers": seller_headers,
        "buyer_headers": buyer_headers,
    }


def test_the_manager_of_a_shop_sale_does_not_get_the_buyers_address(app, client, shop_sale):
    order_id, manager = shop_sale["order_id"], shop_sale["manager"]
    one = client.get(f"/api/v1/orders/{order_id}", headers=manager.headers)
    assert one.status_code == 200
    assert "shipping_address" not in one.get_json()
    listed = client.get("/api/v1/orders?role=manager", headers=manager.headers).get_json()
    assert [item["id"] for item in listed["items"]] == [order_id]
    assert "shipping_address" not in listed["items"][0]

    page = browser(app, manager.email).get(f"/orders/{order_id}")
    assert page.status_code == 200
    assert ADDRESS["line1"] not in page.get_data(as_text=True)


def test_the_buyer_and_the_seller_still_read_the_address(app, client, shop_sale):
    order_id = shop_sale["order_id"]
    for headers in (shop_sale["buyer_headers"], shop_sale["seller_headers"]):
        one = client.get(f"/api/v1/orders/{order_id}", headers=headers).get_json()
        assert one["shipping_address"]["line1"] == ADDRESS["line1"]
    sold = client.get("/api/v1/orders?role=seller", headers=shop_sale["seller_headers"])
    assert sold.get_json()["items"][0]["shipping_address"]["line1"] == ADDRESS["line1"]
    page = browser(app, shop_sale["seller"].email).get(f"/seller/orders/{order_id}")
    assert ADDRESS["line1"] in page.get_data(as_text=True)
