"""Wholesale on the pages: the size matrix and the wholesale cart, minimum order values, CSV
orders, quotes, printable and overdue invoices, reorders, who may see wholesale at all, and
wholesale terms in the seller console."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from html import unescape
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from marketplace import clock
from marketplace.extensions import db
from marketplace.services import ledger, listings
from models import Company, Invoice, Listing, Order, Prepack, Quote, Tier, WholesaleCartLine
from tests.helpers import (
    add_member,
    count,
    login,
    make_company_member,
    make_person,
    token_for,
)
from tests.wholesale_helpers import (
    CARD_OK,
    TIERS,
    balance,
    balanced,
    make_buyer,
    make_wholesale_listing,
    mixed_lines,
    order_body,
    stocks,
)

MARCH_1 = datetime(2030, 3, 1, 10, 0)


@pytest.fixture
def trade(app):
    """Northpaw sells a wholesale listing (MOQ 12; tiers 12, 48, 120; a prepack of six);
    Corner Shoes buys wholesale; each has a signed-in browser. 1 March 2030."""
    clock.set_now(MARCH_1)
    seller = make_company_member(app, "Northpaw Footwear")
    listing = make_wholesale_listing(app, seller.company_id, title="Court Classic")
    buyer = make_buyer(app, "Corner Shoes", credit_limit_cents=1_000_000)
    buyer_browser, seller_browser = app.test_client(), app.test_client()
    login(buyer_browser, buyer.email)
    login(seller_browser, seller.email)
    return {
        "seller": seller,
        "listing": listing,
        "pack": listing.prepacks["Run of 6"],
        "buyer": buyer,
        "browser": buyer_browser,
        "seller_browser": seller_browser,
    }


def path_of(response) -> str:
    return urlsplit(response.headers["Location"]).path


def fill_matrix(browser, listing, sizes: dict[str, int], packs: int = 0):
    form = {f"size-{listing.variants[size]}": str(n) for size, n in sizes.items()}
    if packs:
        form[f"pack-{listing.prepacks['Run of 6']}"] = str(packs)
    response = browser.post(f"/wholesale/listings/{listing.id}/cart", data=form)
    assert response.status_code == 302, response.text[:2000]
    return response


def place_from_cart(browser, **form):
    data = {"payment_terms": "net30", "po_number": "", "card_number": "", **form}
    return browser.post("/wholesale/cart", data=data)


def order_id_of(response) -> int:
    found = re.fullmatch(r"/orders/(\d+)", path_of(response))
    assert found, response.headers.get("Location")
    return int(found.group(1))


def api_order(app, client, email, lines, **terms):
    response = client.post(
        "/api/v1/b2b/orders",
        json=order_body(lines=lines, **terms),
        headers=token_for(client, email),
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def text_of(html: str) -> str:
    """The page's words without tags, for assertions about what a reader sees."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


# The size matrix, the cart and placing the order.


def test_the_size_matrix_fills_the_cart_which_shows_the_tier_and_places_an_invoice(app, trade):
    browser, listing = trade["browser"], trade["listing"]
    page = browser.get(f"/wholesale/listings/{listing.id}")
    assert page.status_code == 200
    words = text_of(page.text)
    assert "Minimum order 12 pairs" in words
    assert "12–47 $50.50" in words and "48–119 $45.50" in words and "120+ $40.50" in words
    assert "Run of 6" in words and "EU 40×1, EU 41×2, EU 42×2, EU 43×1" in words
    response = fill_matrix(browser, listing, {"40": 20, "41": 20, "42": ""}, packs=2)
    assert path_of(response) == "/wholesale/cart"
    with app.app_context():
        rows = db.session.scalars(select(WholesaleCartLine).order_by(WholesaleCartLine.id)).all()
        assert sorted((r.variant_id or 0, r.prepack_id or 0, r.quantity) for r in rows) == sorted(
            [
                (listing.variants["40"], 0, 20),
                (listing.variants["41"], 0, 20),
                (0, trade["pack"], 2),
            ]
        )
    cart = text_of(browser.get("/wholesale/cart").text)
    # 20 + 20 + 2 packs of 6 = 52 pairs: the tier from 48 pairs, $45.50 a pair
    assert "52 pairs · tier from 48 pairs" in cart
    assert "Run of 6 ×2" in cart and "$45.50" in cart
    assert "Total $2,366.00" in cart
    assert "first order" in cart and "⚠" not in cart
    assert stocks(app, listing)["41"] == (200, 0)  # a cart holds nothing

    placed = place_from_cart(browser, po_number="PO-WEB-1")
    assert placed.status_code == 302, text_of(placed.text)[:2000]
    order_id = order_id_of(placed)
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert (order.mode, order.status, order.po_number, order.payment_terms) == (
            "b2b",
            "invoiced",
            "PO-WEB-1",
            "net30",
        )
        assert (order.subtotal_cents, order.fee_cents, order.total_cents) == (236600, 7098, 236600)
        assert order.due_date == MARCH_1 + timedelta(days=30)
        assert ledger.balance(ledger.RECEIVABLES) == 236600
        assert ledger.trial_balance()["balanced"]
    assert count(app, WholesaleCartLine) == 0
    assert stocks(app, listing) == {
        "40": (200 - 20 - 2, 0),
        "41": (200 - 20 - 4, 0),
        "42": (200 - 4, 0),
        "43": (200 - 2, 0),
    }
    order_page = text_of(browser.get(f"/orders/{order_id}").text)
    assert "PO-WEB-1" in order_page and "due 31 Mar 2030" in order_page
    # sizes that came in a prepack say so, for the buyer, the seller who packs them and
    # on the invoice; single sizes of the same SKU stand apart
    sellers_page = text_of(trade["seller_browser"].get(f"/seller/orders/{order_id}").text)
    invoice = text_of(browser.get(f"/wholesale/invoices/{order_id}").text)
    for page in (order_page, sellers_page, invoice):
        assert page.count("in prepack Run of 6") == 4  # sizes 40, 41, 42 and 43
        assert "EU 41 in prepack Run of 6" in page


