"""API listings: create, update, read by who is looking (API.md, Listings)."""

import pytest

from models import Listing, Variant
from tests.helpers import count, make_company_member, make_listing, make_person, token_for


def new_listing(**overrides):
    body = {
        "title": "Summit GTX",
        "brand": "Granite Peak",
        "model": "Summit",
        "colorway": "Forest",
        "category": "hiking",
        "gender": "women",
        "description": "Waterproof.",
        "variants": [
            {"size_eu": "38", "sku": "SG-38", "stock": 4, "price_cents": 17999},
            {"size_eu": "38.5", "sku": "SG-385", "stock": 0, "price_cents": 17999},
            {"size_eu": 39, "sku": "SG-39", "stock": 2, "price_cents": 18999},
        ],
        "b2c": {"enabled": True},
    }
    body.update(overrides)
    return body


@pytest.fixture
def seller(app, client):
    account = make_company_member(app, "Granite Co")
    account.headers = token_for(client, account.email)
    return account


def test_a_seller_creates_a_listing_and_the_public_sees_it_without_stock_figures(client, seller):
    response = client.post("/api/v1/listings", json=new_listing(), headers=seller.headers)
    assert response.status_code == 201
    created = response.get_json()
    assert created["price_cents"] == 17999 and created["mode"] == "b2c"
    assert [(v["size_eu"], v["stock"], v["reserved"]) for v in created["variants"]] == [
        ("38", 4, 0),
        ("38.5", 0, 0),
        ("39", 2, 0),
    ]
    public = client.get(f"/api/v1/listings/{created['id']}").get_json()
    assert [(v["size_eu"], v["in_stock"]) for v in public["variants"]] == [
        ("38", True),
        ("38.5", False),
        ("39", True),
    ]
    assert all("stock" not in v and "reserved" not in v for v in public["variants"])
    assert public["seller"] == {"type": "company", "id": seller.company_id, "name": "Granite Co"}
    summary = client.get("/api/v1/listings?q=summit").get_json()["items"][0]
    assert summary["sizes_in_stock"] == ["38", "39"]
    assert summary["price_cents"] == 17999 and summary["condition"] == "new"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"variants": []}, "variants"),
        ({"category": "slippers"}, "category"),
        ({"title": ""}, "title"),
        (
            {"variants": [{"size_eu": "42.2", "sku": "A", "stock": 1, "price_cents": 100}]},
            "variants.0.size_eu",
        ),
        (
            {"variants": [{"size_eu": "42", "sku": "A", "stock": -1, "price_cents": 100}]},
            "variants.0.stock",
        ),
        (
            {"variants": [{"size_eu": "42", "sku": "A", "stock": 1, "price_cents": 99.5}]},
            "variants.0.price_cents",
        ),
        (
            {
                "variants": [
                    {"size_eu": "42", "sku": "A", "stock": 1, "price_cents": 1},
                    {"size_eu": "42", "sku": "B", "stock": 1, "price_cents": 1},
                ]
            },
            "variants.1.size_eu",
        ),
        (
            {
                "variants": [
                    {"size_eu": "42", "sku": "A", "stock": 1, "price_cents": 1},
                    {"size_eu": "43", "sku": "A", "stock": 1, "price_cents": 1},
                ]
            },
            "variants.1.sku",
        ),
    ],
)
def test_invalid_listings_are_422_and_write_nothing(app, client, seller, overrides, field):
    response = client.post(
        "/api/v1/listings", json=new_listing(**overrides), headers=seller.headers
    )
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]
    assert count(app, Listing) == 0 and count(app, Variant) == 0


def test_only_verified_sellers_may_create(app, client):
    body = new_listing()
    assert client.post("/api/v1/listings", json=body).status_code == 401
    for account in (make_person(app), make_company_member(app, verified=False)):
        response = client.post(
            "/api/v1/listings", json=body, headers=token_for(client, account.email)
        )
        assert response.status_code == 403
    assert count(app, Listing) == 0


def test_the_owner_patches_stock_price_and_status(client, seller):
    created = client.post("/api/v1/listings", json=new_listing(), headers=seller.headers).get_json()
    response = client.patch(
        f"/api/v1/listings/{created['id']}",
        json={
            "title": "Summit GTX 2",
            "variants": [
                {"sku": "SG-38", "stock": 10},
                {"sku": "SG-39", "price_cents": 15999},
                {"size_eu": "40", "sku": "SG-40", "stock": 1, "price_cents": 18999},
            ],
        },
        headers=seller.headers,
    )
    assert response.status_code == 200
    updated = response.get_json()
    assert updated["title"] == "Summit GTX 2"
    assert [(v["size_eu"], v["stock"], v["price_cents"]) for v in updated["variants"]] == [
        ("38", 10, 17999),
        ("38.5", 0, 17999),
        ("39", 2, 15999),
        ("40", 1, 18999),
    ]
    assert updated["price_cents"] == 15999
    archived = client.patch(
        f"/api/v1/listings/{created['id']}", json={"status": "archived"}, headers=seller.headers
    )
    assert archived.get_json()["status"] == "archived"
    assert client.get(f"/api/v1/listings/{created['id']}").status_code == 404
    assert (
        client.get(f"/api/v1/listings/{created['id']}", headers=seller.headers).status_code == 200
    )


def test_a_bad_patch_changes_nothing(app, client, seller):
    created = client.post("/api/v1/listings", json=new_listing(), headers=seller.headers).get_json()
    response = client.patch(
        f"/api/v1/listings/{created['id']}",
        json={
            "title": "Changed",
            "variants": [{"sku": "SG-38", "stock": 3}, {"size_eu": "41", "stock": 1}],
        },
        headers=seller.headers,
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "variants.1.sku": ["Enter a SKU."],
        "variants.1.price_cents": ["Enter the retail price."],
    }
    after = client.get(f"/api/v1/listings/{created['id']}", headers=seller.headers).get_json()
    assert after["title"] == "Summit GTX" and after["variants"][0]["stock"] == 4


def test_another_companys_listing_is_404_to_patch(app, client, seller):
    other = make_company_member(app)
    listing = make_listing(app, other.company_id)
    response = client.patch(
        f"/api/v1/listings/{listing.id}", json={"title": "Mine"}, headers=seller.headers
    )
    assert response.status_code == 404
    assert (
        client.patch(
            "/api/v1/listings/99999", json={"title": "x"}, headers=seller.headers
        ).status_code
        == 404
    )


@pytest.mark.parametrize(
    "query", ["per_page=101", "page=0", "sort=cheapest", "size_eu=x", "min_price_cents=-1"]
)
def test_bad_list_arguments_are_422(client, query):
    response = client.get(f"/api/v1/listings?{query}")
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]
