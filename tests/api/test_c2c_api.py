"""Used pairs between people through the API (API.md: C2C): listing with photos, offers and
counter-offers, escrow, the ship-by and auto-confirm jobs, disputes, messages, ratings and
resale with provenance. Money is checked to the cent and the ledger after every flow."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image
from sqlalchemy import func, select

from marketplace import clock
from marketplace.extensions import db
from marketplace.services import ledger
from models import Dispute, Listing, Message, Offer, Order, Payment, Photo, Provenance, Rating
from tests.c2c_helpers import (
    CARD_DECLINED,
    act,
    answer,
    balanced,
    bought,
    buy_pair,
    c2c_fee,
    escrow_held,
    line_of,
    list_pair,
    listing_status,
    new_pair,
    offer,
    offer_status,
    order_status,
    pair_stock,
    payments_of,
    person_balance,
    photo_files,
    run_jobs,
    ship_and_deliver,
)
from tests.helpers import (
    count,
    image_bytes,
    make_admin,
    make_company_member,
    make_listing,
    make_person,
    token_for,
)
from tests.unit.test_uploads import exif_with_gps

NOTHING = {"pending_cents": 0, "available_cents": 0}


@pytest.fixture
def start():
    """The clock stands still at a known moment; tests move it on purpose."""
    moment = clock.now().replace(microsecond=0)
    clock.set_now(moment)
    return moment


@pytest.fixture
def trade(app, client, start):
    """A person selling one pair at 100.00, a buyer, a stranger and an admin, with tokens."""
    seller = make_person(app, name="Sol Seller")
    buyer = make_person(app, name="Bea Buyer")
    stranger = make_person(app, name="Stan Stranger")
    admin = make_admin(app)
    headers = {
        "seller": token_for(client, seller.email),
        "buyer": token_for(client, buyer.email),
        "stranger": token_for(client, stranger.email),
        "admin": token_for(client, admin.email),
    }
    pair = new_pair(client, headers["seller"], price_cents=10000)
    return {
        "seller": seller,
        "buyer": buyer,
        "stranger": stranger,
        "admin": admin,
        "h": headers,
        "pair": pair,
        "start": start,
    }


def me_balance(client, headers) -> dict:
    """GET /me/balance without `requested_cents` (the payout tests read it themselves)."""
    response = client.get("/api/v1/me/balance", headers=headers)
    assert response.status_code == 200, response.get_json()
    return {key: response.get_json()[key] for key in ("pending_cents", "available_cents")}


def get_order(client, order_id, headers) -> dict:
    response = client.get(f"/api/v1/orders/{order_id}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def later(trade, **delta):
    return trade["start"] + timedelta(**delta)


def paid_order(client, trade, listing_id=None) -> dict:
    return bought(client, trade["h"]["buyer"], listing_id or trade["pair"]["id"])


def delivered_order(client, trade) -> dict:
    order = paid_order(client, trade)
    ship_and_deliver(client, order["id"], trade["h"]["seller"])
    return order


def completed_order(client, trade) -> dict:
    order = delivered_order(client, trade)
    assert act(client, order["id"], "confirm", trade["h"]["buyer"]).status_code == 200
    return order


def dispute(client, trade, order_id, reason="The soles are worn through, not 'like new'."):
    return client.post(
        f"/api/v1/orders/{order_id}/dispute", json={"reason": reason}, headers=trade["h"]["buyer"]
    )


def resolve(client, headers, dispute_id, **body):
    return client.post(f"/api/v1/admin/disputes/{dispute_id}/resolve", json=body, headers=headers)


def profile(client, account_id) -> dict:
    response = client.get(f"/api/v1/people/{account_id}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def rate(client, order_id, headers, stars, comment=""):
    return client.post(
        f"/api/v1/orders/{order_id}/review",
        json={"stars": stars, "comment": comment},
        headers=headers,
    )


def path_of(url: str) -> str:
    return urlsplit(url).path


def uploads(app) -> list[Path]:
    root = Path(app.config["UPLOAD_DIR"])
    return sorted(root.glob("*.jpg")) if root.exists() else []


# Listing a pair: people only, 1-8 real photos, metadata stripped.


def test_a_person_lists_a_pair_and_its_photos_lose_exif_and_gps(app, client):
    seller = make_person(app, name="Sol Seller")
    headers = token_for(client, seller.email)
    original = image_bytes("JPEG", size=(640, 480), exif=exif_with_gps())
    assert Image.open(io.BytesIO(original)).getexif()  # the camera's file carries GPS
    response = list_pair(
        client,
        headers,
        price_cents=8550,
        photos=photo_files(original, image_bytes("PNG"), image_bytes("WEBP")),
    )
    assert response.status_code == 201, response.get_json()
    pair = response.get_json()
    assert (pair["mode"], pair["status"], pair["condition"]) == ("c2c", "active", "like_new")
    assert pair["seller"] == {"type": "person", "id": seller.id, "name": "Sol Seller"}
    assert pair["price_cents"] == 8550
    [variant] = pair["variants"]
    assert (variant["size_eu"], variant["price_cents"]) == ("42.5", 8550)
    assert (variant["stock"], variant["reserved"], variant["in_stock"]) == (1, 0, True)
    assert len(pair["photos"]) == 3
    for photo in pair["photos"]:
        for url in (photo["url"], photo["thumb_url"]):
            served = client.get(path_of(url))
            assert served.status_code == 200 and served.mimetype == "image/jpeg"
            image = Image.open(io.BytesIO(served.data))
            assert image.format == "JPEG"
            assert len(image.getexif()) == 0 and "exif" not in image.info
            assert served.data != original
    # the orientation tag was applied to the pixels before it was dropped
    first = Image.open(io.BytesIO(client.get(path_of(pair["photos"][0]["url"])).data))
    assert first.size == (480, 640)
    for stored in uploads(app):
        assert b"SpyCam" not in stored.read_bytes()
    public = client.get(f"/api/v1/listings/{pair['id']}").get_json()
    assert "stock" not in public["variants"][0]  # on-hand counts are the owner's business
    mine = client.get("/api/v1/c2c/listings/mine", headers=headers).get_json()["items"]
    assert [(item["id"], item["status"]) for item in mine] == [(pair["id"], "active")]


@pytest.mark.parametrize(
    "photos",
    [
        pytest.param(lambda: [], id="no-photo"),
        pytest.param(lambda: photo_files(*[image_bytes("JPEG")] * 9), id="nine-photos"),
        pytest.param(lambda: photo_files(b"%PDF-1.4 not an image", name="x.jpg"), id="pdf"),
        pytest.param(lambda: photo_files(image_bytes("GIF")), id="gif"),
        pytest.param(
            lambda: photo_files(image_bytes("JPEG"), b"<?php echo 1; ?>"), id="one-bad-of-two"
        ),
    ],
)
def test_refused_photos_create_nothing(app, client, photos):
    seller = make_person(app)
    headers = token_for(client, seller.email)
    response = list_pair(client, headers, photos=photos())
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and "photos" in error["fields"]
    assert count(app, Listing) == 0 and count(app, Photo) == 0
    assert uploads(app) == []


def test_eight_photos_are_the_most_a_pair_can_have(app, client):
    headers = token_for(client, make_person(app).email)
    small = image_bytes("JPEG", size=(64, 64))
    response = list_pair(client, headers, photos=photo_files(*[small] * 8))
    assert response.status_code == 201, response.get_json()
    pair = response.get_json()
    assert len(pair["photos"]) == 8
    assert len(uploads(app)) == 16  # each photo and its thumbnail
    more = client.patch(
        f"/api/v1/c2c/listings/{pair['id']}", json={"title": "Still eight"}, headers=headers
    )
    assert more.status_code == 200 and len(more.get_json()["photos"]) == 8


def test_an_oversize_photo_is_refused(make_app):
    app = make_app(MAX_UPLOAD_BYTES=50_000)
    client = app.test_client()
    headers = token_for(client, make_person(app).email)
    noisy = Image.effect_noise((600, 600), 80).convert("RGB")
    out = io.BytesIO()
    noisy.save(out, format="PNG")
    assert len(out.getvalue()) > 50_000
    response = list_pair(client, headers, photos=photo_files(out.getvalue(), name="big.png"))
    assert response.status_code == 422
    assert "at most" in response.get_json()["error"]["fields"]["photos"][0]
    assert count(app, Listing) == 0 and uploads(app) == []
    small = list_pair(client, headers, photos=photo_files(image_bytes("JPEG", size=(64, 64))))
    assert small.status_code == 201


def test_a_file_just_over_eight_megabytes_is_refused(app, client):
    headers = token_for(client, make_person(app).email)
    just_over = image_bytes("JPEG") + b"\0" * (8 * 1024 * 1024)
    assert len(just_over) == app.config["MAX_UPLOAD_BYTES"] + len(image_bytes("JPEG"))
    response = list_pair(client, headers, photos=photo_files(just_over))
    assert response.status_code == 422
    assert "8 MB" in response.get_json()["error"]["fields"]["photos"][0]
    assert count(app, Listing) == 0 and uploads(app) == []


def test_business_accounts_cannot_list_used_pairs(app, client):
    business = make_company_member(app, "Aero Shoes")
    response = list_pair(client, token_for(client, business.email))
    assert response.status_code == 403
    assert count(app, Listing) == 0 and uploads(app) == []


def test_business_accounts_cannot_write_to_a_seller_they_cannot_buy_from(app, client, trade):
    business = token_for(client, make_company_member(app, "Aero Shoes").email)
    url = f"/api/v1/c2c/listings/{trade['pair']['id']}/messages"
    sent = client.post(url, json={"body": "Bulk price for 200 pairs?"}, headers=business)
    assert sent.status_code == 403
    assert "bought by people" in sent.get_json()["error"]["message"]
    assert count(app, Message) == 0


@pytest.mark.parametrize(
    ("facts", "field"),
    [
        ({"condition": "mint"}, "condition"),
        ({"condition": "new"}, "condition"),  # `new` is for shops, people grade their pairs
        ({"title": ""}, "title"),
        ({"size_eu": "99"}, "size_eu"),
        ({"gender": "cats"}, "gender"),
        ({"price_cents": "99"}, "price_cents"),
        ({"price_cents": "12.50"}, "price_cents"),
    ],
)
def test_bad_pair_facts_are_422_and_create_nothing(app, client, facts, field):
    headers = token_for(client, make_person(app).email)
    response = list_pair(client, headers, **facts)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]
    assert count(app, Listing) == 0 and uploads(app) == []


def test_the_seller_edits_while_unsold_but_not_after_the_sale(app, client, trade):
    pair_id, seller = trade["pair"]["id"], trade["h"]["seller"]
    changed = client.patch(
        f"/api/v1/c2c/listings/{pair_id}",
        json={"price_cents": 9000, "title": "Aero Glide 3, worn once", "condition": "good"},
        headers=seller,
    )
    assert changed.status_code == 200, changed.get_json()
    body = changed.get_json()
    assert (body["price_cents"], body["variants"][0]["price_cents"]) == (9000, 9000)
    assert (body["title"], body["condition"]) == ("Aero Glide 3, worn once", "good")
    bad = client.patch(
        f"/api/v1/c2c/listings/{pair_id}", json={"condition": "mint"}, headers=seller
    )
    assert bad.status_code == 422
    foreign = client.patch(
        f"/api/v1/c2c/listings/{pair_id}", json={"price_cents": 1}, headers=trade["h"]["buyer"]
    )
    assert foreign.status_code == 404
    order = paid_order(client, trade)
    assert order["total_cents"] == 9000
    sold = client.patch(
        f"/api/v1/c2c/listings/{pair_id}", json={"price_cents": 5000}, headers=seller
    )
    assert sold.status_code == 409 and sold.get_json()["error"]["code"] == "not_editable"
    withdrawn = client.post(f"/api/v1/c2c/listings/{pair_id}/withdraw", headers=seller)
    assert withdrawn.status_code == 409
    assert listing_status(app, pair_id) == "sold"
    assert balanced(app)


def test_withdrawing_a_pair_ends_its_open_offers(app, client, trade):
    pair_id = trade["pair"]["id"]
    other = token_for(client, make_person(app).email)
    first = offer(client, trade["h"]["buyer"], pair_id, 8000).get_json()
    second = offer(client, other, pair_id, 7000).get_json()
    withdrawn = client.post(
        f"/api/v1/c2c/listings/{pair_id}/withdraw", headers=trade["h"]["seller"]
    )
    assert withdrawn.status_code == 200 and withdrawn.get_json()["status"] == "withdrawn"
    assert offer_status(app, first["id"]) == offer_status(app, second["id"]) == "withdrawn"
    assert answer(client, trade["h"]["seller"], first["id"], "accept").status_code == 409
    assert buy_pair(client, trade["h"]["buyer"], pair_id).status_code == 404
    assert offer(client, trade["h"]["buyer"], pair_id, 8000).status_code == 404
    listed = client.get("/api/v1/listings?mode=c2c").get_json()
    assert pair_id not in [item["id"] for item in listed["items"]]
    assert pair_stock(app, pair_id) == (0, 0)  # off sale: no pair to reserve
    relisted = client.post(f"/api/v1/c2c/listings/{pair_id}/relist", headers=trade["h"]["seller"])
    assert relisted.status_code == 200 and relisted.get_json()["status"] == "active"
    assert pair_stock(app, pair_id) == (1, 0)
    again = client.post(f"/api/v1/c2c/listings/{pair_id}/relist", headers=trade["h"]["seller"])
    assert again.status_code == 409


def test_withdrawing_a_pair_held_by_an_accepted_offer_lets_the_hold_go(app, client, trade):
    pair_id = trade["pair"]["id"]
    made = offer(client, trade["h"]["buyer"], pair_id, 8000).get_json()
    assert answer(client, trade["h"]["seller"], made["id"], "accept").status_code == 200
    assert pair_stock(app, pair_id) == (1, 1)
    client.post(f"/api/v1/c2c/listings/{pair_id}/withdraw", headers=trade["h"]["seller"])
    assert offer_status(app, made["id"]) == "withdrawn"
    assert pair_stock(app, pair_id) == (0, 0)
    paid = buy_pair(client, trade["h"]["buyer"], pair_id, offer_id=made["id"])
    assert paid.status_code == 404


def test_a_held_pair_keeps_its_price_and_size(app, client, trade):
    pair_id, seller = trade["pair"]["id"], trade["h"]["seller"]
    made = offer(client, trade["h"]["buyer"], pair_id, 8000).get_json()
    answer(client, seller, made["id"], "accept")
    url = f"/api/v1/c2c/listings/{pair_id}"
    for change in ({"price_cents": 7000}, {"size_eu": "44"}):
        held = client.patch(url, json=change, headers=seller)
        assert held.status_code == 409 and held.get_json()["error"]["code"] == "pair_reserved"
    described = client.patch(url, json={"description": "Laces replaced."}, headers=seller)
    assert described.status_code == 200
    order = bought(client, trade["h"]["buyer"], pair_id, offer_id=made["id"])
    assert order["total_cents"] == 8000 and order["lines"][0]["size_eu"] == "42.5"


# Offers and counter-offers.


def test_a_counter_offer_chain_ends_at_the_last_accepted_amount(app, client, trade, outbox):
    pair_id, buyer, seller = trade["pair"]["id"], trade["h"]["buyer"], trade["h"]["seller"]
    opening = offer(client, buyer, pair_id, 6000)
    assert opening.status_code == 201, opening.get_json()
    first = opening.get_json()
    assert (first["status"], first["amount_cents"], first["waiting_on"]) == (
        "open",
        6000,
        "seller",
    )
    assert first["expires_at"] == clock.isoformat(later(trade, hours=24))
    assert any(m["subject"] == "New offer on Aero Glide 3, worn twice" for m in outbox)

    countered = answer(client, seller, first["id"], "counter", 7500)
    assert countered.status_code == 201, countered.get_json()
    second = countered.get_json()
    assert (second["status"], second["amount_cents"], second["waiting_on"]) == (
        "open",
        7500,
        "buyer",
    )
    assert second["parent_id"] == first["id"]
    third = answer(client, buyer, second["id"], "counter", 7000).get_json()
    assert (third["amount_cents"], third["waiting_on"], third["parent_id"]) == (
        7000,
        "seller",
        second["id"],
    )
    accepted = answer(client, seller, third["id"], "accept")
    assert accepted.status_code == 200
    assert accepted.get_json()["status"] == "accepted"
    assert accepted.get_json()["amount_cents"] == 7000
    assert [offer_status(app, o["id"]) for o in (first, second, third)] == [
        "countered",
        "countered",
        "accepted",
    ]
    assert pair_stock(app, pair_id) == (1, 1)  # held for this buyer's payment

    order = bought(client, buyer, pair_id, offer_id=third["id"])
    assert order["mode"] == "c2c" and order["status"] == "paid"
    assert (order["subtotal_cents"], order["total_cents"], order["fee_cents"]) == (7000, 7000, 560)
    assert [(line["quantity"], line["unit_price_cents"]) for line in order["lines"]] == [(1, 7000)]
    assert offer_status(app, third["id"]) == "sold"
    assert payments_of(app, order["id"]) == [("charge", 7000, "succeeded")]
    assert escrow_held(app) == 7000
    assert pair_stock(app, pair_id) == (0, 0)
    assert listing_status(app, pair_id) == "sold"
    assert balanced(app)


def test_offers_must_stay_below_the_asking_price(app, client, trade):
    pair_id, buyer, seller = trade["pair"]["id"], trade["h"]["buyer"], trade["h"]["seller"]
    for amount in (10000, 10001):
        response = offer(client, buyer, pair_id, amount)
        assert response.status_code == 422, amount
        assert "amount_cents" in response.get_json()["error"]["fields"]
    for amount in (0, -5, "60"):
        assert offer(client, buyer, pair_id, amount).status_code == 422
    first = offer(client, buyer, pair_id, 6000).get_json()
    above = answer(client, seller, first["id"], "counter", 10001)
    assert above.status_code == 422
    assert offer_status(app, first["id"]) == "open"  # a refused counter changes nothing
    assert count(app, Offer) == 1


def test_who_may_offer_and_answer(app, client, trade):
    pair_id, buyer, seller = trade["pair"]["id"], trade["h"]["buyer"], trade["h"]["seller"]
    own = offer(client, seller, pair_id, 5000)
    assert own.status_code == 403
    first = offer(client, buyer, pair_id, 6000).get_json()
    again = offer(client, buyer, pair_id, 6500)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "offer_open"
    # the offer waits on the seller: the buyer cannot answer it
    for action, amount in (("accept", None), ("decline", None), ("counter", 6500)):
        response = answer(client, buyer, first["id"], action, amount)
        assert response.status_code == 403, action
    stranger = trade["h"]["stranger"]
    for action, amount in (("accept", None), ("decline", None), ("counter", 6500)):
        assert answer(client, stranger, first["id"], action, amount).status_code == 404
    assert client.get("/api/v1/c2c/offers", headers=stranger).get_json()["items"] == []
    # the counter waits on the buyer: now the seller cannot answer it
    reply = answer(client, seller, first["id"], "counter", 8000).get_json()
    assert answer(client, seller, reply["id"], "accept").status_code == 403
    assert answer(client, stranger, reply["id"], "decline").status_code == 404
    assert offer_status(app, reply["id"]) == "open"
    # an answered offer cannot be answered again
    assert answer(client, seller, first["id"], "accept").status_code == 409
    mine = client.get("/api/v1/c2c/offers", headers=buyer).get_json()["items"]
    assert [(o["id"], o["status"]) for o in mine] == [
        (reply["id"], "open"),
        (first["id"], "countered"),
    ]
    theirs = client.get("/api/v1/c2c/offers", headers=seller).get_json()["items"]
    assert [o["id"] for o in theirs] == [reply["id"], first["id"]]
    assert answer(client, buyer, reply["id"], "decline").get_json()["status"] == "declined"
    assert offer(client, buyer, pair_id, 7000).status_code == 201  # a new negotiation
    assert pair_stock(app, pair_id) == (1, 0)


def test_another_buyer_cannot_pay_someone_elses_accepted_offer(app, client, trade):
    pair_id = trade["pair"]["id"]
    made = offer(client, trade["h"]["buyer"], pair_id, 8000).get_json()
    answer(client, trade["h"]["seller"], made["id"], "accept")
    other = token_for(client, make_person(app).email)
    assert buy_pair(client, other, pair_id, offer_id=made["id"]).status_code == 404
    taken = buy_pair(client, other, pair_id)
    assert taken.status_code == 409 and taken.get_json()["error"]["code"] == "out_of_stock"
    held = offer(client, other, pair_id, 9000)
    assert held.status_code == 409 and held.get_json()["error"]["code"] == "pair_reserved"
    assert count(app, Order) == 0 and pair_stock(app, pair_id) == (1, 1)


def test_open_offers_expire_after_a_day(app, client, trade):
    pair_id = trade["pair"]["id"]
    made = offer(client, trade["h"]["buyer"], pair_id, 8000).get_json()
    assert run_jobs(app, later(trade, hours=23, minutes=59))["expire offers"] == 0
    assert offer_status(app, made["id"]) == "open"
    assert run_jobs(app, later(trade, hours=24, minutes=1))["expire offers"] == 1
    assert offer_status(app, made["id"]) == "expired"
    assert run_jobs(app, later(trade, hours=24, minutes=1))["expire offers"] == 0
    clock.set_now(later(trade, hours=25))
    response = answer(client, trade["h"]["seller"], made["id"], "accept")
    assert response.status_code == 409
    assert pair_stock(app, pair_id) == (1, 0)
    assert offer(client, trade["h"]["buyer"], pair_id, 8500).status_code == 201


def test_an_offer_past_its_time_cannot_be_accepted_even_before_the_job_runs(app, client, trade):
    made = offer(client, trade["h"]["buyer"], trade["pair"]["id"], 8000).get_json()
    clock.set_now(later(trade, hours=24, seconds=1))
    response = answer(client, trade["h"]["seller"], made["id"], "accept")
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "offer_expired"
    assert pair_stock(app, trade["pair"]["id"]) == (1, 0)


def test_an_accepted_but_unpaid_offer_expires_and_the_pair_is_free_again(app, client, trade):
    pair_id = trade["pair"]["id"]
    made = offer(client, trade["h"]["buyer"], pair_id, 8000).get_json()
    clock.set_now(later(trade, hours=2))
    accepted = answer(client, trade["h"]["seller"], made["id"], "accept").get_json()
    assert accepted["expires_at"] == clock.isoformat(later(trade, hours=26))
    assert pair_stock(app, pair_id) == (1, 1)
    other = token_for(client, make_person(app, name="Otto Other").email)
    assert buy_pair(client, other, pair_id).status_code == 409

    assert run_jobs(app, later(trade, hours=25, minutes=59))["expire offers"] == 0
    assert pair_stock(app, pair_id) == (1, 1)
    assert run_jobs(app, later(trade, hours=26, minutes=1))["expire offers"] == 1
    assert offer_status(app, made["id"]) == "expired"
    assert pair_stock(app, pair_id) == (1, 0)
    assert run_jobs(app, later(trade, hours=26, minutes=1))["expire offers"] == 0
    assert pair_stock(app, pair_id) == (1, 0)

    clock.set_now(later(trade, hours=27))
    late = buy_pair(client, trade["h"]["buyer"], pair_id, offer_id=made["id"])
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "offer_not_accepted"
    order = bought(client, other, pair_id)
    assert order["total_cents"] == 10000
    assert pair_stock(app, pair_id) == (0, 0)
    assert balanced(app)


def test_paying_an_accepted_offer_after_its_time_is_refused(app, client, trade):
    pair_id = trade["pair"]["id"]
    made = offer(client, trade["h"]["buyer"], pair_id, 8000).get_json()
    answer(client, trade["h"]["seller"], made["id"], "accept")
    clock.set_now(later(trade, hours=24, seconds=1))
    late = buy_pair(client, trade["h"]["buyer"], pair_id, offer_id=made["id"])
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "offer_expired"
    assert count(app, Order) == 0 and pair_stock(app, pair_id) == (1, 1)


# Buying into escrow.


@pytest.mark.parametrize("price", [10000, 12345, 10006])
def test_escrow_holds_until_the_buyer_confirms_then_pays_the_seller_less_the_fee(
    app, client, trade, price, outbox
):
    pair = new_pair(client, trade["h"]["seller"], price_cents=price)
    seller_id = trade["seller"].id
    order = bought(client, trade["h"]["buyer"], pair["id"])
    fee = c2c_fee(price)
    assert (order["status"], order["total_cents"], order["fee_cents"]) == ("paid", price, fee)
    assert order["seller_id"] == seller_id and order["buyer_id"] == trade["buyer"].id
    assert subjects_for(outbox, order["id"]) >= {"confirmed", "new"}
    with app.app_context():
        assert ledger.balance(ledger.ESCROW) == -price  # a credit: the platform holds it
        assert ledger.balance(ledger.CLEARING) == price
    assert me_balance(client, trade["h"]["seller"]) == NOTHING
    assert listing_status(app, pair["id"]) == "sold" and pair_stock(app, pair["id"]) == (0, 0)

    ship_and_deliver(client, order["id"], trade["h"]["seller"])
    assert escrow_held(app) == price and me_balance(client, trade["h"]["seller"]) == NOTHING
    assert act(client, order["id"], "confirm", trade["h"]["seller"]).status_code == 403
    returned = act(client, order["id"], "return", trade["h"]["buyer"], reason="Too small")
    assert returned.status_code == 409  # used pairs are disputed, not returned

    confirmed = act(client, order["id"], "confirm", trade["h"]["buyer"])
    assert confirmed.status_code == 200 and confirmed.get_json()["status"] == "completed"
    assert me_balance(client, trade["h"]["seller"]) == {
        "pending_cents": 0,
        "available_cents": price - fee,
    }
    assert escrow_held(app) == 0
    with app.app_context():
        assert ledger.owed(ledger.FEES) == fee
        assert ledger.owed(ledger.owner_code("seller_available", account_id=seller_id)) == (
            price - fee
        )
    history = [
        step["status"] for step in get_order(client, order["id"], trade["h"]["buyer"])["history"]
    ]
    assert history == ["pending_payment", "paid", "shipped", "delivered", "completed"]
    assert act(client, order["id"], "confirm", trade["h"]["buyer"]).status_code == 409
    assert me_balance(client, trade["h"]["seller"])["available_cents"] == price - fee
    assert balanced(app)


def subjects_for(outbox, order_id) -> set[str]:
    found = set()
    for message in outbox:
        if message["subject"] == f"Order #{order_id} confirmed":
            found.add("confirmed")
        if message["subject"] == f"New order #{order_id}":
            found.add("new")
    return found


def test_auto_confirm_pays_the_seller_three_days_after_delivery(app, client, trade):
    order = delivered_order(client, trade)
    fee = c2c_fee(10000)
    assert run_jobs(app, later(trade, days=3, minutes=-1))["confirm delivered used pairs"] == 0
    assert order_status(app, order["id"]) == "delivered"
    assert escrow_held(app) == 10000 and person_balance(app, trade["seller"].id) == NOTHING

    report = run_jobs(app, later(trade, days=3, minutes=1))
    assert report["confirm delivered used pairs"] == 1
    assert report["complete orders past their return window"] == 0
    assert order_status(app, order["id"]) == "completed"
    assert escrow_held(app) == 0
    assert me_balance(client, trade["h"]["seller"]) == {
        "pending_cents": 0,
        "available_cents": 10000 - fee,
    }
    again = run_jobs(app, later(trade, days=3, minutes=1))
    assert again["confirm delivered used pairs"] == 0
    assert person_balance(app, trade["seller"].id)["available_cents"] == 10000 - fee
    history = get_order(client, order["id"], trade["h"]["seller"])["history"]
    assert history[-1]["status"] == "completed" and "automatically" in history[-1]["note"]
    assert balanced(app)


def test_auto_confirm_leaves_paid_and_shipped_pairs_alone(app, client, trade):
    order = paid_order(client, trade)
    act(client, order["id"], "ship", trade["h"]["seller"], carrier="UPS", tracking_number="1Z")
    report = run_jobs(app, later(trade, days=30))
    assert report["confirm delivered used pairs"] == 0
    assert report["cancel unshipped used-pair orders"] == 0
    assert order_status(app, order["id"]) == "shipped" and escrow_held(app) == 10000


def test_an_unshipped_order_is_cancelled_and_refunded_in_full_after_the_ship_by_deadline(
    app, client, trade, outbox
):
    order = paid_order(client, trade)
    pair_id = trade["pair"]["id"]
    job = "cancel unshipped used-pair orders"
    assert run_jobs(app, later(trade, days=5, minutes=-1))[job] == 0
    assert order_status(app, order["id"]) == "paid" and escrow_held(app) == 10000

    assert run_jobs(app, later(trade, days=5, minutes=1))[job] == 1
    assert order_status(app, order["id"]) == "cancelled"
    assert payments_of(app, order["id"]) == [
        ("charge", 10000, "succeeded"),
        ("refund", 10000, "succeeded"),
    ]
    assert escrow_held(app) == 0
    with app.app_context():
        assert ledger.balance(ledger.CLEARING) == 0 and ledger.balance(ledger.FEES) == 0
    assert person_balance(app, trade["seller"].id) == NOTHING
    assert listing_status(app, pair_id) == "withdrawn"
    assert pair_stock(app, pair_id) == (0, 0)  # still with its seller, off sale until relisted
    assert balanced(app)
    assert any(
        m["subject"] == f"Order #{order['id']} cancelled" and m["to"] == trade["buyer"].email
        for m in outbox
    )

    assert run_jobs(app, later(trade, days=5, minutes=1))[job] == 0
    assert run_jobs(app, later(trade, days=9))[job] == 0
    assert len(payments_of(app, order["id"])) == 2
    assert order_status(app, order["id"]) == "cancelled" and escrow_held(app) == 0
    history = get_order(client, order["id"], trade["h"]["buyer"])["history"]
    assert [step["status"] for step in history] == ["pending_payment", "paid", "cancelled"]
    assert balanced(app)


def test_a_pair_shipped_in_time_is_not_cancelled(app, client, trade):
    order = paid_order(client, trade)
    clock.set_now(later(trade, days=4))
    act(client, order["id"], "ship", trade["h"]["seller"], carrier="UPS", tracking_number="1Z")
    assert run_jobs(app, later(trade, days=6))["cancel unshipped used-pair orders"] == 0
    assert order_status(app, order["id"]) == "shipped" and escrow_held(app) == 10000


def test_buying_refuses_what_cannot_be_bought(app, client, trade):
    pair_id = trade["pair"]["id"]
    own = buy_pair(client, trade["h"]["seller"], pair_id)
    assert own.status_code == 403
    declined = buy_pair(client, trade["h"]["buyer"], pair_id, card=CARD_DECLINED)
    assert declined.status_code == 402
    assert declined.get_json()["error"]["code"] == "payment_declined"
    bad_card = buy_pair(client, trade["h"]["buyer"], pair_id, card="1234")
    assert bad_card.status_code == 422
    assert "payment.card_number" in bad_card.get_json()["error"]["fields"]
    assert count(app, Order) == 0 and pair_stock(app, pair_id) == (1, 0)
    assert listing_status(app, pair_id) == "active" and balanced(app)
    assert buy_pair(client, trade["h"]["buyer"], 999999).status_code == 404
    business = make_company_member(app)
    shop_pair = make_listing(app, business.company_id, {"42": 3})
    assert buy_pair(client, trade["h"]["buyer"], shop_pair.id).status_code == 404


def test_a_repeated_idempotency_key_buys_once(app, client, trade):
    pair_id = trade["pair"]["id"]
    first = buy_pair(client, trade["h"]["buyer"], pair_id, key="used-1")
    again = buy_pair(client, trade["h"]["buyer"], pair_id, key="used-1")
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    assert count(app, Order) == 1 and escrow_held(app) == 10000


def test_a_sold_pair_cannot_be_bought_again(app, client, trade):
    pair_id = trade["pair"]["id"]
    paid_order(client, trade)
    other = token_for(client, make_person(app).email)
    late = buy_pair(client, other, pair_id)
    assert late.status_code == 409
    error = late.get_json()["error"]
    assert error["code"] == "out_of_stock"
    assert [(v["variant_id"], v["available"]) for v in error["variants"]] == [
        (trade["pair"]["variants"][0]["id"], 0)
    ]
    assert count(app, Order) == 1 and escrow_held(app) == 10000


def test_a_c2c_order_is_private_to_its_parties(app, client, trade):
    order = paid_order(client, trade)
    assert (
        client.get(f"/api/v1/orders/{order['id']}", headers=trade["h"]["stranger"]).status_code
        == 404
    )
    for who in ("buyer", "seller", "admin"):
        assert get_order(client, order["id"], trade["h"][who])["mode"] == "c2c"
    for action in ("cancel", "ship", "confirm", "dispute"):
        response = act(
            client,
            order["id"],
            action,
            trade["h"]["stranger"],
            reason="x",
            carrier="x",
            tracking_number="1",
        )
        assert response.status_code == 404, action
    sales = client.get("/api/v1/orders?role=seller", headers=trade["h"]["seller"]).get_json()
    assert [o["id"] for o in sales["items"]] == [order["id"]]
    assert client.get("/api/v1/orders", headers=trade["h"]["stranger"]).get_json()["total"] == 0


def test_the_buyer_cancels_before_shipping_and_the_pair_is_back_on_sale(app, client, trade):
    order = paid_order(client, trade)
    response = act(client, order["id"], "cancel", trade["h"]["buyer"], reason="Wrong size")
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    assert payments_of(app, order["id"])[-1] == ("refund", 10000, "succeeded")
    assert escrow_held(app) == 0 and person_balance(app, trade["seller"].id) == NOTHING
    assert listing_status(app, trade["pair"]["id"]) == "active"
    assert pair_stock(app, trade["pair"]["id"]) == (1, 0)
    assert balanced(app)


# Disputes.


@pytest.mark.parametrize("opened_when", ["shipped", "delivered"])
def test_a_dispute_freezes_escrow_and_auto_confirm(app, client, trade, opened_when, outbox):
    order = paid_order(client, trade)
    act(client, order["id"], "ship", trade["h"]["seller"], carrier="UPS", tracking_number="1Z")
    if opened_when == "delivered":
        act(client, order["id"], "deliver", trade["h"]["seller"])
    opened = dispute(client, trade, order["id"])
    assert opened.status_code == 201, opened.get_json()
    body = opened.get_json()
    assert (body["status"], body["order_id"]) == ("open", order["id"])
    assert order_status(app, order["id"]) == "disputed"
    assert any(m["subject"] == f"Dispute on order #{order['id']}" for m in outbox)
    for days in (3, 4, 10, 40):
        report = run_jobs(app, later(trade, days=days, minutes=1))
        assert report["confirm delivered used pairs"] == 0
        assert report["cancel unshipped used-pair orders"] == 0
    assert order_status(app, order["id"]) == "disputed"
    assert escrow_held(app) == 10000
    assert person_balance(app, trade["seller"].id) == NOTHING
    listed = client.get("/api/v1/admin/disputes", headers=trade["h"]["admin"]).get_json()
    assert [d["id"] for d in listed["items"]] == [body["id"]]
    assert balanced(app)


@pytest.mark.parametrize("relist", [False, True])
def test_a_refund_resolution_gives_the_buyer_everything_back(app, client, trade, relist, outbox):
    order = delivered_order(client, trade)
    opened = dispute(client, trade, order["id"]).get_json()
    resolved = resolve(client, trade["h"]["admin"], opened["id"], outcome="refund", relist=relist)
    assert resolved.status_code == 200, resolved.get_json()
    body = resolved.get_json()
    assert (body["status"], body["outcome"], body["relisted"]) == ("resolved", "refund", relist)
    assert order_status(app, order["id"]) == "refunded"
    assert payments_of(app, order["id"]) == [
        ("charge", 10000, "succeeded"),
        ("refund", 10000, "succeeded"),
    ]
    assert escrow_held(app) == 0
    assert person_balance(app, trade["seller"].id) == NOTHING
    with app.app_context():
        assert ledger.balance(ledger.CLEARING) == 0 and ledger.balance(ledger.FEES) == 0
    pair_id = trade["pair"]["id"]
    if relist:
        assert listing_status(app, pair_id) == "active" and pair_stock(app, pair_id) == (1, 0)
        assert bought(client, trade["h"]["stranger"], pair_id)["total_cents"] == 10000
    else:
        assert listing_status(app, pair_id) != "active" and pair_stock(app, pair_id) == (0, 0)
    again = resolve(client, trade["h"]["admin"], opened["id"], outcome="release")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_resolved"
    assert order_status(app, order["id"]) == "refunded"
    assert person_balance(app, trade["seller"].id) == NOTHING
    told = {m["to"] for m in outbox if m["subject"] == f"Dispute on order #{order['id']} resolved"}
    assert told == {trade["buyer"].email, trade["seller"].email}
    open_ones = client.get("/api/v1/admin/disputes", headers=trade["h"]["admin"]).get_json()
    assert (open_ones["items"], open_ones["total"]) == ([], 0)
    assert balanced(app)


def test_a_release_resolution_pays_the_seller_less_the_fee(app, client, trade):
    order = paid_order(client, trade)
    act(client, order["id"], "ship", trade["h"]["seller"], carrier="UPS", tracking_number="1Z")
    opened = dispute(client, trade, order["id"]).get_json()
    resolved = resolve(client, trade["h"]["admin"], opened["id"], outcome="release")
    assert resolved.status_code == 200 and resolved.get_json()["outcome"] == "release"
    assert order_status(app, order["id"]) == "completed"
    assert me_balance(client, trade["h"]["seller"]) == {
        "pending_cents": 0,
        "available_cents": 10000 - 800,
    }
    assert escrow_held(app) == 0
    assert payments_of(app, order["id"]) == [("charge", 10000, "succeeded")]
    again = resolve(client, trade["h"]["admin"], opened["id"], outcome="refund")
    assert again.status_code == 409
    assert order_status(app, order["id"]) == "completed"
    assert me_balance(client, trade["h"]["seller"])["available_cents"] == 9200
    assert balanced(app)


def test_only_admins_resolve_disputes(app, client, trade):
    order = delivered_order(client, trade)
    opened = dispute(client, trade, order["id"]).get_json()
    for who in ("buyer", "seller", "stranger"):
        response = resolve(client, trade["h"][who], opened["id"], outcome="refund")
        assert response.status_code == 403, who
        assert client.get("/api/v1/admin/disputes", headers=trade["h"][who]).status_code == 403
    assert resolve(client, {}, opened["id"], outcome="refund").status_code == 401
    bad = resolve(client, trade["h"]["admin"], opened["id"], outcome="split")
    assert bad.status_code == 422
    assert resolve(client, trade["h"]["admin"], 999999, outcome="refund").status_code == 404
    assert order_status(app, order["id"]) == "disputed" and escrow_held(app) == 10000


def test_who_may_dispute_and_when(app, client, trade):
    order = paid_order(client, trade)
    early = dispute(client, trade, order["id"])
    assert early.status_code == 409  # nothing shipped yet: cancel instead
    act(client, order["id"], "ship", trade["h"]["seller"], carrier="UPS", tracking_number="1Z")
    seller = client.post(
        f"/api/v1/orders/{order['id']}/dispute", json={"reason": "x"}, headers=trade["h"]["seller"]
    )
    assert seller.status_code == 403
    stranger = client.post(
        f"/api/v1/orders/{order['id']}/dispute",
        json={"reason": "x"},
        headers=trade["h"]["stranger"],
    )
    assert stranger.status_code == 404
    assert dispute(client, trade, order["id"], reason="   ").status_code == 422
    assert count(app, Dispute) == 0
    assert dispute(client, trade, order["id"]).status_code == 201
    second = dispute(client, trade, order["id"])
    assert second.status_code == 409
    assert count(app, Dispute) == 1


def test_a_confirmed_pair_can_no_longer_be_disputed(app, client, trade):
    order = completed_order(client, trade)
    assert dispute(client, trade, order["id"]).status_code == 409
    assert count(app, Dispute) == 0
    assert person_balance(app, trade["seller"].id)["available_cents"] == 9200


def test_a_disputed_order_cannot_be_confirmed_around_the_admin(app, client, trade):
    order = delivered_order(client, trade)
    opened = dispute(client, trade, order["id"]).get_json()
    confirmed = act(client, order["id"], "confirm", trade["h"]["buyer"])
    assert confirmed.status_code == 409
    assert order_status(app, order["id"]) == "disputed"
    assert escrow_held(app) == 10000
    resolved = resolve(client, trade["h"]["admin"], opened["id"], outcome="refund")
    assert resolved.status_code == 200


# Messages.


def test_messages_are_seen_only_by_the_seller_and_the_buyer_who_wrote(app, client, trade):
    pair_id, seller = trade["pair"]["id"], trade["h"]["seller"]
    url = f"/api/v1/c2c/listings/{pair_id}/messages"
    other = make_person(app, name="Otto Other")
    other_headers = token_for(client, other.email)
    asked = client.post(url, json={"body": "Do they run small?"}, headers=trade["h"]["buyer"])
    assert asked.status_code == 201, asked.get_json()
    client.post(url, json={"body": "Any scuffs on the toe?"}, headers=other_headers)

    everything = client.get(url, headers=seller).get_json()["items"]
    assert sorted(m["body"] for m in everything) == ["Any scuffs on the toe?", "Do they run small?"]
    one = client.get(f"{url}?buyer_id={trade['buyer'].id}", headers=seller).get_json()["items"]
    assert [m["body"] for m in one] == ["Do they run small?"]
    replied = client.post(
        url, json={"body": "True to size.", "buyer_id": trade["buyer"].id}, headers=seller
    )
    assert replied.status_code == 201
    assert replied.get_json()["buyer_id"] == trade["buyer"].id

    mine = client.get(url, headers=trade["h"]["buyer"]).get_json()["items"]
    assert [(m["sender_name"], m["body"]) for m in mine] == [
        ("Bea Buyer", "Do they run small?"),
        ("Sol Seller", "True to size."),
    ]
    peeking = client.get(f"{url}?buyer_id={other.id}", headers=trade["h"]["buyer"])
    assert [m["body"] for m in peeking.get_json()["items"]] == [m["body"] for m in mine]
    theirs = client.get(url, headers=other_headers).get_json()["items"]
    assert [m["body"] for m in theirs] == ["Any scuffs on the toe?"]

    assert client.get(url, headers=trade["h"]["stranger"]).status_code == 404
    stranger_id = trade["stranger"].id
    cold = client.post(url, json={"body": "Hi", "buyer_id": stranger_id}, headers=seller)
    assert cold.status_code == 404  # the seller answers, never starts, a thread
    assert client.post(url, json={"body": "Hi"}, headers=seller).status_code == 422
    assert client.post(url, json={"body": "  "}, headers=trade["h"]["buyer"]).status_code == 422
    assert client.get(url).status_code == 401


def test_after_the_sale_only_the_parties_talk_about_the_pair(app, client, trade):
    url = f"/api/v1/c2c/listings/{trade['pair']['id']}/messages"
    client.post(url, json={"body": "Still available?"}, headers=trade["h"]["buyer"])
    other = token_for(client, make_person(app, name="Otto Other").email)
    assert client.post(url, json={"body": "Any scuffs?"}, headers=other).status_code == 201
    paid_order(client, trade)
    late = client.post(url, json={"body": "Is it sold?"}, headers=trade["h"]["stranger"])
    assert late.status_code == 404
    too_late = client.post(url, json={"body": "Can I still have it?"}, headers=other)
    assert too_late.status_code == 404
    more = client.post(url, json={"body": "Bought it!"}, headers=trade["h"]["buyer"])
    assert more.status_code == 201
    # The seller answers the buyer of the sale without naming them.
    answer = client.post(url, json={"body": "Ships Monday."}, headers=trade["h"]["seller"])
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["buyer_id"] == trade["buyer"].id
    mine = client.get(url, headers=trade["h"]["buyer"]).get_json()
    assert [m["body"] for m in mine["items"]] == ["Still available?", "Bought it!", "Ships Monday."]
    assert client.get(url, headers=trade["h"]["stranger"]).status_code == 404


def test_a_buyer_who_never_wrote_talks_with_the_seller_after_buying(app, client, trade):
    url = f"/api/v1/c2c/listings/{trade['pair']['id']}/messages"
    assert client.get(url, headers=trade["h"]["buyer"]).status_code == 404  # no thread yet
    paid_order(client, trade)
    empty = client.get(url, headers=trade["h"]["buyer"])
    assert empty.status_code == 200
    assert empty.get_json() == {"items": [], "page": 1, "per_page": 20, "total": 0}
    first = client.post(url, json={"body": "When do you ship?"}, headers=trade["h"]["seller"])
    assert first.status_code == 201, first.get_json()
    asked = client.post(url, json={"body": "Thanks!"}, headers=trade["h"]["buyer"])
    assert asked.status_code == 201, asked.get_json()
    seen = client.get(url, headers=trade["h"]["seller"]).get_json()["items"]
    assert [(m["buyer_id"], m["body"]) for m in seen] == [
        (trade["buyer"].id, "When do you ship?"),
        (trade["buyer"].id, "Thanks!"),
    ]


def test_a_seller_answers_the_only_buyer_who_wrote_without_naming_them(app, client, trade):
    url = f"/api/v1/c2c/listings/{trade['pair']['id']}/messages"
    client.post(url, json={"body": "Do they run small?"}, headers=trade["h"]["buyer"])
    answer = client.post(url, json={"body": "True to size."}, headers=trade["h"]["seller"])
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["buyer_id"] == trade["buyer"].id
    client.post(url, json={"body": "Box included?"}, headers=trade["h"]["stranger"])
    unclear = client.post(url, json={"body": "Yes."}, headers=trade["h"]["seller"])
    assert unclear.status_code == 422
    assert "buyer_id" in unclear.get_json()["error"]["fields"]


def test_offers_and_my_pairs_come_in_pages_like_every_list(app, client, trade):
    for price in (6000, 7000, 8000):
        new_pair(client, trade["h"]["seller"], price_cents=price)
    mine = client.get("/api/v1/c2c/listings/mine?per_page=3", headers=trade["h"]["seller"])
    assert mine.status_code == 200
    body = mine.get_json()
    assert (body["page"], body["per_page"], body["total"], len(body["items"])) == (1, 3, 4, 3)
    assert {item["status"] for item in body["items"]} == {"active"}
    rest = client.get("/api/v1/c2c/listings/mine?page=2&per_page=3", headers=trade["h"]["seller"])
    assert len(rest.get_json()["items"]) == 1
    made = offer(client, trade["h"]["buyer"], trade["pair"]["id"], 8000)
    assert made.status_code == 201
    offers_page = client.get("/api/v1/c2c/offers?per_page=1", headers=trade["h"]["seller"])
    assert offers_page.get_json()["total"] == 1
    assert offers_page.get_json()["items"][0]["id"] == made.get_json()["id"]
    bad = client.get("/api/v1/c2c/offers?per_page=0", headers=trade["h"]["seller"])
    assert bad.status_code == 422


def test_messages_come_in_pages_oldest_first(app, client, trade):
    url = f"/api/v1/c2c/listings/{trade['pair']['id']}/messages"
    for number in range(1, 6):
        sent = client.post(url, json={"body": f"Question {number}"}, headers=trade["h"]["buyer"])
        assert sent.status_code == 201
    second = client.get(f"{url}?page=2&per_page=2", headers=trade["h"]["seller"]).get_json()
    assert (second["page"], second["per_page"], second["total"]) == (2, 2, 5)
    assert [m["body"] for m in second["items"]] == ["Question 3", "Question 4"]
    last = client.get(f"{url}?page=3&per_page=2", headers=trade["h"]["buyer"]).get_json()
    assert [m["body"] for m in last["items"]] == ["Question 5"]
    too_many = client.get(f"{url}?per_page=101", headers=trade["h"]["buyer"])
    assert too_many.status_code == 422


def test_a_used_pair_cannot_go_in_the_cart_so_it_is_always_paid_into_escrow(app, client, trade):
    variant_id = trade["pair"]["variants"][0]["id"]
    added = client.post(
        "/api/v1/cart/items",
        json={"variant_id": variant_id, "quantity": 1},
        headers=trade["h"]["buyer"],
    )
    assert added.status_code == 422
    assert added.get_json()["error"]["code"] == "used_pair"
    assert "variant_id" in added.get_json()["error"]["fields"]
    cart = client.get("/api/v1/cart", headers=trade["h"]["buyer"]).get_json()
    assert (cart["items"], cart["subtotal_cents"]) == ([], 0)
    order = paid_order(client, trade)
    assert (order["mode"], order["status"]) == ("c2c", "paid")
    assert escrow_held(app) == 10000


# Ratings and profiles.


def test_ratings_stay_hidden_until_both_sides_have_rated(app, client, trade):
    order = completed_order(client, trade)
    seller_id, buyer_id = trade["seller"].id, trade["buyer"].id
    given = rate(client, order["id"], trade["h"]["buyer"], 5, "Exactly as described")
    assert given.status_code == 201, given.get_json()
    assert given.get_json()["stars"] == 5
    shown = profile(client, seller_id)
    assert (shown["ratings_count"], shown["rating"], shown["ratings"]) == (0, None, [])
    assert shown["completed_sales"] == 1

    back = rate(client, order["id"], trade["h"]["seller"], 4, "Paid fast")
    assert back.status_code == 201
    shown = profile(client, seller_id)
    assert (shown["ratings_count"], shown["rating"]) == (1, 5.0)
    assert [(r["stars"], r["comment"], r["role"]) for r in shown["ratings"]] == [
        (5, "Exactly as described", "buyer")
    ]
    buyer_side = profile(client, buyer_id)
    assert (buyer_side["ratings_count"], buyer_side["rating"]) == (1, 4.0)
    assert buyer_side["completed_sales"] == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Rating)) == 2


def test_a_lone_rating_shows_after_seven_days(app, client, trade):
    order = completed_order(client, trade)
    rate(client, order["id"], trade["h"]["buyer"], 3, "Slow to ship")
    clock.set_now(later(trade, days=7, minutes=-1))
    assert profile(client, trade["seller"].id)["ratings_count"] == 0
    clock.set_now(later(trade, days=7, seconds=1))
    shown = profile(client, trade["seller"].id)
    assert (shown["ratings_count"], shown["rating"]) == (1, 3.0)
    assert shown["ratings"][0]["comment"] == "Slow to ship"
    assert profile(client, trade["buyer"].id)["ratings_count"] == 0


def test_each_side_rates_once_and_only_after_delivery(app, client, trade):
    """API.md: the review is for a delivered order; for a used pair both sides rate, before
    the buyer confirms receipt as well as after."""
    order = paid_order(client, trade)
    early = rate(client, order["id"], trade["h"]["buyer"], 5)
    assert early.status_code == 409 and early.get_json()["error"]["code"] == "not_delivered"
    shipped = act(
        client, order["id"], "ship", trade["h"]["seller"], carrier="UPS", tracking_number="1Z9"
    )
    assert shipped.status_code == 200
    too_soon = rate(client, order["id"], trade["h"]["seller"], 5)
    assert too_soon.status_code == 409 and too_soon.get_json()["error"]["code"] == "not_delivered"
    assert act(client, order["id"], "deliver", trade["h"]["seller"]).status_code == 200
    assert rate(client, order["id"], trade["h"]["buyer"], 6).status_code == 422
    assert rate(client, order["id"], trade["h"]["buyer"], 0).status_code == 422
    assert rate(client, order["id"], trade["h"]["stranger"], 5).status_code == 404
    assert rate(client, order["id"], trade["h"]["buyer"], 5).status_code == 201
    twice = rate(client, order["id"], trade["h"]["buyer"], 1)
    assert twice.status_code == 409 and twice.get_json()["error"]["code"] == "already_rated"
    assert rate(client, order["id"], trade["h"]["seller"], 4).status_code == 201
    assert rate(client, order["id"], trade["h"]["seller"], 4).status_code == 409
    with app.app_context():
        rows = db.session.execute(select(Rating.role, Rating.stars).order_by(Rating.id)).all()
        assert [tuple(row) for row in rows] == [("buyer", 5), ("seller", 4)]
    assert profile(client, trade["seller"].id)["rating"] == 5.0


def test_a_profile_counts_completed_sales_and_shows_pairs_on_sale(app, client, trade):
    completed_order(client, trade)
    extra = new_pair(client, trade["h"]["seller"], price_cents=4500, title="Court Classic")
    shown = profile(client, trade["seller"].id)
    assert shown["name"] == "Sol Seller" and shown["completed_sales"] == 1
    assert [item["id"] for item in shown["listings"]] == [extra["id"]]
    assert shown["listings"][0]["condition"] == "like_new"
    business = make_company_member(app)
    assert client.get(f"/api/v1/people/{business.id}").status_code == 404
    assert client.get("/api/v1/people/999999").status_code == 404


# Resale with provenance.


@pytest.fixture
def retail_purchase(app, client, trade):
    """The buyer bought two retail pairs (B2C checkout) and the shop delivered them."""
    shop = make_company_member(app, "Aero Shoes")
    listing = make_listing(app, shop.company_id, {"43": 5}, 12999, title="Aero Glide 3")
    buyer = trade["h"]["buyer"]
    client.post(
        "/api/v1/cart/items",
        json={"variant_id": listing.variants["43"], "quantity": 2},
        headers=buyer,
    )
    placed = client.post(
        "/api/v1/checkout",
        json={
            "shipping_address": {
                "name": "Bea Buyer",
                "line1": "1 Main St",
                "city": "Springfield",
                "postal_code": "12345",
                "country": "US",
            },
            "payment": {"card_number": "4242 4242 4242 4242"},
        },
        headers=buyer,
    )
    assert placed.status_code == 201, placed.get_json()
    order_id = placed.get_json()["orders"][0]["id"]
    shop_headers = token_for(client, shop.email)
    return {
        "order_id": order_id,
        "line_id": line_of(app, order_id),
        "shop_headers": shop_headers,
        "listing": listing,
    }


def test_a_completed_purchase_is_resold_with_its_provenance(app, client, trade, retail_purchase):
    line_id = retail_purchase["line_id"]
    buyer = trade["h"]["buyer"]
    early = list_pair(client, buyer, resell_order_line_id=str(line_id), size_eu="43")
    assert early.status_code == 404  # not delivered yet
    ship_and_deliver(client, retail_purchase["order_id"], retail_purchase["shop_headers"])
    returnable = list_pair(client, buyer, resell_order_line_id=str(line_id), size_eu="43")
    assert returnable.status_code == 404  # it may still go back within the return window
    assert act(client, retail_purchase["order_id"], "confirm", buyer).status_code == 200

    someone_else = list_pair(
        client, trade["h"]["stranger"], resell_order_line_id=str(line_id), size_eu="43"
    )
    assert someone_else.status_code == 404

    first = list_pair(client, buyer, resell_order_line_id=str(line_id), size_eu="43")
    assert first.status_code == 201, first.get_json()
    with app.app_context():
        provenance = db.session.scalar(
            select(Provenance).where(Provenance.listing_id == first.get_json()["id"])
        )
        assert provenance.order_line_id == line_id
        paid_at = db.session.get(Order, retail_purchase["order_id"]).paid_at
        assert provenance.purchased_at == paid_at
    page = client.get(f"/listings/{first.get_json()['id']}").get_data(as_text=True)
    assert f"Bought on Solemate on {paid_at.strftime('%d %b %Y')}" in page

    second = list_pair(client, buyer, resell_order_line_id=str(line_id), size_eu="43")
    assert second.status_code == 201  # two pairs were bought
    third = list_pair(client, buyer, resell_order_line_id=str(line_id), size_eu="43")
    assert third.status_code == 409
    assert third.get_json()["error"]["code"] == "already_relisted"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Provenance)) == 2
        assert count(app, Listing) == 4  # the shop's, the trade's, and two resold pairs
    missing = list_pair(client, buyer, resell_order_line_id="999999")
    assert missing.status_code == 404


def test_a_resale_needs_a_photo_when_the_original_listing_has_none(
    app, client, trade, retail_purchase
):
    ship_and_deliver(client, retail_purchase["order_id"], retail_purchase["shop_headers"])
    act(client, retail_purchase["order_id"], "confirm", trade["h"]["buyer"])
    response = list_pair(
        client,
        trade["h"]["buyer"],
        photos=[],
        resell_order_line_id=str(retail_purchase["line_id"]),
    )
    assert response.status_code == 422 and "photos" in response.get_json()["error"]["fields"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Provenance)) == 0


def test_a_purchase_being_returned_cannot_be_resold(app, client, trade, retail_purchase):
    order_id, shop = retail_purchase["order_id"], retail_purchase["shop_headers"]
    ship_and_deliver(client, order_id, shop)
    act(client, order_id, "return", trade["h"]["buyer"], reason="Too small")
    response = list_pair(
        client, trade["h"]["buyer"], resell_order_line_id=str(retail_purchase["line_id"])
    )
    assert response.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 1


def test_trial_balance_stays_zero_through_every_ending(app, client, trade):
    """Completed, cancelled by the job, refunded and released trades side by side."""
    seller = trade["h"]["seller"]
    pairs = [new_pair(client, seller, price_cents=price)["id"] for price in (5001, 7777, 12345)]
    done = bought(client, trade["h"]["buyer"], pairs[0])
    ship_and_deliver(client, done["id"], seller)
    act(client, done["id"], "confirm", trade["h"]["buyer"])
    refunded = bought(client, trade["h"]["buyer"], pairs[1])
    ship_and_deliver(client, refunded["id"], seller)
    opened = dispute(client, trade, refunded["id"]).get_json()
    resolve(client, trade["h"]["admin"], opened["id"], outcome="refund")
    released = bought(client, trade["h"]["buyer"], pairs[2])
    ship_and_deliver(client, released["id"], seller)
    opened = dispute(client, trade, released["id"]).get_json()
    resolve(client, trade["h"]["admin"], opened["id"], outcome="release")
    late = bought(client, trade["h"]["buyer"], trade["pair"]["id"])
    run_jobs(app, later(trade, days=6))
    assert order_status(app, late["id"]) == "cancelled"
    expected = (5001 - c2c_fee(5001)) + (12345 - c2c_fee(12345))
    assert person_balance(app, trade["seller"].id) == {
        "pending_cents": 0,
        "available_cents": expected,
    }
    assert escrow_held(app) == 0
    with app.app_context():
        assert ledger.owed(ledger.FEES) == c2c_fee(5001) + c2c_fee(12345)
    trial = client.get("/api/v1/admin/ledger/trial-balance", headers=trade["h"]["admin"])
    body = trial.get_json()
    assert body["balanced"] is True
    assert body["total_debits_cents"] == body["total_credits_cents"]


@pytest.mark.parametrize("length", [2001, 6000])
def test_an_overlong_message_or_dispute_gets_one_limit_whatever_its_length(
    app, client, trade, length
):
    url = f"/api/v1/c2c/listings/{trade['pair']['id']}/messages"
    sent = client.post(url, json={"body": "x" * length}, headers=trade["h"]["buyer"])
    assert sent.status_code == 422
    assert sent.get_json()["error"]["fields"] == {"body": ["Write 1 to 2000 characters."]}
    order = delivered_order(client, trade)
    disputed = dispute(client, trade, order["id"], reason="x" * length)
    assert disputed.status_code == 422
    assert disputed.get_json()["error"]["fields"] == {"reason": ["At most 2,000 characters."]}
    assert count(app, Message) == 0 and count(app, Dispute) == 0


def test_a_used_pair_is_resold_only_once_its_buyer_has_it_for_good(app, client, trade):
    """In escrow (delivered, not confirmed) or in dispute the pair may still be refunded."""
    buyer = trade["h"]["buyer"]
    kept = delivered_order(client, trade)
    kept_line = line_of(app, kept["id"])
    in_escrow = list_pair(client, buyer, resell_order_line_id=str(kept_line))
    assert in_escrow.status_code == 404
    assert act(client, kept["id"], "confirm", buyer).status_code == 200
    assert list_pair(client, buyer, resell_order_line_id=str(kept_line)).status_code == 201

    other_pair = new_pair(client, trade["h"]["seller"], price_cents=6000)["id"]
    disputed = bought(client, buyer, other_pair)
    ship_and_deliver(client, disputed["id"], trade["h"]["seller"])
    assert dispute(client, trade, disputed["id"]).status_code == 201
    in_dispute = list_pair(client, buyer, resell_order_line_id=str(line_of(app, disputed["id"])))
    assert in_dispute.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Provenance)) == 1


def test_nobody_rates_a_trade_while_its_dispute_is_open(app, client, trade):
    order = delivered_order(client, trade)
    opened = dispute(client, trade, order["id"]).get_json()
    for side in ("buyer", "seller"):
        refused = rate(client, order["id"], trade["h"][side], 1)
        assert refused.status_code == 409
        assert refused.get_json()["error"]["code"] == "dispute_open"
    resolved = resolve(client, trade["h"]["admin"], opened["id"], outcome="refund")
    assert resolved.status_code == 200
    assert rate(client, order["id"], trade["h"]["buyer"], 2).status_code == 201
    with app.app_context():
        assert db.session.scalars(select(Rating.stars)).all() == [2]