def test_the_matrix_replaces_what_the_cart_held_of_the_listing(app, trade):
    browser, listing = trade["browser"], trade["listing"]
    fill_matrix(browser, listing, {"40": 30})
    fill_matrix(browser, listing, {"42": 12})
    with app.app_context():
        rows = db.session.scalars(select(WholesaleCartLine)).all()
        assert [(r.variant_id, r.quantity) for r in rows] == [(listing.variants["42"], 12)]
    page = text_of(browser.get(f"/wholesale/listings/{listing.id}").text)
    assert "Put in wholesale cart" in page


def test_the_cart_shows_what_blocks_the_order_and_refuses_to_place_it(app, trade):
    browser, listing = trade["browser"], trade["listing"]
    case = make_wholesale_listing(
        app,
        trade["seller"].company_id,
        order_multiple=2,
        tiers=[{"min_qty": 12, "unit_price_cents": 5000}],
        title="Case Boot",
    )
    fill_matrix(browser, listing, {"40": 5, "41": 5})
    fill_matrix(browser, case, {"40": 7, "41": 6})
    cart = text_of(browser.get("/wholesale/cart").text)
    assert "Court Classic: the minimum order is 12 pairs (sizes and prepacks together);" in cart
    assert "you have 10" in cart
    # below the MOQ the pairs are priced at the first tier, so the cart shows what they cost
    assert "10 pairs · tier from 12 pairs 10 $505.00" in cart
    assert "Case Boot, EU 40: 7 pairs are not a whole number of cases of 2; order 6 or 8." in cart
    assert "Fix the points above to order." in cart
    refused = place_from_cart(browser, po_number="PO-NO")
    assert refused.status_code == 200
    assert count(app, Order) == 0 and count(app, WholesaleCartLine) == 4
    assert stocks(app, case)["40"] == (200, 0)


def test_the_sellers_minimum_order_value_differs_for_first_orders_and_reorders(app, trade):
    settings = trade["seller_browser"].post(
        "/seller/settings", data={"min_order_first": "3000.00", "min_order_reorder": "700.00"}
    )
    assert settings.status_code == 302
    with app.app_context():
        company = db.session.get(Company, trade["seller"].company_id)
        assert (company.min_order_first_cents, company.min_order_reorder_cents) == (300000, 70000)
    browser, listing = trade["browser"], trade["listing"]
    fill_matrix(browser, listing, {"40": 20, "41": 20}, packs=2)  # 52 pairs, $2,366.00
    cart = text_of(browser.get("/wholesale/cart").text)
    assert (
        "Northpaw Footwear asks for at least $3,000.00 on a first order: add $634.00 more." in cart
    )
    assert place_from_cart(browser).status_code == 200 and count(app, Order) == 0

    fill_matrix(browser, listing, {"40": 30, "41": 26}, packs=2)  # 68 pairs, $3,094.00
    cart = text_of(browser.get("/wholesale/cart").text)
    assert "asks for at least" not in cart and "(minimum $3,000.00)" in cart
    order_id_of(place_from_cart(browser, po_number="PO-FIRST"))

    fill_matrix(browser, listing, {"42": 12})  # $606.00, now a reorder
    cart = text_of(browser.get("/wholesale/cart").text)
    assert "reorder" in cart
    assert "Northpaw Footwear asks for at least $700.00 on a reorder: add $94.00 more." in cart
    assert place_from_cart(browser).status_code == 200 and count(app, Order) == 1
    fill_matrix(browser, listing, {"42": 14})  # $707.00
    order_id_of(place_from_cart(browser, po_number="PO-SECOND"))
    assert count(app, Order) == 2


