"""Numbers typed into query strings, hidden fields, form rows and CSV files: what is not a
whole number in ASCII digits is refused or ignored like any bad value, never a 500.

`str.isdigit()` also says yes to digits `int()` cannot read ("²", "①") and to digit runs
longer than `int()` converts (4,300 digits), so a check made with it let such input through
to a crash.
"""

from __future__ import annotations

import io

import pytest

from models import WholesaleCartLine
from tests.c2c_helpers import PAIR_FACTS
from tests.helpers import browser, count, image_bytes, make_person, make_seller, token_for
from tests.wholesale_helpers import make_buyer, make_wholesale_listing

NOT_NUMBERS = ["²", "9" * 5000]


def test_ids_in_query_strings_are_no_id_or_an_unknown_one(app):
    client = browser(app, make_person(app).email)
    not_a_number = client.get("/sell", query_string={"resell": "²"})
    assert not_a_number.status_code == 200  # no purchase named: the plain sell form
    assert "Bought on Solemate" not in not_a_number.get_data(as_text=True)
    too_long = client.get("/sell", query_string={"resell": "9" * 5000})
    assert too_long.status_code == 302  # an id no row has: back to the orders, as for any
    assert too_long.headers["Location"].endswith("/orders")


@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_wholesale_cart_quantities_and_sizes(app, text):
    seller = make_seller(app)
    listing = make_wholesale_listing(app, seller.company_id)
    buyer = make_buyer(app)
    client = browser(app, buyer.email)
    url = f"/wholesale/listings/{listing.id}/cart"
    quantity = client.post(url, data={f"size-{listing.variants['42']}": text})
    assert quantity.status_code < 500
    assert count(app, WholesaleCartLine) == 0
    size = client.post(url, data={f"size-{text}": "12"})
    assert size.status_code < 500
    assert count(app, WholesaleCartLine) == 0


def test_a_wholesale_cart_line_above_a_million_pairs_is_refused_with_the_reason(app):
    listing = make_wholesale_listing(app, make_seller(app).company_id)
    client = browser(app, make_buyer(app).email)
    url = f"/wholesale/listings/{listing.id}/cart"
    refused = client.post(url, data={f"size-{listing.variants['42']}": "1000001"})
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "At most 1,000,000 per line." in page
    assert count(app, WholesaleCartLine) == 0


@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_seller_console_rows(app, text):
    seller = make_seller(app)
    listing = make_wholesale_listing(app, seller.company_id)
    client = browser(app, seller.email)
    form = {
        "title": "Trail Runner",
        "brand": "Acme",
        "model": "Runner 1",
        "category": "running",
        "gender": "men",
        "b2c_enabled": "y",
        "variants-0-id": text,
        "variants-0-size_eu": "42",
        "variants-0-sku": "ROW-42",
        "variants-0-stock": "5",
        "variants-0-price": "99.00",
        "prepacks-0-name": "Run",
        "prepacks-0-sizes": f"42:{text}",
    }
    response = client.post(f"/seller/listings/{listing.id}/edit", data=form)
    assert response.status_code < 500


@pytest.mark.parametrize("text", NOT_NUMBERS)
@pytest.mark.parametrize("column", ["quantity", "prepack_id"])
def test_wholesale_csv_orders_name_the_bad_line(app, client, text, column):
    seller = make_seller(app)
    listing = make_wholesale_listing(app, seller.company_id)
    headers = token_for(client, make_buyer(app).email)
    pack = listing.prepacks["Run of 6"]
    body = {
        "quantity": f"sku,quantity\n{listing.skus['42']},{text}\n",
        "prepack_id": f"prepack_id,quantity\n{text},2\n{pack},2\n",
    }[column]
    response = client.post(
        "/api/v1/b2b/orders/import",
        data=body,
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert response.status_code == 422, response.get_json()
    [line] = response.get_json()["error"]["lines"]
    assert line["line"] == 2


@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_used_pair_prices_in_the_api(app, client, text):
    headers = token_for(client, make_person(app).email)
    response = client.post(
        "/api/v1/c2c/listings",
        data={
            **PAIR_FACTS,
            "price_cents": text,
            "photos": [(io.BytesIO(image_bytes()), "pair.jpg")],
        },
        headers=headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 422, response.get_json()
    assert "price_cents" in response.get_json()["error"]["fields"]
