"""Wholesale (B2B) through the API: tiers, MOQ, cases, prepacks, CSV orders, quotes, net-30
invoices, who sees wholesale terms, company accounts and reorders (API.md: B2B)."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from marketplace import clock
from marketplace.extensions import db
from marketplace.services import ledger
from models import Invoice, Listing, Order, Payment, Prepack, Quote, Tier
from tests.helpers import (
    add_member,
    count,
    make_admin,
    make_company_member,
    make_listing,
    make_person,
    token_for,
)
from tests.wholesale_helpers import (
    CARD_NEEDS_BANK,
    CARD_OK,
    TIERS,
    balance,
    balanced,
    make_buyer,
    make_wholesale_listing,
    mixed_lines,
    order_body,
    stock,
    stocks,
)

MARCH_1 = datetime(2030, 3, 1, 10, 0)


@pytest.fixture
def trade(app, client):
    """A seller with a wholesale listing (MOQ 12; tiers 12, 48, 120; a prepack of six) and a
    verified buying company with a $10,000 credit limit; the clock stands at 1 March 2030."""
    clock.set_now(MARCH_1)
    seller = make_company_member(app, "Northpaw Footwear")
    listing = make_wholesale_listing(app, seller.company_id, title="Court Classic")
    buyer = make_buyer(app, "Corner Shoes", credit_limit_cents=1_000_000)
    return {
        "seller": seller,
        "listing": listing,
        "pack": listing.prepacks["Run of 6"],
        "buyer": buyer,
        "headers": token_for(client, buyer.email),
        "seller_headers": token_for(client, seller.email),
    }


def order(client, headers, lines, payment_terms="net30", card=None, **extra):
    return client.post(
        "/api/v1/b2b/orders",
        json=order_body(payment_terms, card, lines=lines, **extra),
        headers=headers,
    )


def get_order(client, headers, order_id):
    return client.get(f"/api/v1/orders/{order_id}", headers=headers).get_json()


# Tiers, MOQ, case packs and prepacks.


@pytest.mark.parametrize(
    ("pairs", "unit_price_cents", "subtotal_cents", "fee_cents"),
    [
        (12, 5050, 60600, 1818),
        (13, 5050, 65650, 1970),  # 1969.5 rounds half-up
        (47, 5050, 237350, 7121),  # 7120.5: half-up, not to even
        (48, 4550, 218400, 6552),
        (49, 4550, 222950, 6689),
        (119, 4550, 541450, 16244),
        (120, 4050, 486000, 14580),
        (121, 4050, 490050, 14702),
    ],
)
def test_the_tier_of_all_pairs_of_the_listing_prices_every_pair_to_the_cent(
    app, client, trade, pairs, unit_price_cents, subtotal_cents, fee_cents
):
    lines = mixed_lines(trade["listing"], pairs)
    response = order(client, trade["headers"], lines, "prepaid", CARD_OK, po_number="PO-77")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert len(body["orders"]) == 1
    assert (body["mode"], body["status"], body["po_number"]) == ("b2b", "paid", "PO-77")
    assert sum(line["quantity"] for line in body["lines"]) == pairs
    assert {line["unit_price_cents"] for line in body["lines"]} == {unit_price_cents}
    assert sum(1 for line in body["lines"] if line["prepack_id"] == trade["pack"]) == 4
    assert (body["subtotal_cents"], body["total_cents"], body["fee_cents"]) == (
        subtotal_cents,
        subtotal_cents,
        fee_cents,
    )
    seller = trade["seller"].company_id
    with app.app_context():
        assert ledger.owner_balances(company_id=seller)["pending_cents"] == (
            subtotal_cents - fee_cents
        )
        assert ledger.balance(ledger.FEES) == -fee_cents
        assert ledger.trial_balance()["balanced"]


def test_one_pair_below_the_moq_is_refused_naming_the_moq_and_the_total(app, client, trade):
    before = stocks(app, trade["listing"])
    response = order(client, trade["headers"], mixed_lines(trade["listing"], 11))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "below_moq"
    assert "Court Classic" in error["message"]
    assert "minimum order is 12 pairs" in error["message"] and "you have 11" in error["message"]
    assert count(app, Order) == 0 and count(app, Invoice) == 0
    assert stocks(app, trade["listing"]) == before
    assert balance(app, ledger.RECEIVABLES) == 0


def test_prepacks_count_their_pairs_towards_the_moq(app, client, trade):
    two_packs = [{"prepack_id": trade["pack"], "quantity": 2}]
    response = order(client, trade["headers"], two_packs)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["subtotal_cents"] == 12 * 5050


@pytest.mark.parametrize(
    ("case", "quantity", "advice", "valid"),
    [(2, 7, "order 6 or 8", 8), (2, 1, "order 2.", 2), (6, 15, "order 12 or 18", 18)],
)
def test_a_single_size_off_the_case_multiple_is_refused_never_rounded(
    app, client, trade, case, quantity, advice, valid
):
    listing = make_wholesale_listing(
        app,
        trade["seller"].company_id,
        moq=12,
        order_multiple=case,
        tiers=[{"min_qty": 12, "unit_price_cents": 5000}],
        title="Case Boot",
    )
    lines = [
        {"variant_id": listing.variants["41"], "quantity": 12},
        {"variant_id": listing.variants["42"], "quantity": quantity},
    ]
    before = stocks(app, listing)
    response = order(client, trade["headers"], lines)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_quantity"
    pairs = "1 pair is" if quantity == 1 else f"{quantity} pairs are"
    assert f"EU 42: {pairs} not a whole number" in error["message"] and advice in error["message"]
    assert count(app, Order) == 0 and stocks(app, listing) == before
    lines[1]["quantity"] = valid
    placed = order(client, trade["headers"], lines)
    assert placed.status_code == 201, placed.get_json()
    assert [line["quantity"] for line in placed.get_json()["lines"]] == [12, valid]


def test_a_prepack_holds_every_size_it_contains(app, client, trade):
    listing, pack = trade["listing"], trade["pack"]
    lines = [{"prepack_id": pack, "quantity": 3}]
    pending = order(client, trade["headers"], lines, "prepaid", CARD_NEEDS_BANK)
    assert pending.status_code == 201, pending.get_json()
    assert pending.get_json()["status"] == "pending_payment"
    assert stocks(app, listing) == {
        "40": (200, 3),
        "41": (200, 6),
        "42": (200, 6),
        "43": (200, 3),
    }
    invoiced = order(client, trade["headers"], lines)
    assert invoiced.get_json()["status"] == "invoiced"
    assert stocks(app, listing) == {
        "40": (197, 3),
        "41": (194, 6),
        "42": (194, 6),
        "43": (197, 3),
    }
    assert [(line["size_eu"], line["quantity"]) for line in invoiced.get_json()["lines"]] == [
        ("40", 3),
        ("41", 6),
        ("42", 6),
        ("43", 3),
    ]


def test_one_short_size_of_a_prepack_refuses_the_order_and_takes_no_stock(app, client, trade):
    listing = make_wholesale_listing(
        app,
        trade["seller"].company_id,
        {"40": 50, "41": 50, "42": 50, "43": 2},
        title="Short Run",
    )
    lines = [
        {"prepack_id": listing.prepacks["Run of 6"], "quantity": 3},
        {"variant_id": listing.variants["40"], "quantity": 6},
    ]
    response = order(client, trade["headers"], lines)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "out_of_stock"
    assert "Short Run, EU 43 (only 2 left)" in error["message"]
    assert [(v["size_eu"], v["requested"], v["available"]) for v in error["variants"]] == [
        ("43", 3, 2)
    ]
    assert stocks(app, listing) == {"40": (50, 0), "41": (50, 0), "42": (50, 0), "43": (2, 0)}
    assert count(app, Order) == 0 and count(app, Invoice) == 0
    assert balance(app, ledger.RECEIVABLES) == 0


def test_each_listing_is_priced_by_its_own_pairs_and_each_seller_gets_an_order(app, client, trade):
    second = make_wholesale_listing(app, trade["seller"].company_id, title="Street Slip")
    other_seller = make_company_member(app, "Southwind Shoes")
    third = make_wholesale_listing(
        app,
        other_seller.company_id,
        moq=6,
        tiers=[{"min_qty": 6, "unit_price_cents": 7999}, {"min_qty": 36, "unit_price_cents": 6999}],
        title="Desert Boot",
    )
    # 30 + 30 pairs from Northpaw: 60 pairs in the order, but each listing is below 48.
    lines = mixed_lines(trade["listing"], 30) + mixed_lines(second, 30) + mixed_lines(third, 36)
    response = order(client, trade["headers"], lines, po_number="PO-MIX")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    by_seller = {placed["seller_id"]: placed for placed in body["orders"]}
    north = by_seller[trade["seller"].company_id]
    south = by_seller[other_seller.company_id]
    assert {line["unit_price_cents"] for line in north["lines"]} == {5050}
    assert (north["subtotal_cents"], north["fee_cents"]) == (60 * 5050, 9090)
    assert {line["unit_price_cents"] for line in south["lines"]} == {6999}
    assert (south["subtotal_cents"], south["fee_cents"]) == (251964, 7559)  # 7558.92
    assert body["total_cents"] == 303000 + 251964
    assert {placed["status"] for placed in body["orders"]} == {"invoiced"}
    assert {placed["po_number"] for placed in body["orders"]} == {"PO-MIX"}
    assert balance(app, ledger.RECEIVABLES) == 303000 + 251964
    assert balanced(app)


def test_the_moq_holds_for_each_listing_on_its_own(app, client, trade):
    second = make_wholesale_listing(app, trade["seller"].company_id, title="Street Slip")
    lines = mixed_lines(trade["listing"], 30) + [
        {"variant_id": second.variants["42"], "quantity": 6}
    ]
    response = order(client, trade["headers"], lines)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "below_moq"
    assert "Street Slip: the minimum order is 12 pairs" in error["message"]
    assert "you have 6" in error["message"] and "Court Classic" not in error["message"]
    assert count(app, Order) == 0


def test_a_repeated_idempotency_key_places_one_wholesale_order(app, client, trade):
    headers = {**trade["headers"], "Idempotency-Key": "po-2030-001"}
    lines = mixed_lines(trade["listing"], 24)
    first = order(client, headers, lines)
    again = order(client, headers, lines)
    assert first.status_code == again.status_code == 201
    assert first.get_json()["id"] == again.get_json()["id"]
    assert count(app, Order) == 1
    assert stock(app, trade["listing"].variants["41"]) == (200 - 2 * 2 - 3, 0)


# Orders from a CSV file.


def csv_order(client, headers, text, **form):
    data = {"file": (io.BytesIO(text.encode()), "order.csv"), **form}
    return client.post(
        "/api/v1/b2b/orders/import",
        data=data,
        headers=headers,
        content_type="multipart/form-data",
    )


def test_a_csv_file_with_one_bad_line_orders_nothing_and_names_the_line(app, client, trade):
    skus = trade["listing"].skus
    text = f"sku,quantity\n{skus['40']},12\n{skus['41']},twelve\n{skus['42']},12\n\nNO-SUCH-SKU,6\n"
    before = stocks(app, trade["listing"])
    response = csv_order(client, trade["headers"], text, po_number="PO-CSV")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert [bad["line"] for bad in error["lines"]] == [3, 6]
    assert "'twelve'" in error["lines"][0]["message"]
    assert "NO-SUCH-SKU" in error["lines"][1]["message"]
    assert "nothing was ordered" in error["message"]
    assert count(app, Order) == 0 and count(app, Invoice) == 0
    assert stocks(app, trade["listing"]) == before


def test_a_csv_order_sent_twice_with_one_idempotency_key_is_placed_once(app, client, trade):
    skus = trade["listing"].skus
    text = f"sku,quantity\n{skus['40']},12\n{skus['41']},12\n"
    keyed = {**trade["headers"], "Idempotency-Key": "csv-order-1"}
    first = csv_order(client, keyed, text, po_number="PO-1")
    assert first.status_code == 201, first.get_json()
    again = csv_order(client, keyed, text, po_number="PO-1")  # a new multipart boundary
    assert again.status_code == 201
    assert again.get_json() == first.get_json()
    assert count(app, Order) == 1
    other_file = csv_order(client, keyed, text.replace(",12", ",24"), po_number="PO-1")
    assert other_file.status_code == 409
    other_po = csv_order(client, keyed, text, po_number="PO-2")
    assert other_po.status_code == 409
    assert count(app, Order) == 1


def test_a_csv_file_the_csv_reader_cannot_read_orders_nothing(app, client, trade):
    sku = trade["listing"].skus["40"]
    text = f'sku,quantity\n{sku},12\n"{"x" * 140_000}",12\n'
    response = csv_order(client, trade["headers"], text)
    assert response.status_code == 422
    assert "cannot be read as CSV" in response.get_json()["error"]["fields"]["file"][0]
    assert count(app, Order) == 0


def test_a_csv_file_naming_sizes_or_prepacks_off_wholesale_names_each_line(app, client, trade):
    retail_only = make_listing(app, trade["seller"].company_id, {"42": 50})
    archived = make_wholesale_listing(app, trade["seller"].company_id, title="Old Court")
    with app.app_context():
        db.session.get(Listing, archived.id).status = "archived"
        db.session.get(Prepack, trade["pack"]).active = False
        db.session.commit()
    skus = trade["listing"].skus
    text = (
        "sku,prepack_id,quantity\n"
        f"{skus['40']},,12\n"
        f"{retail_only.skus['42']},,12\n"
        f"{archived.skus['41']},,12\n"
        f",{trade['pack']},1\n"
        ",99999999999,1\n"
    )
    response = csv_order(client, trade["headers"], text)
    assert response.status_code == 422
    lines = response.get_json()["error"]["lines"]
    assert [(bad["line"], bad["message"]) for bad in lines] == [
        (3, f"no size with SKU {retail_only.skus['42']!r} on wholesale."),
        (4, f"no size with SKU {archived.skus['41']!r} on wholesale."),
        (5, f"no prepack {trade['pack']} on wholesale."),
        (6, "no prepack 99999999999 on wholesale."),
    ]
    assert count(app, Order) == 0


def test_a_good_csv_file_places_the_order_with_its_prepacks(app, client, trade):
    skus, pack = trade["listing"].skus, trade["pack"]
    text = f"sku,prepack_id,quantity\n{skus['40']},,24\n{skus['43']},,18\n,{pack},1\n"
    response = csv_order(
        client, trade["headers"], text, payment_terms="net30", po_number="PO-CSV-9"
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    # 24 + 18 + 6 = 48 pairs: the 48-pair tier
    assert (body["status"], body["po_number"], body["subtotal_cents"]) == (
        "invoiced",
        "PO-CSV-9",
        48 * 4550,
    )
    assert stock(app, trade["listing"].variants["40"]) == (200 - 24 - 1, 0)
    assert stock(app, trade["listing"].variants["43"]) == (200 - 18 - 1, 0)
    assert balanced(app)


def test_a_csv_file_below_the_moq_orders_nothing(app, client, trade):
    text = f"sku,quantity\n{trade['listing'].skus['40']},5\n"
    response = csv_order(client, trade["headers"], text)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "below_moq"
    assert count(app, Order) == 0


def test_a_csv_line_off_the_case_multiple_is_named_by_its_line_number(app, client, trade):
    listing = make_wholesale_listing(
        app,
        trade["seller"].company_id,
        order_multiple=2,
        tiers=[{"min_qty": 12, "unit_price_cents": 5000}],
        title="Case Boot",
    )
    text = f"sku,quantity\n{listing.skus['40']},12\n{listing.skus['41']},7\n"
    response = csv_order(client, trade["headers"], text)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_quantity"
    assert count(app, Order) == 0
    assert [bad["line"] for bad in error.get("lines", [])] == [3]


# Quotes.


def ask(client, trade, quantity=60, message="Spring restock, delivery by May."):
    response = client.post(
        "/api/v1/b2b/quotes",
        json={"listing_id": trade["listing"].id, "quantity": quantity, "message": message},
        headers=trade["headers"],
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def answer(client, trade, quote_id, unit_price_cents=3900, valid_days=7, headers=None):
    return client.post(
        f"/api/v1/b2b/quotes/{quote_id}/respond",
        json={"unit_price_cents": unit_price_cents, "valid_days": valid_days},
        headers=headers or trade["seller_headers"],
    )


def accept(client, headers, quote_id, sizes, **terms):
    body = {"sizes": sizes, "payment_terms": "net30", **terms}
    return client.post(f"/api/v1/b2b/quotes/{quote_id}/accept", json=body, headers=headers)


SPLIT_60 = {"40": 12, "41": 18, "42": 18, "43": 12}


def test_a_quote_accepted_before_expiry_is_an_order_at_the_quoted_price(app, client, trade):
    quote = ask(client, trade)
    assert (quote["status"], quote["quantity"], quote["unit_price_cents"]) == (
        "requested",
        60,
        None,
    )
    answered = answer(client, trade, quote["id"])
    assert answered.status_code == 200
    assert answered.get_json()["status"] == "quoted"
    assert answered.get_json()["valid_until"] == "2030-03-08T10:00:00Z"
    assert answered.get_json()["unit_price_cents"] == 3900
    clock.set_now(MARCH_1 + timedelta(days=6, hours=23))
    response = accept(client, trade["headers"], quote["id"], SPLIT_60, po_number="PO-Q1")
    assert response.status_code == 201, response.get_json()
    placed = response.get_json()
    assert (placed["status"], placed["po_number"]) == ("invoiced", "PO-Q1")
    assert [(line["size_eu"], line["quantity"]) for line in placed["lines"]] == [
        ("40", 12),
        ("41", 18),
        ("42", 18),
        ("43", 12),
    ]
    assert {line["unit_price_cents"] for line in placed["lines"]} == {3900}  # tier: 4550
    assert (placed["subtotal_cents"], placed["fee_cents"]) == (234000, 7020)
    assert stock(app, trade["listing"].variants["41"]) == (182, 0)
    seen = client.get(f"/api/v1/b2b/quotes/{quote['id']}", headers=trade["headers"]).get_json()
    assert (seen["status"], seen["order_id"]) == ("accepted", placed["id"])
    again = accept(client, trade["headers"], quote["id"], SPLIT_60)
    assert again.status_code == 409 and count(app, Order) == 1
    assert balanced(app)


def test_a_quote_accepted_after_its_validity_is_refused(app, client, trade):
    quote = ask(client, trade)
    answer(client, trade, quote["id"], valid_days=7)
    clock.set_now(MARCH_1 + timedelta(days=7, seconds=1))
    response = accept(client, trade["headers"], quote["id"], SPLIT_60)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "quote_expired"
    assert count(app, Order) == 0
    assert stock(app, trade["listing"].variants["40"]) == (200, 0)


def test_the_jobs_run_expires_quotes_past_their_validity(app, client, trade):
    old, fresh, unanswered = ask(client, trade), ask(client, trade), ask(client, trade)
    answer(client, trade, old["id"], valid_days=3)
    answer(client, trade, fresh["id"], valid_days=30)
    runner = app.test_cli_runner()
    at = (MARCH_1 + timedelta(days=3, minutes=1)).isoformat()
    result = runner.invoke(args=["jobs", "run", "--at", at])
    assert "expire quotes: 1" in result.output, result.output
    statuses = {
        q["id"]: q["status"]
        for q in client.get("/api/v1/b2b/quotes", headers=trade["headers"]).get_json()["items"]
    }
    assert statuses == {old["id"]: "expired", fresh["id"]: "quoted", unanswered["id"]: "requested"}
    assert "expire quotes: 0" in runner.invoke(args=["jobs", "run", "--at", at]).output
    response = accept(client, trade["headers"], old["id"], SPLIT_60)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "quote_expired"


def test_a_declined_card_or_a_short_size_leaves_the_quote_open(app, client, trade):
    quote = ask(client, trade)
    answer(client, trade, quote["id"])
    declined = accept(
        client,
        trade["headers"],
        quote["id"],
        SPLIT_60,
        payment_terms="prepaid",
        payment={"card_number": "4000 0000 0000 0002"},
    )
    assert declined.status_code == 402
    rival = token_for(client, make_buyer(app, "Rival Shoes").email)
    bought = order(
        client, rival, [{"variant_id": trade["listing"].variants["41"], "quantity": 160}]
    )
    assert bought.status_code == 201
    short = accept(client, trade["headers"], quote["id"], {"40": 10, "41": 50})
    assert short.status_code == 409 and short.get_json()["error"]["code"] == "out_of_stock"
    assert count(app, Order) == 1
    assert stocks(app, trade["listing"])["40"] == (200, 0)
    assert stocks(app, trade["listing"])["41"] == (40, 0)
    seen = client.get(f"/api/v1/b2b/quotes/{quote['id']}", headers=trade["headers"]).get_json()
    assert seen["status"] == "quoted"
    paid = accept(
        client,
        trade["headers"],
        quote["id"],
        SPLIT_60,
        payment_terms="prepaid",
        payment={"card_number": CARD_OK},
    )
    assert paid.status_code == 201 and paid.get_json()["status"] == "paid"
    assert balance(app, ledger.CLEARING) == 60 * 3900 and balanced(app)


@pytest.mark.parametrize(
    "sizes",
    [
        {"40": 12, "41": 18, "42": 18, "43": 11},  # 59
        {"40": 12, "41": 18, "42": 18, "43": 13},  # 61
        {"40": 30, "44": 30},  # not a size of the listing
    ],
)
def test_a_size_split_that_does_not_match_the_quote_is_refused(app, client, trade, sizes):
    quote = ask(client, trade)
    answer(client, trade, quote["id"])
    response = accept(client, trade["headers"], quote["id"], sizes)
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]
    assert count(app, Order) == 0
    seen = client.get(f"/api/v1/b2b/quotes/{quote['id']}", headers=trade["headers"]).get_json()
    assert seen["status"] == "quoted"


def test_only_the_seller_answers_and_only_the_buyer_accepts_a_quote(app, client, trade):
    quote = ask(client, trade)
    assert answer(client, trade, quote["id"], headers=trade["headers"]).status_code == 403
    assert answer(client, trade, quote["id"]).status_code == 200
    assert accept(client, trade["seller_headers"], quote["id"], SPLIT_60).status_code == 403
    assert answer(client, trade, quote["id"], 3000).status_code == 409  # answered already
    assert count(app, Order) == 0


def test_another_companys_quote_is_not_found(app, client, trade):
    quote = ask(client, trade)
    answer(client, trade, quote["id"])
    rival = make_buyer(app, "Rival Shoes")
    rival_seller = make_company_member(app, "Other Maker")
    for outsider in (rival, rival_seller):
        headers = token_for(client, outsider.email)
        assert client.get(f"/api/v1/b2b/quotes/{quote['id']}", headers=headers).status_code == 404
        assert accept(client, headers, quote["id"], SPLIT_60).status_code == 404
        assert answer(client, trade, quote["id"], headers=headers).status_code == 404
    listed = client.get("/api/v1/b2b/quotes", headers=token_for(client, rival.email)).get_json()
    assert listed["total"] == 0
    assert count(app, Order) == 0


def test_a_quote_below_the_moq_cannot_be_asked_for(app, client, trade):
    response = client.post(
        "/api/v1/b2b/quotes",
        json={"listing_id": trade["listing"].id, "quantity": 11, "message": ""},
        headers=trade["headers"],
    )
    assert response.status_code == 422
    assert "12" in response.get_json()["error"]["fields"]["quantity"][0]
    assert count(app, Quote) == 0


# Net-30 invoices and the ledger.


def test_net30_within_the_credit_limit_is_an_invoice_due_in_30_days(app, client, trade):
    response = order(client, trade["headers"], mixed_lines(trade["listing"], 24), po_number="PO-1")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["status"], body["payment_terms"], body["due_date"]) == (
        "invoiced",
        "net30",
        "2030-03-31",
    )
    assert [step["status"] for step in body["history"]] == ["pending_payment", "invoiced"]
    assert body["total_cents"] == 24 * 5050 == 121200
    assert balance(app, ledger.RECEIVABLES) == 121200
    assert balance(app, ledger.CLEARING) == 0
    with app.app_context():
        assert ledger.owner_balances(company_id=trade["seller"].company_id)["pending_cents"] == (
            121200 - 3636
        )
        assert ledger.trial_balance()["balanced"]
    invoices = client.get("/api/v1/b2b/invoices", headers=trade["headers"]).get_json()["items"]
    assert [(i["order_id"], i["amount_cents"], i["status"], i["due_date"]) for i in invoices] == [
        (body["id"], 121200, "open", "2030-03-31")
    ]
    assert invoices[0]["overdue"] is False
    clock.set_now(MARCH_1 + timedelta(days=30, minutes=1))
    headers = token_for(client, trade["buyer"].email)  # the first token lived 30 days
    invoices = client.get("/api/v1/b2b/invoices", headers=headers).get_json()["items"]
    assert (invoices[0]["status"], invoices[0]["overdue"]) == ("open", True)


def test_net30_beyond_the_credit_limit_is_refused_counting_open_invoices(app, client, trade):
    buyer = make_buyer(app, "Small Shop", credit_limit_cents=100_000)
    headers = token_for(client, buyer.email)
    first = order(client, headers, mixed_lines(trade["listing"], 12))  # 606.00
    assert first.status_code == 201
    before = stocks(app, trade["listing"])
    second = order(client, headers, mixed_lines(trade["listing"], 12))
    assert second.status_code == 409
    error = second.get_json()["error"]
    assert error["code"] == "credit_limit_exceeded"
    assert "$1,000.00" in error["message"] and "$606.00" in error["message"]
    assert (error["credit_limit_cents"], error["open_invoices_cents"]) == (100_000, 60600)
    assert count(app, Order) == 1 and stocks(app, trade["listing"]) == before
    assert balance(app, ledger.RECEIVABLES) == 60600
    paid = client.post(
        f"/api/v1/b2b/invoices/{first.get_json()['id']}/pay",
        json={"payment": {"card_number": CARD_OK}},
        headers=headers,
    )
    assert paid.status_code == 200
    assert order(client, headers, mixed_lines(trade["listing"], 12)).status_code == 201
    assert balance(app, ledger.RECEIVABLES) == 60600 and balanced(app)


def test_an_admin_sets_the_credit_limit_when_verifying(app, client, trade):
    buyer = make_buyer(app, "Fresh Shop", credit_limit_cents=0)
    headers = token_for(client, buyer.email)
    refused = order(client, headers, mixed_lines(trade["listing"], 12))
    assert refused.get_json()["error"]["code"] == "credit_limit_exceeded"
    admin = token_for(client, make_admin(app).email)
    verified = client.post(
        f"/api/v1/admin/companies/{buyer.company_id}/verify",
        json={"credit_limit_cents": 60600},
        headers=admin,
    )
    assert verified.status_code == 200
    assert order(client, headers, mixed_lines(trade["listing"], 12)).status_code == 201  # exactly
    over = order(client, headers, mixed_lines(trade["listing"], 12))
    assert over.status_code == 409 and count(app, Order) == 1


def invoiced_order(client, trade, pairs=24, **extra) -> dict:
    response = order(client, trade["headers"], mixed_lines(trade["listing"], pairs), **extra)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def pay(client, headers, order_id, card=CARD_OK):
    return client.post(
        f"/api/v1/b2b/invoices/{order_id}/pay",
        json={"payment": {"card_number": card}},
        headers=headers,
    )


def test_paying_an_invoice_clears_the_receivable_once(app, client, trade):
    placed = invoiced_order(client, trade)
    response = pay(client, trade["headers"], placed["id"])
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["status"], response.get_json()["amount_cents"]) == (
        "paid",
        121200,
    )
    assert balance(app, ledger.RECEIVABLES) == 0
    assert balance(app, ledger.CLEARING) == 121200
    with app.app_context():
        assert ledger.legs_of(f"settle:order:{placed['id']}") == [
            (ledger.CLEARING, 121200),
            (ledger.RECEIVABLES, -121200),
        ]
        charges = db.session.scalars(select(Payment).where(Payment.kind == "charge")).all()
        assert [(p.amount_cents, p.order_id) for p in charges] == [(121200, placed["id"])]
    seen = get_order(client, trade["headers"], placed["id"])
    assert [step["status"] for step in seen["history"]] == ["pending_payment", "invoiced", "paid"]
    twice = pay(client, trade["headers"], placed["id"])
    assert twice.status_code == 409
    assert balance(app, ledger.CLEARING) == 121200 and count(app, Payment) == 1
    assert pay(client, trade["seller_headers"], placed["id"]).status_code == 403
    assert balanced(app)


def test_a_declined_card_leaves_the_invoice_open(app, client, trade):
    placed = invoiced_order(client, trade)
    response = pay(client, trade["headers"], placed["id"], "4000 0000 0000 0002")
    assert response.status_code == 402
    assert balance(app, ledger.RECEIVABLES) == 121200
    assert get_order(client, trade["headers"], placed["id"])["status"] == "invoiced"
    assert pay(client, trade["headers"], placed["id"]).status_code == 200


def test_cancelling_an_invoiced_order_reverses_the_receivable_and_voids_the_invoice(
    app, client, trade
):
    placed = invoiced_order(client, trade)
    response = client.post(
        f"/api/v1/orders/{placed['id']}/cancel", json={}, headers=trade["headers"]
    )
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    assert balance(app, ledger.RECEIVABLES) == 0 and balance(app, ledger.FEES) == 0
    with app.app_context():
        assert ledger.owner_balances(company_id=trade["seller"].company_id) == {
            "pending_cents": 0,
            "available_cents": 0,
        }
        assert db.session.scalar(select(Invoice.status)) == "void"
        assert count(app, Payment) == 0
    assert stocks(app, trade["listing"]) == {size: (200, 0) for size in ("40", "41", "42", "43")}
    assert pay(client, trade["headers"], placed["id"]).status_code == 409
    assert balanced(app)


def test_a_returned_order_of_a_paid_invoice_is_refunded_in_full(app, client, trade):
    placed = invoiced_order(client, trade)
    pay(client, trade["headers"], placed["id"])
    seller = trade["seller_headers"]
    steps = [
        ("ship", seller, {"carrier": "UPS", "tracking_number": "1Z1"}),
        ("deliver", seller, {}),
        ("return", trade["headers"], {"reason": "Wrong colorway delivered"}),
        ("refund", seller, {}),
    ]
    for action, headers, body in steps:
        response = client.post(
            f"/api/v1/orders/{placed['id']}/{action}", json=body, headers=headers
        )
        assert response.status_code == 200, (action, response.get_json())
    assert response.get_json()["status"] == "refunded"
    for code in (ledger.RECEIVABLES, ledger.CLEARING, ledger.FEES):
        assert balance(app, code) == 0, code
    with app.app_context():
        assert ledger.owner_balances(company_id=trade["seller"].company_id) == {
            "pending_cents": 0,
            "available_cents": 0,
        }
        refunds = db.session.scalars(select(Payment).where(Payment.kind == "refund")).all()
        assert [(r.amount_cents, r.order_id) for r in refunds] == [(121200, placed["id"])]
        assert db.session.scalar(select(Invoice.status)) == "paid"
    assert stocks(app, trade["listing"]) == {size: (200, 0) for size in ("40", "41", "42", "43")}
    assert balanced(app)


def test_an_invoiced_order_ships_before_it_is_paid_and_is_paid_later(app, client, trade):
    placed = invoiced_order(client, trade)
    shipped = client.post(
        f"/api/v1/orders/{placed['id']}/ship",
        json={"carrier": "DHL", "tracking_number": "JD9"},
        headers=trade["seller_headers"],
    )
    assert shipped.get_json()["status"] == "shipped"
    assert pay(client, trade["headers"], placed["id"]).status_code == 200
    assert get_order(client, trade["headers"], placed["id"])["status"] == "shipped"
    assert balance(app, ledger.RECEIVABLES) == 0 and balanced(app)


# Who sees and uses wholesale terms.


@pytest.fixture
def viewers(app, trade):
    return {
        "person": make_person(app),
        "unverified buyer": make_buyer(app, verified=False),
        "seller-only company": make_company_member(app, "Just Sells", sells=True),
        "verified buyer": trade["buyer"],
        "owner": trade["seller"],
    }


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("anonymous", False),
        ("person", False),
        ("unverified buyer", False),
        ("seller-only company", False),
        ("verified buyer", True),
        ("owner", True),
    ],
)
def test_only_verified_wholesale_buyers_and_the_owner_see_wholesale_terms(
    app, client, trade, viewers, who, sees
):
    headers = {} if who == "anonymous" else token_for(client, viewers[who].email)
    body = client.get(f"/api/v1/listings/{trade['listing'].id}", headers=headers).get_json()
    assert ("b2b" in body) is sees
    if sees:
        assert body["b2b"]["moq"] == 12 and body["b2b"]["tiers"] == TIERS
        assert body["b2b"]["prepacks"] == [
            {
                "id": trade["pack"],
                "name": "Run of 6",
                "sizes": {"40": 1, "41": 2, "42": 2, "43": 1},
                "pairs": 6,
            }
        ]


@pytest.mark.parametrize("who", ["person", "unverified buyer", "seller-only company"])
def test_others_cannot_order_or_ask_for_quotes_wholesale(app, client, trade, viewers, who):
    headers = token_for(client, viewers[who].email)
    response = order(client, headers, mixed_lines(trade["listing"], 24))
    assert response.status_code == 403
    csv = csv_order(client, headers, f"sku,quantity\n{trade['listing'].skus['40']},12\n")
    assert csv.status_code == 403
    quote = client.post(
        "/api/v1/b2b/quotes",
        json={"listing_id": trade["listing"].id, "quantity": 60, "message": ""},
        headers=headers,
    )
    assert quote.status_code == 403
    assert client.get("/api/v1/b2b/catalog", headers=headers).status_code == 403
    assert count(app, Order) == 0 and count(app, Quote) == 0
    assert stock(app, trade["listing"].variants["40"]) == (200, 0)


def test_anonymous_wholesale_orders_need_a_token(client, trade):
    assert order(client, {}, mixed_lines(trade["listing"], 24)).status_code == 401


def test_a_seller_cannot_order_its_own_listing_wholesale(app, client, trade):
    both = make_company_member(app, "Maker And Buyer", sells=True, buys_wholesale=True)
    own = make_wholesale_listing(app, both.company_id, title="Own Boot")
    response = order(client, token_for(client, both.email), mixed_lines(own, 24))
    assert response.status_code == 422
    assert count(app, Order) == 0


# Company accounts.


def test_colleagues_share_the_companys_orders_quotes_and_invoices(app, client, trade):
    placed = invoiced_order(client, trade, po_number="PO-TEAM")
    quote = ask(client, trade)
    colleague = add_member(app, trade["buyer"].company_id)
    headers = token_for(client, colleague.email)
    mine = client.get("/api/v1/orders", headers=headers).get_json()
    assert [o["id"] for o in mine["items"]] == [placed["id"]]
    assert get_order(client, headers, placed["id"])["po_number"] == "PO-TEAM"
    quotes = client.get("/api/v1/b2b/quotes", headers=headers).get_json()["items"]
    assert [q["id"] for q in quotes] == [quote["id"]]
    invoices = client.get("/api/v1/b2b/invoices", headers=headers).get_json()["items"]
    assert [i["order_id"] for i in invoices] == [placed["id"]]
    assert pay(client, headers, placed["id"]).status_code == 200  # any member pays
    assert balance(app, ledger.RECEIVABLES) == 0

    outsider = token_for(client, make_buyer(app, "Other Shop").email)
    assert client.get(f"/api/v1/orders/{placed['id']}", headers=outsider).status_code == 404
    assert client.get(f"/api/v1/b2b/quotes/{quote['id']}", headers=outsider).status_code == 404
    assert pay(client, outsider, placed["id"]).status_code == 404
    assert client.get("/api/v1/orders", headers=outsider).get_json()["total"] == 0
    assert client.get("/api/v1/b2b/invoices", headers=outsider).get_json()["total"] == 0
    reorder = client.post(f"/api/v1/b2b/orders/{placed['id']}/reorder", json={}, headers=outsider)
    assert reorder.status_code == 404


# Reorders.


def patch_terms(client, trade, **terms):
    body = {"b2b": {"enabled": True, "moq": 12, "order_multiple": 1, **terms}}
    return client.patch(
        f"/api/v1/listings/{trade['listing'].id}", json=body, headers=trade["seller_headers"]
    )


# A new tier table with other break points, so today's prices differ from the first order's.
RAISED = [
    {"min_qty": 10, "unit_price_cents": 5275},
    {"min_qty": 50, "unit_price_cents": 4775},
    {"min_qty": 100, "unit_price_cents": 4275},
]


def test_a_reorder_repeats_the_pairs_at_todays_prices(app, client, trade):
    first = invoiced_order(client, trade, pairs=24, po_number="PO-A")
    changed = patch_terms(client, trade, tiers=RAISED)
    assert changed.status_code == 200, changed.get_json()
    response = client.post(
        f"/api/v1/b2b/orders/{first['id']}/reorder",
        json={"po_number": "PO-B"},
        headers=trade["headers"],
    )
    assert response.status_code == 201, response.get_json()
    again = response.get_json()
    assert again["id"] != first["id"]
    assert (again["status"], again["payment_terms"], again["po_number"]) == (
        "invoiced",
        "net30",
        "PO-B",
    )

    def pairs(lines):
        return sorted(
            (line["size_eu"], line["prepack_id"] or 0, line["quantity"]) for line in lines
        )

    assert pairs(again["lines"]) == pairs(first["lines"])
    assert {line["unit_price_cents"] for line in again["lines"]} == {5275}
    assert (again["subtotal_cents"], again["fee_cents"]) == (24 * 5275, 3798)
    assert get_order(client, trade["headers"], first["id"])["subtotal_cents"] == 24 * 5050
    assert balance(app, ledger.RECEIVABLES) == 24 * 5050 + 24 * 5275
    assert balanced(app)


def test_a_seller_changes_the_price_of_an_existing_tier(app, client, trade):
    raised = [{"min_qty": 12, "unit_price_cents": 5275}, *TIERS[1:]]
    response = patch_terms(client, trade, tiers=raised)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["b2b"]["tiers"] == raised


def test_a_prepaid_reorder_needs_a_card(app, client, trade):
    first = order(client, trade["headers"], mixed_lines(trade["listing"], 12), "prepaid", CARD_OK)
    order_id = first.get_json()["id"]
    url = f"/api/v1/b2b/orders/{order_id}/reorder"
    assert client.post(url, json={}, headers=trade["headers"]).status_code == 422
    paid = client.post(
        url, json={"payment": {"card_number": CARD_OK}}, headers=trade["headers"]
    ).get_json()
    assert (paid["status"], paid["payment_terms"]) == ("paid", "prepaid")
    assert count(app, Order) == 2


# Wholesale terms on listings.


def listing_body(**b2b):
    return {
        "title": "Harbor Loafer",
        "brand": "Northpaw",
        "model": "Harbor",
        "colorway": "Tan",
        "category": "lifestyle",
        "gender": "men",
        "description": "",
        "variants": [
            {"size_eu": "41", "sku": "HL-41", "stock": 40, "price_cents": 11900},
            {"size_eu": "42", "sku": "HL-42", "stock": 40, "price_cents": 11900},
        ],
        "b2c": {"enabled": True},
        "b2b": {"enabled": True, "moq": 24, "order_multiple": 2, **b2b},
    }


def test_a_listing_with_wholesale_terms_is_created_through_the_api(app, client, trade):
    body = listing_body(
        tiers=[
            {"min_qty": 60, "unit_price_cents": 5500},
            {"min_qty": 24, "unit_price_cents": 6000},
        ],
        prepacks=[{"name": "Pair of sizes", "sizes": {"41": 2, "42": 2}}],
    )
    response = client.post("/api/v1/listings", json=body, headers=trade["seller_headers"])
    assert response.status_code == 201, response.get_json()
    terms = response.get_json()["b2b"]
    assert (terms["moq"], terms["order_multiple"]) == (24, 2)
    assert terms["tiers"] == [
        {"min_qty": 24, "unit_price_cents": 6000},
        {"min_qty": 60, "unit_price_cents": 5500},
    ]
    assert [(p["name"], p["sizes"], p["pairs"]) for p in terms["prepacks"]] == [
        ("Pair of sizes", {"41": 2, "42": 2}, 4)
    ]


@pytest.mark.parametrize(
    ("tiers", "says"),
    [
        (
            [{"min_qty": 24, "unit_price_cents": 6000}, {"min_qty": 24, "unit_price_cents": 5500}],
            "Two tiers start at 24 pairs.",
        ),
        (
            [{"min_qty": 24, "unit_price_cents": 6000}, {"min_qty": 60, "unit_price_cents": 6100}],
            "The tier from 60 pairs costs more than the tier from 24",
        ),
        (
            [{"min_qty": 36, "unit_price_cents": 6000}],
            "above the MOQ of 24",
        ),
        ([], "Give at least one tier price."),
    ],
)
def test_bad_tier_tables_are_422_and_write_nothing(app, client, trade, tiers, says):
    listings_before, tiers_before = count(app, Listing), count(app, Tier)
    response = client.post(
        "/api/v1/listings", json=listing_body(tiers=tiers), headers=trade["seller_headers"]
    )
    assert response.status_code == 422
    messages = response.get_json()["error"]["fields"]["b2b.tiers"]
    assert any(says in message for message in messages), messages
    assert count(app, Listing) == listings_before and count(app, Tier) == tiers_before
    with app.app_context():
        assert db.session.scalar(select(Listing).where(Listing.title == "Harbor Loafer")) is None


def test_a_bad_tier_change_leaves_the_listing_as_it_was(app, client, trade):
    worse = [{"min_qty": 10, "unit_price_cents": 5050}, {"min_qty": 50, "unit_price_cents": 5100}]
    response = patch_terms(client, trade, tiers=worse)
    assert response.status_code == 422
    assert "b2b.tiers" in response.get_json()["error"]["fields"]
    owner_view = client.get(
        f"/api/v1/listings/{trade['listing'].id}", headers=trade["seller_headers"]
    ).get_json()
    assert owner_view["b2b"]["tiers"] == TIERS


def test_changing_only_the_tiers_keeps_the_moq_and_the_case_multiple(app, client, trade):
    listing = make_wholesale_listing(
        app, trade["seller"].company_id, moq=24, order_multiple=2, title="Keep Terms"
    )
    tiers = [{"min_qty": 24, "unit_price_cents": 5000}, {"min_qty": 96, "unit_price_cents": 4500}]
    response = client.patch(
        f"/api/v1/listings/{listing.id}",
        json={"b2b": {"tiers": tiers}},
        headers=trade["seller_headers"],
    )
    assert response.status_code == 200, response.get_json()
    terms = response.get_json()["b2b"]
    assert (terms["moq"], terms["order_multiple"], terms["tiers"]) == (24, 2, tiers)


def test_a_retired_prepack_cannot_be_ordered_but_old_orders_keep_it(app, client, trade):
    placed = invoiced_order(client, trade, pairs=12)
    new_run = {"name": "Run of 6", "sizes": {"40": 2, "41": 2, "42": 2}}
    assert patch_terms(client, trade, prepacks=[new_run]).status_code == 200
    with app.app_context():
        active = db.session.scalars(
            select(Prepack.id).where(Prepack.listing_id == trade["listing"].id, Prepack.active)
        ).all()
    assert trade["pack"] not in active and len(active) == 1
    refused = order(client, trade["headers"], [{"prepack_id": trade["pack"], "quantity": 2}])
    assert refused.status_code == 422
    old = get_order(client, trade["headers"], placed["id"])
    assert {line["prepack_id"] for line in old["lines"]} == {trade["pack"], None}