def test_minimum_order_values_must_be_amounts_of_zero_or_more(app, trade):
    response = trade["seller_browser"].post(
        "/seller/settings", data={"min_order_first": "-5.00", "min_order_reorder": "abc"}
    )
    assert response.status_code == 200
    page = text_of(response.text)
    assert "Enter an amount of zero or more." in page and "Enter an amount like 129.99." in page
    with app.app_context():
        company = db.session.get(Company, trade["seller"].company_id)
        assert (company.min_order_first_cents, company.min_order_reorder_cents) == (0, 0)


def test_a_size_sold_out_since_it_was_put_in_the_cart_refuses_the_order(app, client, trade):
    browser, listing = trade["browser"], trade["listing"]
    fill_matrix(browser, listing, {"41": 24}, packs=3)  # 30 pairs of EU 41 in all
    rival = make_buyer(app, "Rival Shoes")
    api_order(app, client, rival.email, [{"variant_id": listing.variants["41"], "quantity": 180}])
    before = stocks(app, listing)
    response = place_from_cart(browser, po_number="PO-LATE")
    assert response.status_code == 200
    assert "Not enough stock: Court Classic, EU 41 (only 20 left)." in text_of(response.text)
    assert stocks(app, listing) == before
    assert count(app, Order) == 1 and count(app, WholesaleCartLine) == 2


def test_a_prepaid_cart_order_needs_a_valid_card(app, trade):
    browser, listing = trade["browser"], trade["listing"]
    fill_matrix(browser, listing, {"40": 12})
    response = place_from_cart(browser, payment_terms="prepaid", card_number="1234")
    assert "Enter a valid card number to pay now." in response.text
    assert count(app, Order) == 0
    paid = place_from_cart(browser, payment_terms="prepaid", card_number=CARD_OK)
    with app.app_context():
        assert db.session.get(Order, order_id_of(paid)).status == "paid"
        assert ledger.balance(ledger.CLEARING) == 12 * 5050
        assert ledger.balance(ledger.RECEIVABLES) == 0


# Orders from a CSV file.


def upload(browser, text: str, **form):
    data = {
        "file": (io.BytesIO(text.encode()), "order.csv"),
        "payment_terms": "net30",
        "po_number": "",
        "card_number": "",
        **form,
    }
    return browser.post("/wholesale/orders/import", data=data, content_type="multipart/form-data")


def test_the_csv_order_page_lists_the_bad_lines_and_orders_nothing(app, trade):
    skus = trade["listing"].skus
    text = f"sku,quantity\n{skus['40']},12\n{skus['41']},-3\nNOPE-1,6\n{skus['43']},12\n"
    before = stocks(app, trade["listing"])
    response = upload(trade["browser"], text, po_number="PO-CSV")
    assert response.status_code == 200
    page = text_of(response.text)
    assert "Nothing was ordered: fix these lines" in page
    assert "3 quantity must be a whole number of 1 or more, not '-3'." in page
    assert "4 no size with SKU 'NOPE-1' on wholesale." in page
    assert count(app, Order) == 0 and stocks(app, trade["listing"]) == before


def test_a_good_csv_file_on_the_page_places_the_order(app, trade):
    skus = trade["listing"].skus
    text = f"sku,quantity\n{skus['40']},24\n{skus['41']},24\n"
    response = upload(trade["browser"], text, po_number="PO-CSV-OK")
    assert response.status_code == 302
    with app.app_context():
        order = db.session.get(Order, order_id_of(response))
        assert (order.status, order.po_number, order.subtotal_cents) == (
            "invoiced",
            "PO-CSV-OK",
            48 * 4550,
        )


