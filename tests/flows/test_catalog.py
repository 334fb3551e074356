"""Finding shoes: full-text search, filters that combine, sorting, paging, size systems."""

import re

import pytest

from tests.helpers import make_company_member, make_listing


@pytest.fixture
def shelf(app):
    seller = make_company_member(app, "Shelf Co")
    pairs = {
        "runner": make_listing(
            app,
            seller.company_id,
            {"41": 2, "42": 0, "43": 4},
            12000,
            title="Aerostride Glide 3 Ocean Blue",
            brand="Aerostride",
            model="Glide 3",
            colorway="Ocean Blue",
            category="running",
            gender="men",
        ),
        "court": make_listing(
            app,
            seller.company_id,
            {"42": 3},
            9000,
            title="Cobalt Court Vision White",
            brand="Cobalt",
            model="Court Vision",
            colorway="Triple White",
            category="basketball",
            gender="unisex",
        ),
        "boot": make_listing(
            app,
            seller.company_id,
            {"38": 1, "39": 1},
            18000,
            title="Granite Summit GTX",
            brand="Granite Peak",
            model="Summit GTX",
            colorway="Forest",
            category="hiking",
            gender="women",
            description="Waterproof leather hiking boot",
        ),
        "kids": make_listing(
            app,
            seller.company_id,
            {"30": 5},
            4500,
            title="Aerostride Glide Kids Ocean",
            brand="Aerostride",
            model="Glide Kids",
            colorway="Ocean Blue",
            category="running",
            gender="kids",
        ),
    }
    return pairs


def titles(client, query: str) -> list[str]:
    page = client.get(f"/api/v1/listings?{query}").get_json()
    return [item["title"] for item in page["items"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=aerostride", {"Aerostride Glide 3 Ocean Blue", "Aerostride Glide Kids Ocean"}),
        ("q=summit", {"Granite Summit GTX"}),
        ("q=ocean+blue", {"Aerostride Glide 3 Ocean Blue", "Aerostride Glide Kids Ocean"}),
        ("q=court+white", {"Cobalt Court Vision White"}),
        ("q=glid", {"Aerostride Glide 3 Ocean Blue", "Aerostride Glide Kids Ocean"}),
        ("q=waterproof", {"Granite Summit GTX"}),
        ("q=GLIDE+forest", set()),
        ("q=%22%29+OR+1%3D1+--", set()),
    ],
)
def test_search_finds_by_brand_model_and_colorway_words(client, shelf, query, expected):
    assert set(titles(client, query)) == expected


def test_filters_combine(client, shelf):
    assert titles(client, "brand=aerostride&gender=men") == ["Aerostride Glide 3 Ocean Blue"]
    # men's filter also shows unisex shoes
    assert set(titles(client, "gender=men&size_eu=42")) == {"Cobalt Court Vision White"}
    assert titles(client, "size_eu=43&max_price_cents=12000") == ["Aerostride Glide 3 Ocean Blue"]
    assert titles(client, "size_eu=43&max_price_cents=11999") == []
    assert titles(client, "category=hiking&min_price_cents=18000") == ["Granite Summit GTX"]
    assert titles(client, "q=glide&category=running&gender=kids") == ["Aerostride Glide Kids Ocean"]
    assert titles(client, "condition=good") == []
    assert titles(client, "mode=c2c") == []
    assert len(titles(client, "mode=b2c")) == 4


def test_size_filter_only_counts_sizes_in_stock(client, shelf):
    assert "Aerostride Glide 3 Ocean Blue" not in titles(client, "size_eu=42")


def test_sorting_by_price_and_relevance(app, client, shelf):
    assert titles(client, "sort=price_asc") == [
        "Aerostride Glide Kids Ocean",
        "Cobalt Court Vision White",
        "Aerostride Glide 3 Ocean Blue",
        "Granite Summit GTX",
    ]
    assert titles(client, "sort=price_desc")[0] == "Granite Summit GTX"
    # a word in the title counts for more than the same word in a description
    seller = make_company_member(app)
    make_listing(
        app,
        seller.company_id,
        {"44": 1},
        5000,
        title="Plain Trainer",
        brand="Basic",
        model="Trainer",
        colorway="Grey",
        description="Waterproof upper for wet runs",
    )
    make_listing(
        app,
        seller.company_id,
        {"44": 1},
        5000,
        title="Waterproof Trainer",
        brand="Basic",
        model="Trainer WP",
        colorway="Grey",
    )
    ranked = titles(client, "q=waterproof")
    assert ranked[0] == "Waterproof Trainer"
    assert set(ranked) == {"Waterproof Trainer", "Plain Trainer", "Granite Summit GTX"}


@pytest.mark.parametrize("sort", ["price_asc", "price_desc", "newest"])
@pytest.mark.parametrize("query", ["", "q=ocean", "gender=men", "size_eu=42"])
def test_pages_are_the_same_whether_matches_are_sorted_or_an_index_is_walked(
    client, shelf, monkeypatch, sort, query
):
    from marketplace.services import catalog

    def pages() -> list[list[str]]:
        return [titles(client, f"{query}&sort={sort}&per_page=1&page={n}") for n in (1, 2, 3)]

    few_matches = pages()  # the test shelf is small: its matches are sorted
    monkeypatch.setattr(catalog, "SORT_MATCHES_UP_TO", -1)  # as when matches are many
    assert pages() == few_matches
    assert few_matches[0]


