"""Anonymous visitors share short-lived copies of catalog answers; signed-in people do not."""

import re

import pytest

from marketplace.extensions import db
from marketplace.services import listings
from models import Listing
from tests.helpers import login, make_company_member, make_listing, make_person, token_for


@pytest.fixture
def cached_app(make_app):
    return make_app(CACHE_TYPE="SimpleCache", CATALOG_CACHE_SECONDS=10)


def rename(app, listing_id: int, title: str) -> None:
    with app.app_context():
        listing = db.session.get(Listing, listing_id)
        listings.update_listing(listing_id, listing.company, {"title": title})


def test_visitors_share_a_cached_api_answer_and_signed_in_people_see_it_fresh(cached_app):
    app = cached_app
    seller = make_company_member(app)
    boot = make_listing(app, seller.company_id, {"42": 3}, 9999, title="Harbor Boot")
    visitor = app.test_client()
    first = visitor.get("/api/v1/listings?q=harbor")
    assert first.headers["Cache-Control"] == "public, max-age=10"
    assert [item["title"] for item in first.get_json()["items"]] == ["Harbor Boot"]
    detail = visitor.get(f"/api/v1/listings/{boot.id}").get_json()
    assert detail["title"] == "Harbor Boot"

    rename(app, boot.id, "Harbor Boot II")
    again = visitor.get("/api/v1/listings?q=harbor").get_json()
    assert [item["title"] for item in again["items"]] == ["Harbor Boot"]  # the shared copy
    assert visitor.get(f"/api/v1/listings/{boot.id}").get_json()["title"] == "Harbor Boot"

    owner = token_for(app.test_client(), seller.email)
    fresh = visitor.get(f"/api/v1/listings/{boot.id}", headers=owner)
    assert fresh.get_json()["title"] == "Harbor Boot II"
    assert "public" not in fresh.headers.get("Cache-Control", "")
    shopper = token_for(app.test_client(), make_person(app).email)
    found = visitor.get("/api/v1/listings?q=harbor", headers=shopper).get_json()
    assert [item["title"] for item in found["items"]] == ["Harbor Boot II"]


def test_visitors_share_the_catalog_results_and_signed_in_people_see_them_fresh(cached_app):
    app = cached_app
    seller = make_company_member(app)
    boot = make_listing(app, seller.company_id, {"42": 3}, 9999, title="Harbor Boot")
    visitor = app.test_client()
    assert "Harbor Boot" in visitor.get("/catalog?q=boot").get_data(as_text=True)
    rename(app, boot.id, "Quayside Boot")
    page = visitor.get("/catalog?q=boot").get_data(as_text=True)
    assert "Harbor Boot" in page and "Quayside Boot" not in page
    assert "Sign in" in page  # the page around the results is the visitor's own

    member = app.test_client()
    login(member, make_person(app).email)
    page = member.get("/catalog?q=boot").get_data(as_text=True)
    assert "Quayside Boot" in page and "Harbor Boot" not in page


def test_result_counts_are_reused_for_other_sorts_and_pages(cached_app):
    app = cached_app
    seller = make_company_member(app)
    for n in range(3):
        make_listing(app, seller.company_id, {"42": 1}, 5000 + n, title=f"Dock Shoe {n}")
    shopper = token_for(app.test_client(), make_person(app).email)
    client = app.test_client()
    assert client.get("/api/v1/listings?q=dock", headers=shopper).get_json()["total"] == 3
    make_listing(app, seller.company_id, {"42": 1}, 7000, title="Dock Shoe 3")
    resorted = client.get("/api/v1/listings?q=dock&sort=price_desc", headers=shopper).get_json()
    assert resorted["total"] == 3  # the count is remembered for a while
    assert len(resorted["items"]) == 4  # the items are always current


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_a_shared_listing_page_carries_each_visitors_own_form_token(make_app):
    app = make_app(CACHE_TYPE="SimpleCache", WTF_CSRF_ENABLED=True)
    seller = make_company_member(app)
    boot = make_listing(app, seller.company_id, {"42": 3}, 9999, title="Harbor Boot")
    first, second = app.test_client(), app.test_client()
    page_one = first.get(f"/listings/{boot.id}").get_data(as_text=True)
    rename(app, boot.id, "Quayside Boot")
    page_two = second.get(f"/listings/{boot.id}").get_data(as_text=True)
    assert "Harbor Boot" in page_two  # the shared copy
    assert "__solemate_csrf_token__" not in page_one + page_two
    assert csrf_of(page_one) != csrf_of(page_two)
    added = second.post(
        "/cart/add",
        data={"csrf_token": csrf_of(page_two), "variant_id": boot.variants["42"], "quantity": 1},
    )
    assert added.status_code == 302
    # with a pair in the cart (and the flash about it) the visitor's pages are their own
    page = second.get(f"/listings/{boot.id}").get_data(as_text=True)
    assert "Quayside Boot" in page and '<span class="badge">1</span>' in page


def test_copies_cached_together_expire_at_different_moments(cached_app, monkeypatch):
    """Every popular page is cached in the same few seconds after a start; if they all
    expired one lifetime later, every worker would recompute at once."""
    app = cached_app  # CATALOG_CACHE_SECONDS=10: each copy lives 5 to 15 s
    seller = make_company_member(app)
    boots = [make_listing(app, seller.company_id, {"42": 3}, 9999, title="Old") for _ in range(30)]
    clock = [1_000_000.0]
    monkeypatch.setattr("cachelib.simple.time", lambda: clock[0])
    visitor = app.test_client()

    def titles() -> list[str]:
        return [visitor.get(f"/api/v1/listings/{b.id}").get_json()["title"] for b in boots]

    assert titles() == ["Old"] * 30
    for boot in boots:
        rename(app, boot.id, "New")
    clock[0] += 4.9
    assert titles() == ["Old"] * 30  # none has lived half its lifetime
    clock[0] += 5.1
    halfway = titles()
    assert 0 < halfway.count("New") < 30  # some copies expired, the others still serve
    clock[0] += 5.1
    assert titles() == ["New"] * 30  # every copy of the first round has expired