def test_the_listing_page_shows_the_skus_and_prepack_ids_a_csv_order_needs(app, trade):
    """The CSV order page sends the buyer to each listing's wholesale page for them."""
    listing = trade["listing"]
    page = text_of(trade["browser"].get(f"/wholesale/listings/{listing.id}").text)
    for size, sku in listing.skus.items():
        assert f"EU {size} SKU {sku}" in page
    assert f"EU 43×1 prepack_id {trade['pack']}" in page
    csv_help = text_of(trade["browser"].get("/wholesale/orders/import").text)
    assert "the prepack ids are on each listing's wholesale page" in csv_help
    text = f"prepack_id,quantity\n{trade['pack']},2\n"
    response = upload(trade["browser"], text, po_number="PO-PACKS")
    assert response.status_code == 302


# Quotes on the pages.


def test_a_quote_is_asked_answered_and_accepted_on_the_pages(app, trade):
    browser, listing = trade["browser"], trade["listing"]
    asked = browser.post(
        f"/wholesale/listings/{listing.id}/quote",
        data={"quantity": "60", "message": "Spring restock"},
    )
    assert asked.status_code == 302
    with app.app_context():
        quote_id = db.session.scalar(select(Quote.id))
    assert path_of(asked) == f"/wholesale/quotes/{quote_id}"
    seller = trade["seller_browser"]
    requests = text_of(seller.get("/seller/quotes").text)
    assert "Corner Shoes" in requests and "Spring restock" in requests
    # the answer's fields say what they are: the 14 is days of validity, not a price
    assert "Price per pair" in requests and "Valid for (days) " in requests
    assert "Note to the buyer (optional)" in requests
    answered = seller.post(
        f"/seller/quotes/{quote_id}/answer",
        data={"unit_price": "39.00", "valid_days": "7", "note": "Valid for this run"},
    )
    assert answered.status_code == 302
    page = text_of(browser.get(f"/wholesale/quotes/{quote_id}").text)
    assert "$39.00 per pair, $2,340.00 in all" in page and "08 Mar 2030, 10:00" in page
    assert "Accept with a size split" in page

    split = {f"size-{listing.variants[s]}": str(n) for s, n in {"40": 30, "41": 29}.items()}
    short = browser.post(f"/wholesale/quotes/{quote_id}", data={**split, "payment_terms": "net30"})
    assert "The sizes add up to 59 pairs; the quote is for 60." in text_of(short.text)
    assert count(app, Order) == 0
    split[f"size-{listing.variants['41']}"] = "30"
    accepted = browser.post(
        f"/wholesale/quotes/{quote_id}",
        data={**split, "payment_terms": "net30", "po_number": "PO-QUOTE"},
    )
    assert accepted.status_code == 302
    with app.app_context():
        order = db.session.get(Order, order_id_of(accepted))
        assert {line.unit_price_cents for line in order.lines} == {3900}
        assert (order.total_cents, order.po_number, order.status) == (
            234000,
            "PO-QUOTE",
            "invoiced",
        )
        assert db.session.get(Quote, quote_id).status == "accepted"
    # the accepted quote leads to the order it became, for the buyer and the seller
    order_id = order_id_of(accepted)
    assert f"accepted order #{order_id}" in text_of(browser.get("/wholesale/quotes").text)
    quote_page = browser.get(f"/wholesale/quotes/{quote_id}").text
    assert f'Order</dt><dd><a href="/orders/{order_id}">#{order_id}</a>' in quote_page
    sellers = seller.get("/seller/quotes").text
    assert f'<a href="/seller/orders/{order_id}">order #{order_id}</a>' in sellers


def test_an_expired_quote_can_no_longer_be_accepted_on_its_page(app, client, trade):
    browser, listing = trade["browser"], trade["listing"]
    browser.post(f"/wholesale/listings/{listing.id}/quote", data={"quantity": "24"})
    with app.app_context():
        quote_id = db.session.scalar(select(Quote.id))
    trade["seller_browser"].post(
        f"/seller/quotes/{quote_id}/answer", data={"unit_price": "45.00", "valid_days": "3"}
    )
    clock.set_now(MARCH_1 + timedelta(days=3, minutes=1))
    page = text_of(browser.get(f"/wholesale/quotes/{quote_id}").text)
    assert "This quote has expired." in page and "Accept with a size split" not in page
    split = {f"size-{listing.variants['40']}": "24", "payment_terms": "net30"}
    refused = browser.post(f"/wholesale/quotes/{quote_id}", data=split)
    assert "This quote has expired; ask for a new one." in text_of(refused.text)
    assert count(app, Order) == 0


# Invoices: printable, payable, overdue.