def test_paging_reports_the_total_and_the_page(client, shelf):
    first = client.get("/api/v1/listings?per_page=3&sort=price_asc").get_json()
    second = client.get("/api/v1/listings?per_page=3&page=2&sort=price_asc").get_json()
    assert (first["total"], first["page"], first["per_page"], len(first["items"])) == (4, 1, 3, 3)
    assert [item["title"] for item in second["items"]] == ["Granite Summit GTX"]


def test_the_catalog_page_shows_results_and_filters(client, shelf):
    page = client.get("/catalog?q=glide&gender=men&min_price=100&max_price=150").get_data(
        as_text=True
    )
    assert "Aerostride Glide 3 Ocean Blue" in page
    assert "Glide Kids" not in page
    assert re.search(r"<strong>1</strong>\s+pair", page)


def test_bad_filter_values_are_ignored_with_a_message(client, shelf):
    response = client.get("/catalog?size_eu=banana&min_price=cheap&sort=sideways")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Ignored size: " in page and "Ignored sort" in page
    assert "Min price" in page and "Granite Summit GTX" in page


def test_a_page_past_the_last_links_to_the_last_and_crossed_prices_are_explained(client, shelf):
    past = client.get("/catalog?page=999&per_page=12").get_data(as_text=True)
    assert "No pairs match" not in past
    assert re.search(r'only 1 page of pairs\. <a href="[^"]*page=1[^"]*">Go to the last page', past)
    crossed = client.get("/catalog?min_price=200&max_price=50").get_data(as_text=True)
    assert "The min price is above the max price, so no pair can match." in crossed


def test_a_search_without_results_suggests_what_fits_the_filters_set(client, shelf):
    """'Try fewer filters' was said to a shopper who had set none; a bare search with no
    results now suggests checking the spelling, a broader word or browsing every pair."""
    page = client.get("/catalog?q=zzyzx+glide&sort=newest").get_data(as_text=True)
    assert "No pairs match “zzyzx glide”." in page
    assert "Check the spelling, try a broader word" in page
    assert re.search(r'<a href="/catalog">browse all pairs</a>', page)
    assert "filters" not in page.split('class="cards"')[1]

    filtered = client.get("/catalog?q=glide&brand=Zedd").get_data(as_text=True)
    assert "No pairs match. Try fewer filters" in filtered
    assert re.search(r'<a href="/catalog\?q=glide">search all pairs for “glide”</a>', filtered)
    assert "Check the spelling" not in filtered


def test_the_listing_page_switches_size_systems(client, shelf):
    listing_id = shelf["runner"].id
    page = client.get(f"/listings/{listing_id}").get_data(as_text=True)
    assert "EU 41" in page and "EU 43" in page
    us = client.get(f"/listings/{listing_id}?system=us").get_data(as_text=True)
    assert "US 8" in us and "US 9.5" in us and "EU 41" not in us
    # the choice sticks for the visit
    assert "UK 7" in client.get(f"/listings/{listing_id}?system=uk").get_data(as_text=True)
    assert "UK 8.5" in client.get(f"/listings/{listing_id}").get_data(as_text=True)
    assert "CN 260" in client.get(f"/listings/{listing_id}?system=cn").get_data(as_text=True)


def test_the_listing_page_shows_stock_per_size(client, shelf):
    page = client.get(f"/listings/{shelf['runner'].id}").get_data(as_text=True)
    assert "only 2 left" in page and "sold out" in page and "4 in stock" in page


def test_unknown_listing_is_not_found(client, shelf):
    assert client.get("/listings/987654").status_code == 404
    assert client.get("/api/v1/listings/987654").status_code == 404


def test_a_catalog_page_costs_the_same_queries_whatever_its_size(app, client):
    from bench.common import counting_queries
    from marketplace.extensions import db

    seller = make_company_member(app)

    def queries(url: str) -> int:
        client.get("/catalog")  # warm the cached brand list
        with app.app_context():
            engine = db.engine
        with counting_queries(engine) as counter:
            assert client.get(url).status_code == 200
        return counter[0]

    for n in range(3):
        make_listing(app, seller.company_id, {"41": 1, "42": 2}, title=f"Pair {n}")
    small = [queries(f"/catalog?per_page={n}") for n in (1, 3)] + [
        queries("/api/v1/listings?per_page=1")
    ]
    for n in range(3, 12):
        make_listing(app, seller.company_id, {"41": 1, "42": 2, "43": 3}, title=f"Pair {n}")
    large = [queries(f"/catalog?per_page={n}") for n in (1, 12)] + [
        queries("/api/v1/listings?per_page=12")
    ]
    assert small == large
    assert small[0] == small[1]


def test_catalog_cards_show_price_stock_and_photo(app, client, shelf):
    seller = make_company_member(app, "Empty Shelf Co")
    make_listing(app, seller.company_id, {"40": 0, "41": 0}, 7000, title="Gone Runner")
    page = client.get("/catalog?q=runner").get_data(as_text=True)
    card = page[page.index("Gone Runner") :].split("</a>")[0]
    assert "$70.00" in card and "Sold out" in card
    stocked = client.get("/catalog?q=granite").get_data(as_text=True)
    card = stocked[stocked.index("Granite Summit GTX") :].split("</a>")[0]
    assert "$180.00" in card and "Sold out" not in card
    assert "img/no-photo.svg" in stocked  # the shelf's listings have no photos
    api = client.get("/api/v1/listings?q=gone").get_json()["items"]
    assert [(item["sizes_in_stock"], item["photo_url"]) for item in api] == [([], None)]