def test_the_printable_invoice_shows_parties_po_lines_tiers_and_due_date(app, client, trade):
    placed = api_order(
        app, client, trade["buyer"].email, mixed_lines(trade["listing"], 24), po_number="PO-INV-7"
    )
    page = trade["browser"].get(f"/wholesale/invoices/{placed['id']}")
    assert page.status_code == 200
    words = text_of(page.text)
    assert f"No. INV-{placed['id']:06d}" in words
    assert "Seller Northpaw Footwear" in words
    assert "Bill to Corner Shoes" in words and "PO PO-INV-7" in words
    assert "Due 31 Mar 2030" in words and "OVERDUE" not in words
    assert trade["listing"].skus["41"] in words and "EU 41" in words
    assert "Court Classic: 24 pairs at $50.50" in words
    assert "Court Classic: 24 pairs at $50.50 (tier from 12 pairs)" in words
    assert "Total due $1,212.00" in words and "Status: open" in words
    seller_view = trade["seller_browser"].get(f"/wholesale/invoices/{placed['id']}")
    assert seller_view.status_code == 200 and "Pay $1,212.00" not in seller_view.text
    listed = text_of(trade["browser"].get("/wholesale/invoices").text)
    assert "Credit limit $10,000.00: $1,212.00 on open invoices, $8,788.00 left" in listed

    paid = trade["browser"].post(
        f"/wholesale/invoices/{placed['id']}", data={"card_number": CARD_OK}
    )
    assert paid.status_code == 302
    after = text_of(trade["browser"].get(f"/wholesale/invoices/{placed['id']}").text)
    assert "Status: paid" in after and "paid 01 Mar 2030" in after
    listed = text_of(trade["browser"].get("/wholesale/invoices").text)
    assert "Credit limit $10,000.00: $0.00 on open invoices, $10,000.00 left" in listed
    assert "Pay $1,212.00" not in after
    assert balance(app, ledger.RECEIVABLES) == 0 and balance(app, ledger.CLEARING) == 121200
    with app.app_context():
        assert db.session.get(Order, placed["id"]).status == "paid"
    assert balanced(app)


def test_an_issued_invoice_keeps_the_tiers_it_was_priced_with(app, client, trade):
    placed = api_order(app, client, trade["buyer"].email, mixed_lines(trade["listing"], 24))
    with app.app_context():
        company = db.session.get(Company, trade["seller"].company_id)
        new_tiers = [{"min_qty": 10, "unit_price_cents": 5275}]
        listings.update_listing(
            trade["listing"].id, company, {"b2b": {"enabled": True, "moq": 12, "tiers": new_tiers}}
        )
    words = text_of(trade["browser"].get(f"/wholesale/invoices/{placed['id']}").text)
    assert "Court Classic: 24 pairs at $50.50" in words
    assert "(tier from 12 pairs)" in words and "$52.75" not in words


def test_an_invoice_past_due_is_flagged_overdue_for_buyer_and_seller(app, client, trade):
    late = api_order(app, client, trade["buyer"].email, mixed_lines(trade["listing"], 12))
    clock.set_now(MARCH_1 + timedelta(days=10))
    on_time = api_order(
        app, client, trade["buyer"].email, mixed_lines(trade["listing"], 12), po_number="PO-NEW"
    )
    tag = 'class="tag overdue"'
    assert tag not in trade["browser"].get("/wholesale/invoices").text
    clock.set_now(MARCH_1 + timedelta(days=30, hours=1))
    buyer_list = trade["browser"].get("/wholesale/invoices").text
    seller_list = trade["seller_browser"].get("/seller/invoices").text
    for page, late_link in (
        (buyer_list, f">Invoice for #{late['id']}</a>"),
        (seller_list, f">INV-{late['id']:06d}</a>"),
    ):
        assert page.count(tag) == 1
        assert tag in next(row for row in page.split("<tr>") if late_link in row)
    assert "OVERDUE" in trade["browser"].get(f"/wholesale/invoices/{late['id']}").text
    assert "OVERDUE" not in trade["browser"].get(f"/wholesale/invoices/{on_time['id']}").text
    trade["browser"].post(f"/wholesale/invoices/{late['id']}", data={"card_number": CARD_OK})
    assert tag not in trade["browser"].get("/wholesale/invoices").text


# Reorders on the pages.


def test_the_web_reorder_fills_the_cart_at_todays_prices(app, client, trade):
    first = api_order(app, client, trade["buyer"].email, mixed_lines(trade["listing"], 24))
    with app.app_context():
        company = db.session.get(Company, trade["seller"].company_id)
        listings.update_listing(
            trade["listing"].id,
            company,
            {
                "b2b": {
                    "enabled": True,
                    "moq": 12,
                    "tiers": [
                        {"min_qty": 10, "unit_price_cents": 5275},
                        {"min_qty": 50, "unit_price_cents": 4775},
                    ],
                }
            },
        )
    response = trade["browser"].post(f"/wholesale/orders/{first['id']}/reorder")
    assert response.status_code == 302 and path_of(response) == "/wholesale/cart"
    with app.app_context():
        rows = db.session.scalars(select(WholesaleCartLine)).all()
        assert sorted((r.variant_id or 0, r.prepack_id or 0, r.quantity) for r in rows) == sorted(
            (line.get("variant_id", 0), line.get("prepack_id", 0), line["quantity"])
            for line in mixed_lines(trade["listing"], 24)
        )
    cart = text_of(trade["browser"].get("/wholesale/cart").text)
    assert "24 pairs · tier from 10 pairs" in cart and "$52.75" in cart
    assert "Total $1,266.00" in cart and "reorder" in cart
    again = order_id_of(place_from_cart(trade["browser"], po_number="PO-AGAIN"))
    with app.app_context():
        assert db.session.get(Order, again).subtotal_cents == 24 * 5275
        assert db.session.get(Order, first["id"]).subtotal_cents == 24 * 5050
    other = app.test_client()
    login(other, make_buyer(app, "Other Shop").email)
    assert other.post(f"/wholesale/orders/{first['id']}/reorder").status_code == 404


# Who may see wholesale.


WHOLESALE_PAGES = [
    "/wholesale/",
    "/wholesale/listings/{id}",
    "/wholesale/cart",
    "/wholesale/quotes",
]


@pytest.mark.parametrize("who", ["person", "unverified buyer", "seller-only company"])
@pytest.mark.parametrize("path", WHOLESALE_PAGES)
def test_wholesale_pages_are_not_found_for_everyone_else(app, trade, who, path):
    account = {
        "person": lambda: make_person(app),
        "unverified buyer": lambda: make_buyer(app, verified=False),
        "seller-only company": lambda: make_company_member(app, "Just Sells"),
    }[who]()
    browser = app.test_client()
    login(browser, account.email)
    assert browser.get(path.format(id=trade["listing"].id)).status_code == 404
    form = {f"size-{trade['listing'].variants['40']}": "24"}
    posted = browser.post(f"/wholesale/listings/{trade['listing'].id}/cart", data=form)
    assert posted.status_code == 404 and count(app, WholesaleCartLine) == 0
    retail = browser.get(f"/listings/{trade['listing'].id}").text
    assert "$50.50" not in retail and "Wholesale" not in text_of(retail)


@pytest.mark.parametrize("path", WHOLESALE_PAGES)
def test_wholesale_pages_send_visitors_to_sign_in(app, trade, path):
    response = app.test_client().get(path.format(id=trade["listing"].id))
    assert response.status_code == 302 and path_of(response) == "/account/login"


@pytest.mark.parametrize("path", WHOLESALE_PAGES)
def test_wholesale_pages_open_for_a_verified_buyer(trade, path):
    assert trade["browser"].get(path.format(id=trade["listing"].id)).status_code == 200


def test_colleagues_share_orders_quotes_and_invoices_and_outsiders_see_none(app, client, trade):
    placed = api_order(
        app, client, trade["buyer"].email, mixed_lines(trade["listing"], 24), po_number="PO-TEAM"
    )
    trade["browser"].post(
        f"/wholesale/listings/{trade['listing'].id}/quote", data={"quantity": "48"}
    )
    with app.app_context():
        quote_id = db.session.scalar(select(Quote.id))
    colleague = add_member(app, trade["buyer"].company_id)
    browser = app.test_client()
    login(browser, colleague.email)
    orders_page = text_of(browser.get("/wholesale/orders").text)
    assert f"#{placed['id']}" in orders_page and "PO-TEAM" in orders_page
    assert "Bea Business" in orders_page  # who placed it
    assert f"#{quote_id}" in text_of(browser.get("/wholesale/quotes").text)
    assert browser.get(f"/wholesale/quotes/{quote_id}").status_code == 200
    assert f"Invoice for #{placed['id']}" in text_of(browser.get("/wholesale/invoices").text)
    assert browser.get(f"/wholesale/invoices/{placed['id']}").status_code == 200
    assert browser.get(f"/orders/{placed['id']}").status_code == 200

    outsider = app.test_client()
    login(outsider, make_buyer(app, "Other Shop").email)
    assert outsider.get(f"/wholesale/invoices/{placed['id']}").status_code == 404
    assert outsider.get(f"/wholesale/quotes/{quote_id}").status_code == 404
    assert outsider.get(f"/orders/{placed['id']}").status_code == 404
    assert "PO-TEAM" not in outsider.get("/wholesale/orders").text
    assert f"#{placed['id']}" not in outsider.get("/wholesale/invoices").text


# Wholesale terms in the seller console.


def listing_form(**overrides) -> dict[str, str]:
    form = {
        "title": "Harbor Loafer",
        "brand": "Northpaw",
        "model": "Harbor",
        "colorway": "Tan",
        "category": "lifestyle",
        "gender": "men",
        "description": "Hand-sewn moc toe.",
        "b2c_enabled": "y",
        "b2b_enabled": "y",
        "moq": "24",
        "order_multiple": "2",
        "tiers-0-min_qty": "24",
        "tiers-0-price": "60.00",
        "tiers-1-min_qty": "96",
        "tiers-1-price": "54.50",
        "prepacks-0-name": "Core run",
        "prepacks-0-sizes": "40:1, 41:2, 42:2, 43:1",
    }
    for index, size in enumerate(["40", "41", "42", "43"]):
        form.update(
            {
                f"variants-{index}-size_eu": size,
                f"variants-{index}-sku": f"HL-{size}",
                f"variants-{index}-stock": "48",
                f"variants-{index}-price": "119.00",
            }
        )
    form.update(overrides)
    return form


def edit_form(listing, **overrides) -> dict[str, str]:
    """listing_form() for editing `listing`: each size row names the listing's own size."""
    form = listing_form(**overrides)
    for index, size in enumerate(["40", "41", "42", "43"]):
        form[f"variants-{index}-id"] = str(listing.variants[size])
        form[f"variants-{index}-sku"] = listing.skus[size]
    return form


def test_a_seller_lists_with_wholesale_terms_through_the_form(app, client, trade):
    response = trade["seller_browser"].post("/seller/listings/new", data=listing_form())
    assert response.status_code == 302, text_of(response.text)[:3000]
    with app.app_context():
        listing = db.session.scalar(select(Listing).where(Listing.title == "Harbor Loafer"))
        assert (listing.b2b_enabled, listing.b2b_moq, listing.b2b_order_multiple) == (True, 24, 2)
        assert [(t.min_qty, t.unit_price_cents) for t in listing.tiers] == [(24, 6000), (96, 5450)]
        [pack] = listing.prepacks
        assert pack.name == "Core run" and pack.pairs == 6
        assert {s.variant.size_eu: s.quantity for s in pack.sizes} == {
            "40": 1,
            "41": 2,
            "42": 2,
            "43": 1,
        }
        listing_id = listing.id
    page = text_of(trade["browser"].get(f"/wholesale/listings/{listing_id}").text)
    assert "24–95 $60.00" in page and "96+ $54.50" in page
    assert "single sizes in cases of 2" in page and "Core run" in page


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        (
            {"tiers-1-price": "61.00"},
            "The tier from 96 pairs costs more than the tier from 24; bigger orders must not cost"
            " more per pair.",
        ),
        ({"tiers-0-min_qty": "30"}, "The first tier starts at 30 pairs, above the MOQ of 24"),
        ({"prepacks-0-sizes": "40-1 41-2"}, "Write sizes as size:pairs"),
        ({"prepacks-0-sizes": "40:1, 47:2"}, "EU 47 is not a size of this listing."),
    ],
)
def test_bad_wholesale_terms_are_shown_in_the_form_and_nothing_is_saved(
    app, trade, overrides, says
):
    listings_before, tiers_before = count(app, Listing), count(app, Tier)
    prepacks_before = count(app, Prepack)
    response = trade["seller_browser"].post("/seller/listings/new", data=listing_form(**overrides))
    assert response.status_code == 200
    assert says in text_of(response.text)
    assert 'value="Harbor Loafer"' in response.text  # the form keeps what was typed
    assert count(app, Listing) == listings_before and count(app, Tier) == tiers_before
    assert count(app, Prepack) == prepacks_before


@pytest.mark.parametrize(
    ("row", "says", "beside"),
    [
        (
            {"tiers-2-min_qty": "200"},
            "The tier from 200 pairs has no unit price.",
            ("tiers-2-price", "Give the unit price from this many pairs."),
        ),
        (
            {"tiers-2-price": "50.00"},
            "A tier has a unit price but no number of pairs.",
            ("tiers-2-min_qty", "Give the pairs this price starts from."),
        ),
    ],
)
def test_a_half_filled_tier_row_is_shown_beside_its_field_and_not_dropped(
    app, trade, row, says, beside
):
    """It used to be skipped while the page said "Changes saved.", so the seller believed in
    a tier the buyers never got."""
    seller, listing = trade["seller_browser"], trade["listing"]
    form = edit_form(
        listing,
        moq="12",
        order_multiple="1",
        **{
            "tiers-0-min_qty": "12",
            "tiers-0-price": "50.50",
            "tiers-1-min_qty": "48",
            "tiers-1-price": "45.50",
            "prepacks-0-name": "",
            "prepacks-0-sizes": "",
            **row,
        },
    )
    response = seller.post(f"/seller/listings/{listing.id}/edit", data=form)
    assert response.status_code == 200
    assert "Changes saved." not in response.text
    assert says in text_of(response.text)
    field_id, message = beside
    cell = re.search(
        rf'<td class="has-error"><input[^>]*id="{field_id}".*?</td>', response.text, re.S
    )
    assert cell and message in cell.group(0)
    with app.app_context():
        saved = db.session.get(Listing, listing.id)
        assert [(t.min_qty, t.unit_price_cents) for t in saved.tiers] == [
            (t["min_qty"], t["unit_price_cents"]) for t in TIERS
        ]


@pytest.mark.parametrize(
    ("row", "beside", "says"),
    [
        (
            {"prepacks-1-name": "Wide run", "prepacks-1-sizes": "40:1, 41:x"},
            ("prepacks-1-sizes", "Write sizes as size:pairs, e.g. 40:1, 41:2 (not '41:x')."),
            "The prepack “Wide run” needs fixing: see its row.",
        ),
        (
            {"prepacks-1-name": "Wide run", "prepacks-1-sizes": "40:1, 47:2"},
            ("prepacks-1-sizes", "EU 47 is not a size of this listing."),
            "The prepack “Wide run” needs fixing: see its row.",
        ),
        (
            {"prepacks-1-name": "", "prepacks-1-sizes": "40:1, 41:2"},
            ("prepacks-1-name", "Name the prepack."),
            "A prepack needs fixing: see its row.",
        ),
        (  # more than an integer column holds on PostgreSQL: refused, not a 500
            {"prepacks-1-name": "Huge run", "prepacks-1-sizes": "40:99999999999"},
            ("prepacks-1-sizes", "EU 40: give 1 to 10,000 pairs."),
            "The prepack “Huge run” needs fixing: see its row.",
        ),
    ],
)
def test_a_bad_prepack_is_shown_beside_its_row_and_nothing_is_saved(app, trade, row, beside, says):
    """Its message used to stand only at the top of the wholesale section, so with several
    prepacks the seller could not tell which row was wrong. The first row is left blank:
    the service numbers the prepacks it got, not the form's rows."""
    listings_before, prepacks_before = count(app, Listing), count(app, Prepack)
    form = listing_form(**{"prepacks-0-name": "", "prepacks-0-sizes": "", **row})
    response = trade["seller_browser"].post("/seller/listings/new", data=form)
    assert response.status_code == 200
    field_id, message = beside
    cell = re.search(
        rf'<td class="has-error"><input[^>]*id="{field_id}".*?</td>', response.text, re.S
    )
    assert cell and message in text_of(cell.group(0))
    section = re.search(r"<summary><strong>Wholesale terms.*?<h3>", response.text, re.S)
    assert says in text_of(section.group(0)) and message not in text_of(section.group(0))
    assert count(app, Listing) == listings_before and count(app, Prepack) == prepacks_before


def test_the_seller_edits_a_wholesale_listing_and_its_terms_stay(app, trade):
    seller, listing = trade["seller_browser"], trade["listing"]
    form = edit_form(
        listing,
        title="Court Classic II",
        moq="12",
        order_multiple="1",
        **{
            "tiers-0-min_qty": "12",
            "tiers-0-price": "50.50",
            "tiers-1-min_qty": "48",
            "tiers-1-price": "45.50",
            "tiers-2-min_qty": "120",
            "tiers-2-price": "40.50",
            "prepacks-0-name": "Run of 6",
        },
    )
    for index in range(4):
        form[f"variants-{index}-stock"] = "200"
    response = seller.post(f"/seller/listings/{listing.id}/edit", data=form)
    assert response.status_code == 302, text_of(response.text)[:3000]
    with app.app_context():
        saved = db.session.get(Listing, listing.id)
        assert saved.title == "Court Classic II"
        assert [(t.min_qty, t.unit_price_cents) for t in saved.tiers] == [
            (t["min_qty"], t["unit_price_cents"]) for t in TIERS
        ]
        assert db.session.scalar(select(Invoice)) is None
