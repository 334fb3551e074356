"""Used pairs on the pages: selling with photos, the listing's buy box, offers, buying into
escrow, the order page's C2C panel (ship, dispute, confirm, rate), profiles, the catalog's
used-pair filter, resale with provenance, messages and the admin's dispute pages."""

from __future__ import annotations

import html
import io
import os
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from marketplace import clock
from marketplace.extensions import db
from marketplace.services import jobs
from models import Dispute, Listing, Message, Offer, Order, Photo, Rating, StagedPhoto
from tests.c2c_helpers import (
    CARD_DECLINED,
    CARD_OK,
    act,
    answer,
    balanced,
    bought,
    c2c_fee,
    escrow_held,
    line_of,
    listing_status,
    new_pair,
    offer,
    order_status,
    pair_stock,
    person_balance,
    ship_and_deliver,
)
from tests.helpers import (
    browser,
    count,
    image_bytes,
    make_admin,
    make_company_member,
    make_listing,
    make_person,
    page_text,
    token_for,
)

LIKE_NEW_HELP = "Worn once or twice indoors; no visible wear on soles or uppers."


def path_of(response) -> str:
    return urlsplit(response.headers["Location"]).path


def flashes(page: str) -> list[str]:
    return re.findall(r'<p class="flash [^"]*" role="status">([^<]*)</p>', page)


def shown_status(page: str) -> str:
    found = re.search(r"<h2>Status: <span[^>]*>([^<]*)</span>", page)
    assert found, "no status on the page"
    return found.group(1)


def field_errors(page: str, name: str) -> list[str]:
    """The error messages shown inside the form field block of `name`."""
    for block in re.split(r'<div class="field', page)[1:]:
        block = block.split("</form>")[0]
        if re.search(rf'(for|name)="{re.escape(name)}"', block):
            return re.findall(r'<small class="error" role="alert">([^<]*)</small>', block)
    raise AssertionError(f"no field {name} on the page")


def sell_form(**overrides) -> dict:
    form = {
        "title": "Aero Glide 3, worn twice",
        "brand": "Aero",
        "model": "Glide 3",
        "colorway": "Black/White",
        "category": "running",
        "gender": "men",
        "size_eu": "42.5",
        "condition": "like_new",
        "price": "100.00",
        "description": "Worn twice indoors, box included.",
        "photos": [(io.BytesIO(image_bytes("JPEG")), "side.jpg")],
    }
    form.update(overrides)
    return {key: value for key, value in form.items() if value is not None}


def post_sell(client, url="/sell", **overrides):
    return client.post(url, data=sell_form(**overrides), content_type="multipart/form-data")


@pytest.fixture
def start():
    moment = clock.now().replace(microsecond=0)
    clock.set_now(moment)
    return moment


@pytest.fixture
def people(app, client, start):
    """A person selling one pair at $100.00 (listed through the API), a buyer, a stranger
    and an admin, each with a signed-in browser and an API token."""
    seller = make_person(app, name="Sol Seller")
    buyer = make_person(app, name="Bea Buyer")
    stranger = make_person(app, name="Stan Stranger")
    admin = make_admin(app)
    tokens = {
        "seller": token_for(client, seller.email),
        "buyer": token_for(client, buyer.email),
        "stranger": token_for(client, stranger.email),
        "admin": token_for(client, admin.email),
    }
    pair = new_pair(client, tokens["seller"], price_cents=10000)
    return {
        "seller": seller,
        "buyer": buyer,
        "stranger": stranger,
        "admin": admin,
        "tokens": tokens,
        "pair_id": pair["id"],
        "api": client,
        "start": start,
        "seller_browser": browser(app, seller.email),
        "buyer_browser": browser(app, buyer.email),
        "stranger_browser": browser(app, stranger.email),
        "admin_browser": browser(app, admin.email),
    }


def buy_form(card=CARD_OK, **extra) -> dict:
    return {
        "name": "Bea Buyer",
        "line1": "1 Main St",
        "city": "Springfield",
        "postal_code": "12345",
        "country": "US",
        "card_number": card,
        **extra,
    }


def buy_on_the_page(people, listing_id=None, **extra) -> int:
    listing_id = listing_id or people["pair_id"]
    response = people["buyer_browser"].post(f"/used/{listing_id}/buy", data=buy_form(**extra))
    assert response.status_code == 302, page_text(response)[:2000]
    found = re.fullmatch(r"/orders/(\d+)", path_of(response))
    assert found, response.headers["Location"]
    return int(found.group(1))


def order_page(client, order_id: int) -> str:
    response = client.get(f"/orders/{order_id}")
    assert response.status_code == 200
    return page_text(response)


# Selling.


def test_the_sell_form_with_a_photo_puts_a_pair_on_sale(app):
    seller = make_person(app, name="Sol Seller")
    client = browser(app, seller.email)
    form = page_text(client.get("/sell"))
    assert "Sell a pair" in form and 'enctype="multipart/form-data"' in form
    assert LIKE_NEW_HELP in form and "Solemate keeps 8 %" in form
    response = post_sell(client)
    assert response.status_code == 302, page_text(response)[:3000]
    found = re.fullmatch(r"/listings/(\d+)", path_of(response))
    assert found
    listing_id = int(found.group(1))
    page = page_text(client.get(f"/listings/{listing_id}"))
    assert "Your pair is on sale." in flashes(page)
    assert "Aero Glide 3, worn twice" in page and "$100.00" in page
    assert "Like new" in page and "Edit your pair" in page
    with app.app_context():
        listing = db.session.get(Listing, listing_id)
        assert (listing.kind, listing.status, listing.account_id) == ("c2c", "active", seller.id)
        assert (listing.condition, listing.variants[0].size_eu) == ("like_new", "42.5")
        assert (listing.variants[0].stock, listing.variants[0].price_cents) == (1, 10000)
        assert len(listing.photos) == 1
    mine = page_text(client.get("/sell/mine"))
    assert "Aero Glide 3, worn twice" in mine and "active" in mine


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": ""}, "title", "This field is required."),
        ({"size_eu": ""}, "size_eu", "Enter the EU size."),
        ({"price": ""}, "price", "Set your price."),
        ({"price": "0.50"}, "price", "Ask between 1 and 100000 USD."),
        ({"photos": None}, "photos", "Add 1 to 8 photos."),
        (
            {"photos": [(io.BytesIO(b"%PDF-1.4"), "receipt.pdf")]},
            "photos",
            "Upload JPEG, PNG or WebP images.",
        ),
        (
            {"photos": [(io.BytesIO(b"<?php echo 1; ?>"), "shoe.jpg")]},
            "photos",
            "Upload a JPEG, PNG or WebP image.",
        ),
    ],
)
def test_sell_form_errors_are_shown_next_to_their_fields(app, overrides, field, message):
    client = browser(app, make_person(app).email)
    response = post_sell(client, **overrides)
    assert response.status_code == 200
    page = page_text(response)
    assert message in field_errors(page, field), field_errors(page, field)
    assert 'value="Aero Glide 3, worn twice"' in page or field == "title"  # typing is kept
    assert count(app, Listing) == 0 and count(app, Photo) == 0


def kept_ids(page: str) -> list[str]:
    return re.findall(r'name="kept" value="(\d+)" checked', page)


def two_photos() -> list:
    return [
        (io.BytesIO(image_bytes("JPEG")), "side.jpg"),
        (io.BytesIO(image_bytes("PNG", color=(0, 90, 200, 255))), "sole.png"),
    ]


def test_photos_sent_with_a_form_that_has_errors_are_kept_for_the_next_try(app, start):
    seller = make_person(app, name="Sol Seller")
    client = browser(app, seller.email)
    failed = page_text(post_sell(client, price="", photos=two_photos()))
    assert "Set your price." in field_errors(failed, "price")
    assert "Photos kept from your last try" in failed
    kept = kept_ids(failed)
    assert len(kept) == 2 and count(app, Listing) == 0 and count(app, StagedPhoto) == 2
    thumb = re.search(r'src="(/media/[0-9a-f]+_thumb\.jpg)" alt="Kept photo 1"', failed).group(1)
    assert client.get(thumb).headers["Content-Type"] == "image/jpeg"

    # Fixed the price, picked no file again: the pair goes on sale with the kept photos.
    form = sell_form(photos=None) | {"kept": kept}
    done = client.post("/sell", data=form, content_type="multipart/form-data")
    assert done.status_code == 302, page_text(done)[:2000]
    with app.app_context():
        listing = db.session.scalar(select(Listing))
        staged = {photo.filename for photo in db.session.scalars(select(Photo))}
        assert [photo.position for photo in listing.photos] == [0, 1]
        assert staged == {photo.filename for photo in listing.photos}
    assert count(app, StagedPhoto) == 0
    # The same kept photos cannot go on a second listing (the form sent twice).
    again = page_text(client.post("/sell", data=form, content_type="multipart/form-data"))
    assert "Add 1 to 8 photos." in field_errors(again, "photos")
    assert count(app, Listing) == 1


def test_unticked_kept_photos_are_left_out_and_others_kept_photos_are_ignored(app, start):
    seller = make_person(app, name="Sol Seller")
    client = browser(app, seller.email)
    kept = kept_ids(page_text(post_sell(client, title="", photos=two_photos())))
    thief = browser(app, make_person(app).email)
    stolen = thief.post("/sell", data=sell_form(photos=None) | {"kept": kept})
    assert "Add 1 to 8 photos." in field_errors(page_text(stolen), "photos")
    assert count(app, Listing) == 0 and count(app, StagedPhoto) == 2

    # A new photo beside the first kept one; the second is unticked, and stays unused.
    form = sell_form() | {"kept": kept[:1] + ["99999999999999999999", "x"]}
    done = client.post("/sell", data=form, content_type="multipart/form-data")
    assert done.status_code == 302, page_text(done)[:2000]
    with app.app_context():
        listing = db.session.scalar(select(Listing))
        assert len(listing.photos) == 2
        unused = db.session.scalars(select(StagedPhoto)).all()
        assert [str(photo.id) for photo in unused] == kept[1:]


def test_kept_photos_expire_after_a_day_and_the_jobs_command_deletes_them(app, start):
    client = browser(app, make_person(app).email)
    kept = kept_ids(page_text(post_sell(client, title="", photos=two_photos())))
    with app.app_context():
        files = [
            name
            for photo in db.session.scalars(select(StagedPhoto))
            for name in (photo.filename, photo.thumb_filename)
        ]
    upload_dir = app.config["UPLOAD_DIR"]
    assert all(os.path.exists(os.path.join(upload_dir, name)) for name in files)

    clock.set_now(start + timedelta(hours=24, minutes=1))
    late = client.post("/sell", data=sell_form(photos=None) | {"kept": kept})
    assert "Add 1 to 8 photos." in field_errors(page_text(late), "photos")
    with app.app_context():
        assert jobs.run_due()["delete photos kept from unfinished sell forms"] == 0
    clock.set_now(start + timedelta(hours=25, minutes=1))
    with app.app_context():
        assert jobs.run_due()["delete photos kept from unfinished sell forms"] == 2
        assert jobs.run_due()["delete photos kept from unfinished sell forms"] == 0
    assert count(app, StagedPhoto) == 0
    assert not any(os.path.exists(os.path.join(upload_dir, name)) for name in files)


def test_a_seller_has_at_most_sixteen_kept_photos_the_oldest_go_first(app, start):
    client = browser(app, make_person(app).email)

    def eight() -> list:
        return [(io.BytesIO(image_bytes("JPEG", size=(32, 32))), f"{n}.jpg") for n in range(8)]

    first = kept_ids(page_text(post_sell(client, title="", photos=eight())))
    with app.app_context():
        first_files = db.session.scalars(select(StagedPhoto.filename)).all()
    for _ in range(2):
        last = kept_ids(page_text(post_sell(client, title="", photos=eight())))
    assert count(app, StagedPhoto) == 16
    with app.app_context():
        left = {str(photo_id) for photo_id in db.session.scalars(select(StagedPhoto.id))}
    assert not left & set(first) and set(last) <= left
    upload_dir = app.config["UPLOAD_DIR"]
    assert not any(os.path.exists(os.path.join(upload_dir, name)) for name in first_files)


def test_the_edit_form_keeps_photos_sent_with_errors_too(app, people):
    seller = people["seller_browser"]
    url = f"/sell/{people['pair_id']}/edit"
    failed = page_text(post_sell(seller, url, price="abc", photos=two_photos()))
    kept = kept_ids(failed)
    assert len(kept) == 2
    saved = seller.post(url, data=sell_form(photos=None) | {"kept": kept})
    assert saved.status_code == 302, page_text(saved)[:2000]
    with app.app_context():
        assert len(db.session.get(Listing, people["pair_id"]).photos) == 3
    assert count(app, StagedPhoto) == 0


def test_a_missing_condition_is_shown_at_the_condition(app):
    client = browser(app, make_person(app).email)
    page = page_text(post_sell(client, condition=None))
    assert field_errors(page, "condition")
    assert count(app, Listing) == 0


def test_business_accounts_get_no_sell_form(app):
    business = make_company_member(app, "Aero Shoes")
    client = browser(app, business.email)
    assert client.get("/sell").status_code == 403
    assert post_sell(client).status_code == 403
    assert count(app, Listing) == 0


def test_the_seller_edits_a_pair_on_sale(app, people):
    seller = people["seller_browser"]
    url = f"/sell/{people['pair_id']}/edit"
    assert 'value="100.00"' in page_text(seller.get(url))
    saved = post_sell(seller, url, price="90.00", title="Aero Glide 3, worn once", photos=[])
    assert saved.status_code == 302, page_text(saved)[:2000]
    page = page_text(seller.get(path_of(saved)))
    assert "Aero Glide 3, worn once" in page and "$90.00" in page
    assert people["stranger_browser"].get(url).status_code == 404


# The listing page and the catalog.


def test_the_listing_page_shows_the_buy_box_condition_and_seller_rating(app, people):
    # one earlier trade, rated by both sides, gives the seller a visible rating
    api, tokens = people["api"], people["tokens"]
    earlier = bought(api, tokens["buyer"], people["pair_id"])
    ship_and_deliver(api, earlier["id"], tokens["seller"])
    act(api, earlier["id"], "confirm", tokens["buyer"])
    api.post(f"/api/v1/orders/{earlier['id']}/review", json={"stars": 5}, headers=tokens["buyer"])
    api.post(f"/api/v1/orders/{earlier['id']}/review", json={"stars": 4}, headers=tokens["seller"])
    pair = new_pair(api, tokens["seller"], price_cents=8550, title="Court Classic, like new")

    for visitor in (people["buyer_browser"], app.test_client()):
        page = page_text(visitor.get(f"/listings/{pair['id']}"))
        assert "Court Classic, like new" in page and "$85.50" in page
        assert "Buy now for $85.50" in page and f'href="/used/{pair["id"]}/buy"' in page
        assert "Make an offer" in page and f'action="/used/{pair["id"]}/offer"' in page
        assert "Like new" in page and LIKE_NEW_HELP in page
        assert f'href="/people/{people["seller"].id}">Sol Seller</a>' in page
        assert re.search(r"★</span> 5.0 \(1\)", page), page[page.find("sold by") :][:400]
        assert "money waits in escrow" in page
    own = page_text(people["seller_browser"].get(f"/listings/{pair['id']}"))
    assert "Edit your pair" in own and "Buy now" not in own and "Make an offer" not in own
    sold = page_text(people["stranger_browser"].get(f"/listings/{people['pair_id']}"))
    assert "Sold" in sold and "Buy now" not in sold


def test_a_held_pair_says_so_instead_of_offering_a_buy_button(app, people):
    api, tokens = people["api"], people["tokens"]
    made = offer(api, tokens["buyer"], people["pair_id"], 8000).get_json()
    answer(api, tokens["seller"], made["id"], "accept")
    page = page_text(people["stranger_browser"].get(f"/listings/{people['pair_id']}"))
    assert "Held for another buyer" in page and "Buy now" not in page


def test_the_catalog_lists_used_pairs_with_their_condition(app, people):
    shop = make_company_member(app, "Aero Shoes")
    make_listing(app, shop.company_id, {"42": 5}, 12999, title="Retail Runner")
    used = page_text(people["buyer_browser"].get("/catalog?mode=c2c"))
    assert "Aero Glide 3, worn twice" in used and "Retail Runner" not in used
    assert '<span class="tag">Like new</span>' in used and "Used · EU 42.5" in used
    retail = page_text(people["buyer_browser"].get("/catalog?mode=b2c"))
    assert "Retail Runner" in retail and "Aero Glide 3, worn twice" not in retail
    graded = page_text(people["buyer_browser"].get("/catalog?mode=c2c&condition=good"))
    assert "Aero Glide 3, worn twice" not in graded
    api = people["api"]
    items = api.get("/api/v1/listings?mode=c2c&condition=like_new").get_json()["items"]
    assert [(i["id"], i["mode"], i["condition"]) for i in items] == [
        (people["pair_id"], "c2c", "like_new")
    ]


# Offers.


def test_offers_show_accept_decline_and_counter_to_the_side_waited_on(app, people):
    buyer, seller = people["buyer_browser"], people["seller_browser"]
    pair_id = people["pair_id"]
    sent = buyer.post(f"/used/{pair_id}/offer", data={"amount": "80.00"})
    assert sent.status_code == 302 and path_of(sent) == "/offers"
    with app.app_context():
        first = db.session.scalar(select(Offer.id))
    page = page_text(buyer.get("/offers"))
    assert "Offer sent." in " ".join(flashes(page))
    assert "$80.00" in page and "waiting for the other side" in page
    assert f"/offers/{first}/accept" not in page

    page = page_text(seller.get("/offers"))
    for action in ("accept", "decline", "counter"):
        assert f'action="/offers/{first}/{action}"' in page, action
    assert "Bea Buyer → you" in page
    countered = seller.post(f"/offers/{first}/counter", data={"amount": "90.00"})
    assert countered.status_code == 302
    assert "Counter-offer sent." in flashes(page_text(seller.get("/offers")))
    with app.app_context():
        reply = db.session.scalar(select(Offer.id).where(Offer.parent_id == first))

    page = page_text(buyer.get("/offers"))
    assert f'action="/offers/{reply}/accept"' in page and "$90.00" in page
    assert "You (counter) → you" not in page and "Sol Seller (counter) → you" in page
    assert f'action="/offers/{reply}/accept"' not in page_text(seller.get("/offers"))
    wrong_side = seller.post(f"/offers/{reply}/accept")
    assert wrong_side.status_code == 302
    assert "This offer waits on the other side." in flashes(page_text(seller.get("/offers")))
    assert people["stranger_browser"].post(f"/offers/{reply}/accept").status_code == 404

    buyer.post(f"/offers/{reply}/accept")
    page = page_text(buyer.get("/offers"))
    assert "The pair is held for you: pay $90.00 within 24 hours." in flashes(page)
    assert f'href="/used/{pair_id}/buy?offer={reply}"' in page and "Pay $90.00" in page
    checkout = page_text(buyer.get(f"/used/{pair_id}/buy?offer={reply}"))
    assert "Pay $90.00 into escrow" in checkout and "asking $100.00" in checkout
    order_id = buy_on_the_page(people, offer_id=str(reply))
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert (order.total_cents, order.fee_cents, order.mode) == (9000, 720, "c2c")
    assert escrow_held(app) == 9000 and balanced(app)


def test_offer_delivery_and_rating_messages_follow_the_settings(app, people):
    """'The seller has 24 hours', 'The buyer has 3 days' and 'after 7 days' were typed into
    the messages, so they lied once OFFER_HOURS, C2C_AUTO_CONFIRM_DAYS or RATING_REVEAL_DAYS
    changed; they now read the settings."""
    app.config.update(OFFER_HOURS=36, C2C_AUTO_CONFIRM_DAYS=5, RATING_REVEAL_DAYS=10)
    buyer, seller = people["buyer_browser"], people["seller_browser"]
    buyer.post(f"/used/{people['pair_id']}/offer", data={"amount": "80.00"})
    assert "Offer sent. The seller has 36 hours to answer." in flashes(
        page_text(buyer.get("/offers"))
    )

    order_id = buy_on_the_page(people)
    seller.post(f"/used-orders/{order_id}/ship", data={"carrier": "UPS", "tracking_number": "1Z9"})
    seller.post(f"/used-orders/{order_id}/deliver")
    assert "Marked as delivered. The buyer has 5 days to confirm or dispute." in flashes(
        order_page(seller, order_id)
    )
    buyer.post(f"/orders/{order_id}/confirm")
    buyer.post(f"/orders/{order_id}/rate", data={"stars": "5"})
    assert (
        "Thanks! Your rating shows once the other side has rated too, or after 10 days."
        in flashes(order_page(buyer, order_id))
    )


def test_a_bad_offer_is_explained_on_the_listing_page(app, people):
    buyer = people["buyer_browser"]
    url = f"/used/{people['pair_id']}/offer"
    too_high = buyer.post(url, data={"amount": "100.00"})
    assert path_of(too_high) == f"/listings/{people['pair_id']}"
    page = page_text(buyer.get(path_of(too_high)))
    assert "Offer less than the asking price, or buy it now." in flashes(page)
    own = people["seller_browser"].post(url, data={"amount": "50.00"})
    assert path_of(own) == f"/listings/{people['pair_id']}"
    assert count(app, Offer) == 0


# Buying and the order page.


def test_buying_through_the_buy_page_with_a_card(app, people, outbox):
    buyer = people["buyer_browser"]
    pair_id = people["pair_id"]
    form = page_text(buyer.get(f"/used/{pair_id}/buy"))
    assert "Pay $100.00 into escrow" in form and "Sol Seller" in form
    declined = buyer.post(f"/used/{pair_id}/buy", data=buy_form(CARD_DECLINED))
    assert declined.status_code == 200
    assert "The card was declined. Try another card." in field_errors(
        page_text(declined), "card_number"
    )
    assert count(app, Order) == 0 and pair_stock(app, pair_id) == (1, 0)
    missing = buyer.post(f"/used/{pair_id}/buy", data=buy_form(city=""))
    assert missing.status_code == 200 and field_errors(page_text(missing), "city")

    order_id = buy_on_the_page(people)
    page = order_page(buyer, order_id)
    assert any("money waits in escrow" in message for message in flashes(page))
    assert shown_status(page) == "paid" and "$100.00" in page
    assert "Cancel this order" in page and "Mark shipped" not in page
    assert order_status(app, order_id) == "paid" and escrow_held(app) == 10000
    assert listing_status(app, pair_id) == "sold"
    assert f"Order #{order_id} confirmed" in [m["subject"] for m in outbox]
    assert people["stranger_browser"].get(f"/orders/{order_id}").status_code == 404
    again = people["stranger_browser"].post(f"/used/{pair_id}/buy", data=buy_form())
    assert again.status_code in (302, 404) and count(app, Order) == 1


def test_the_used_pair_ship_form_labels_its_fields_and_shows_errors_beside_them(app, people):
    seller, order_id = people["seller_browser"], buy_on_the_page(people)
    page = order_page(seller, order_id)
    assert '<label for="carrier">Carrier</label>' in page
    assert '<label for="tracking_number">Tracking number</label>' in page

    response = seller.post(
        f"/used-orders/{order_id}/ship", data={"carrier": "USPS", "tracking_number": " "}
    )
    assert response.status_code == 200
    page = page_text(response)
    assert field_errors(page, "tracking_number") == ["Enter the tracking number."]
    assert field_errors(page, "carrier") == []
    assert re.search(r'<input[^>]*id="carrier"[^>]*value="USPS"', page)
    assert not flashes(page) and shown_status(page) == "paid"

    page = page_text(
        seller.post(
            f"/used-orders/{order_id}/ship", data={"carrier": "", "tracking_number": "9400111"}
        )
    )
    assert field_errors(page, "carrier") == ["Enter the carrier."]
    assert re.search(r'<input[^>]*id="tracking_number"[^>]*value="9400111"', page)
    assert order_status(app, order_id) == "paid"
    with app.app_context():
        assert db.session.get(Order, order_id).tracking_number is None


def typed_back(page: str, field_id: str) -> str:
    """The text a textarea of the page holds."""
    found = re.search(rf'<textarea[^>]*id="{field_id}"[^>]*>\r?\n?(.*?)</textarea>', page, re.S)
    assert found, f"no textarea {field_id} on the page"
    return html.unescape(found.group(1))


def checked_stars(page: str) -> list[str]:
    return re.findall(r'<input checked[^>]*name="stars"[^>]*value="(\d)"', page)


def test_a_refused_rating_shows_each_error_beside_its_field_and_keeps_what_was_typed(app, people):
    api, tokens = people["api"], people["tokens"]
    order = bought(api, tokens["buyer"], people["pair_id"])
    ship_and_deliver(api, order["id"], tokens["seller"])
    buyer, url = people["buyer_browser"], f"/orders/{order['id']}/rate"
    page = order_page(buyer, order["id"])
    assert "<legend>Rate the seller</legend>" in page
    assert '<label for="comment">A few words</label>' in page

    long_comment = "Soles as new & laces too. " * 80  # 2,080 characters
    response = buyer.post(url, data={"stars": "4", "comment": long_comment})
    assert response.status_code == 200
    page = page_text(response)
    assert field_errors(page, "comment") == ["At most 2,000 characters."]
    assert field_errors(page, "stars") == []
    assert typed_back(page, "comment") == long_comment
    assert checked_stars(page) == ["4"]
    assert not flashes(page) and shown_status(page) == "delivered"

    page = page_text(buyer.post(url, data={"comment": "Great seller"}))
    assert field_errors(page, "stars") == ["Give 1 to 5 stars."]
    assert field_errors(page, "comment") == []
    assert typed_back(page, "comment") == "Great seller"
    assert count(app, Rating) == 0 and order_status(app, order["id"]) == "delivered"

    rated = buyer.post(url, data={"stars": "4", "comment": long_comment[:2000]})
    assert rated.status_code == 302 and count(app, Rating) == 1
    # rated already: that is what the page says, not what is wrong with the new words
    page = page_text(buyer.post(url, data={"stars": "9"}, follow_redirects=True))
    assert "You have already rated this trade." in flashes(page)
    assert count(app, Rating) == 1


def test_a_refused_dispute_shows_the_error_beside_the_reason_and_keeps_it(app, people):
    api, tokens = people["api"], people["tokens"]
    order = bought(api, tokens["buyer"], people["pair_id"])
    ship_and_deliver(api, order["id"], tokens["seller"])
    buyer, url = people["buyer_browser"], f"/orders/{order['id']}/dispute"
    page = order_page(buyer, order["id"])
    assert '<label for="reason">What is wrong?</label>' in page
    assert "<details open>" not in page

    long_reason = "The left sole is split & the box was empty. " * 47  # 2,068 characters
    response = buyer.post(url, data={"reason": long_reason})
    assert response.status_code == 200
    page = page_text(response)
    assert field_errors(page, "reason") == ["At most 2,000 characters."]
    assert typed_back(page, "reason") == long_reason
    assert "<details open>" in page
    assert not flashes(page) and shown_status(page) == "delivered"

    page = page_text(buyer.post(url, data={"reason": "   "}))
    assert field_errors(page, "reason") == ["Say what is wrong with the pair."]
    assert count(app, Dispute) == 0 and order_status(app, order["id"]) == "delivered"
    assert escrow_held(app) == 10000

    act(api, order["id"], "confirm", tokens["buyer"])
    # a confirmed pair can no longer be disputed, whatever the reason says
    page = page_text(buyer.post(url, data={"reason": ""}, follow_redirects=True))
    assert "An order that is completed cannot become disputed." in flashes(page)
    assert count(app, Dispute) == 0


def test_the_order_panel_walks_both_sides_from_payment_to_ratings(app, people, start):
    buyer, seller = people["buyer_browser"], people["seller_browser"]
    order_id = buy_on_the_page(people)

    page = order_page(seller, order_id)
    assert "Ship it within 5 days" in page
    assert f'action="/used-orders/{order_id}/ship"' in page
    ship_by = (start + timedelta(days=5)).strftime("%d %b %Y, %H:%M")
    assert f"Ship by {ship_by}" in page
    assert "Open a dispute" not in page
    assert "Open a dispute" not in order_page(buyer, order_id)  # nothing shipped yet

    shipped = seller.post(
        f"/used-orders/{order_id}/ship", data={"carrier": "UPS", "tracking_number": "1Z999"}
    )
    assert shipped.status_code == 302
    page = order_page(seller, order_id)
    assert "Shipped; the buyer has the tracking number." in flashes(page)
    assert shown_status(page) == "shipped" and "It was delivered" in page
    page = order_page(buyer, order_id)
    assert "1Z999" in page and "Open a dispute" in page
    assert f'action="/orders/{order_id}/dispute"' in page
    assert "Rate the seller" not in page  # not before the pair arrives

    seller.post(f"/used-orders/{order_id}/deliver")
    page = order_page(buyer, order_id)
    assert shown_status(page) == "delivered"
    assert "I received it, all good" in page and "Confirm within 3 days" in page
    assert "Open a dispute" in page
    assert "Rate the seller" in page  # API.md: a delivered order can be rated
    assert "/sell?resell=" not in page  # in escrow the pair may still be refunded
    buyer.post(f"/orders/{order_id}/confirm")
    assert order_status(app, order_id) == "completed"
    assert "/sell?resell=" in order_page(buyer, order_id)
    assert "/sell?resell=" not in order_page(seller, order_id)
    assert person_balance(app, people["seller"].id)["available_cents"] == 10000 - c2c_fee(10000)

    page = order_page(buyer, order_id)
    assert shown_status(page) == "completed" and "Rate the seller" in page
    assert f'action="/orders/{order_id}/rate"' in page and "Open a dispute" not in page
    assert "Rate the buyer" in order_page(seller, order_id)
    rated = buyer.post(f"/orders/{order_id}/rate", data={"stars": "5", "comment": "Spotless"})
    assert rated.status_code == 302
    page = order_page(buyer, order_id)
    assert any(message.startswith("Thanks!") for message in flashes(page))
    assert "You gave ★★★★★ Spotless" in page and "Rate the seller" not in page
    page = order_page(seller, order_id)
    assert "The other side has rated you; it shows once you rate too" in page
    assert "Spotless" not in page

    seller.post(f"/orders/{order_id}/rate", data={"stars": "4", "comment": "Quick payer"})
    page = order_page(seller, order_id)
    assert "They gave you ★★★★★ Spotless" in page and "You gave ★★★★☆ Quick payer" in page
    assert "They gave you ★★★★☆ Quick payer" in order_page(buyer, order_id)
    seller.post(f"/orders/{order_id}/rate", data={"stars": "1"})
    assert "You have already rated this trade." in flashes(order_page(seller, order_id))
    assert balanced(app)


def test_a_lone_rating_shows_on_the_order_page_after_seven_days(app, people, start):
    api, tokens = people["api"], people["tokens"]
    order = bought(api, tokens["buyer"], people["pair_id"])
    ship_and_deliver(api, order["id"], tokens["seller"])
    act(api, order["id"], "confirm", tokens["buyer"])
    people["buyer_browser"].post(f"/orders/{order['id']}/rate", data={"stars": "2"})
    clock.set_now(start + timedelta(days=7, seconds=1))
    page = order_page(people["seller_browser"], order["id"])
    assert "They gave you ★★☆☆☆" in page and "Rate the buyer" in page
    profile = page_text(people["stranger_browser"].get(f"/people/{people['seller'].id}"))
    assert "★★☆☆☆" in profile


def test_the_buyer_opens_a_dispute_and_an_admin_refunds_and_relists(app, people, outbox):
    api, tokens = people["api"], people["tokens"]
    order = bought(api, tokens["buyer"], people["pair_id"])
    ship_and_deliver(api, order["id"], tokens["seller"])
    buyer = people["buyer_browser"]
    opened = buyer.post(f"/orders/{order['id']}/dispute", data={"reason": "Left shoe is torn"})
    assert opened.status_code == 302
    page = order_page(buyer, order["id"])
    assert any(message.startswith("Dispute opened") for message in flashes(page))
    assert "Dispute open" in page and "Left shoe is torn" in page
    assert "I received it, all good" not in page and "Open a dispute" not in page
    assert "Rate the seller" not in page  # not while the dispute is open
    seller_page = order_page(people["seller_browser"], order["id"])
    assert "Dispute open" in seller_page and "Rate the buyer" not in seller_page
    sales = page_text(people["seller_browser"].get("/sell/orders"))
    assert f"#{order['id']}" in sales and "$100.00" in sales and "$92.00" in sales
    with app.app_context():
        dispute_id = db.session.scalar(select(Dispute.id))

    admin = people["admin_browser"]
    listed = page_text(admin.get("/admin/disputes"))
    assert f'href="/admin/disputes/{dispute_id}"' in listed and "Left shoe is torn" in listed
    page = page_text(admin.get(f"/admin/disputes/{dispute_id}"))
    assert "Bea Buyer" in page and "Sol Seller" in page and "Left shoe is torn" in page
    assert "$92.00 to the seller, $8.00 fee." in page
    for other in ("buyer_browser", "seller_browser", "stranger_browser"):
        assert people[other].get(f"/admin/disputes/{dispute_id}").status_code == 404, other
        assert people[other].get("/admin/disputes").status_code == 404, other
        refused = people[other].post(f"/admin/disputes/{dispute_id}", data={"outcome": "release"})
        assert refused.status_code == 404, other
    assert order_status(app, order["id"]) == "disputed" and escrow_held(app) == 10000

    done = admin.post(f"/admin/disputes/{dispute_id}", data={"outcome": "refund", "relist": "1"})
    assert done.status_code == 302 and path_of(done) == "/admin/disputes"
    assert f"Dispute #{dispute_id} resolved: refund." in flashes(
        page_text(admin.get("/admin/disputes"))
    )
    assert order_status(app, order["id"]) == "refunded" and escrow_held(app) == 10000 - 10000
    assert listing_status(app, people["pair_id"]) == "active"
    assert pair_stock(app, people["pair_id"]) == (1, 0)
    page = order_page(buyer, order["id"])
    assert "Dispute resolved: refunded to the buyer." in page
    resolved = page_text(admin.get(f"/admin/disputes/{dispute_id}"))
    assert "pair relisted" in resolved and 'value="release"' not in resolved
    assert person_balance(app, people["seller"].id) == {"pending_cents": 0, "available_cents": 0}
    assert balanced(app)


def test_an_admin_releases_a_dispute_to_the_seller(app, people):
    api, tokens = people["api"], people["tokens"]
    order = bought(api, tokens["buyer"], people["pair_id"])
    ship_and_deliver(api, order["id"], tokens["seller"])
    people["buyer_browser"].post(f"/orders/{order['id']}/dispute", data={"reason": "Smells"})
    with app.app_context():
        dispute_id = db.session.scalar(select(Dispute.id))
    admin = people["admin_browser"]
    admin.post(f"/admin/disputes/{dispute_id}", data={"outcome": "release"})
    assert order_status(app, order["id"]) == "completed"
    assert person_balance(app, people["seller"].id)["available_cents"] == 9200
    again = admin.post(f"/admin/disputes/{dispute_id}", data={"outcome": "refund"})
    assert again.status_code == 200
    assert "This dispute is already resolved." in flashes(page_text(again))
    assert order_status(app, order["id"]) == "completed" and balanced(app)


# Profiles.


def test_the_profile_shows_completed_sales_and_only_visible_ratings(app, people):
    api, tokens = people["api"], people["tokens"]
    order = bought(api, tokens["buyer"], people["pair_id"])
    ship_and_deliver(api, order["id"], tokens["seller"])
    act(api, order["id"], "confirm", tokens["buyer"])
    on_sale = new_pair(api, tokens["seller"], price_cents=4500, title="Court Classic")
    url = f"/people/{people['seller'].id}"
    api.post(
        f"/api/v1/orders/{order['id']}/review",
        json={"stars": 5, "comment": "Lovely pair"},
        headers=tokens["buyer"],
    )
    page = page_text(app.test_client().get(url))
    assert "Sol Seller" in page
    assert re.search(r"Completed sales</span><strong>1</strong>", page)
    assert "Lovely pair" not in page and "No ratings shown yet." in page
    assert "Court Classic" in page and f'href="/listings/{on_sale["id"]}"' in page
    assert "Aero Glide 3, worn twice" not in page  # sold, no longer on sale
    api.post(f"/api/v1/orders/{order['id']}/review", json={"stars": 3}, headers=tokens["seller"])
    page = page_text(app.test_client().get(url))
    assert "★★★★★ Lovely pair" in page and "Bea, as buyer" in page
    assert re.search(r"★</span> 5.0</strong><small class=\"muted\">1 rating</small>", page)
    assert app.test_client().get("/people/999999").status_code == 404


# Resale with provenance.


def test_a_completed_purchase_is_resold_from_the_sell_page_with_its_provenance(app, people):
    shop = make_company_member(app, "Aero Shoes")
    retail = make_listing(app, shop.company_id, {"43": 5}, 12999, title="Aero Glide 3")
    api, buyer_token = people["api"], people["tokens"]["buyer"]
    api.post(
        "/api/v1/cart/items",
        json={"variant_id": retail.variants["43"], "quantity": 1},
        headers=buyer_token,
    )
    placed = api.post(
        "/api/v1/checkout",
        json={
            "shipping_address": {
                "name": "Bea Buyer",
                "line1": "1 Main St",
                "city": "Springfield",
                "postal_code": "12345",
                "country": "US",
            },
            "payment": {"card_number": CARD_OK},
        },
        headers=buyer_token,
    ).get_json()
    order_id = placed["orders"][0]["id"]
    line_id = line_of(app, order_id)
    buyer = people["buyer_browser"]
    early = buyer.get(f"/sell?resell={line_id}")
    assert early.status_code == 302  # not delivered yet: back to my orders
    ship_and_deliver(api, order_id, token_for(api, shop.email))
    assert "/sell?resell=" not in order_page(buyer, order_id)  # it may still be returned
    buyer.post(f"/orders/{order_id}/confirm")
    assert f'href="/sell?resell={line_id}"' in order_page(buyer, order_id)

    with app.app_context():
        paid_on = db.session.get(Order, order_id).paid_at.strftime("%d %b %Y")
    form = page_text(buyer.get(f"/sell?resell={line_id}"))
    assert f"Bought on Solemate</strong> on {paid_on} for $129.99" in form
    assert 'value="Aero Glide 3"' in form and 'value="43"' in form
    listed = buyer.post(
        f"/sell?resell={line_id}",
        data=sell_form(title="Aero Glide 3", size_eu="43", price="95.00"),
        content_type="multipart/form-data",
    )
    assert listed.status_code == 302, page_text(listed)[:2000]
    page = page_text(people["stranger_browser"].get(path_of(listed)))
    assert f"Bought on Solemate on {paid_on}" in page and "Buy now for $95.00" in page
    assert "bought on Solemate" in page_text(buyer.get("/sell/mine"))
    used_catalog = page_text(people["stranger_browser"].get("/catalog?mode=c2c&q=aero"))
    assert "Aero Glide 3" in used_catalog and "bought on Solemate" in used_catalog
    assert f'href="/sell?resell={line_id}"' not in order_page(buyer, order_id)  # all resold

    again = buyer.get(f"/sell?resell={line_id}")
    assert again.status_code == 302
    assert "You have already relisted every pair of this purchase." in flashes(
        page_text(buyer.get(path_of(again)))
    )
    other = people["stranger_browser"].get(f"/sell?resell={line_id}")
    assert other.status_code == 302
    assert "No such purchase of yours to resell." in flashes(
        page_text(people["stranger_browser"].get(path_of(other)))
    )
    assert count(app, Listing) == 3


# Messages.


def test_messages_pages_keep_each_buyers_thread_private(app, people):
    pair_id = people["pair_id"]
    url = f"/used/{pair_id}/messages"
    buyer, seller, stranger = (
        people["buyer_browser"],
        people["seller_browser"],
        people["stranger_browser"],
    )
    assert "Ask the seller anything" in page_text(buyer.get(url))
    sent = buyer.post(url, data={"body": "Do they run small?"})
    assert sent.status_code == 302
    assert "Do they run small?" in page_text(buyer.get(url))

    inbox = page_text(seller.get(url))
    assert f'href="{url}?buyer={people["buyer"].id}"' in inbox and "Bea Buyer (1)" in inbox
    thread = page_text(seller.get(f"{url}?buyer={people['buyer'].id}"))
    assert "Do they run small?" in thread
    seller.post(
        f"{url}?buyer={people['buyer'].id}",
        data={"body": "True to size.", "buyer_id": str(people["buyer"].id)},
    )
    assert "True to size." in page_text(buyer.get(url))
    assert seller.get(f"{url}?buyer={people['stranger'].id}").status_code == 404

    peek = stranger.get(f"{url}?buyer={people['buyer'].id}")
    assert peek.status_code in (200, 404)
    assert "Do they run small?" not in page_text(peek) and "True to size." not in page_text(peek)

    bought(people["api"], people["tokens"]["buyer"], pair_id)
    assert stranger.get(url).status_code == 404
    assert stranger.get(f"{url}?buyer={people['buyer'].id}").status_code == 404
    assert "True to size." in page_text(buyer.get(url))
    assert app.test_client().get(url).status_code == 302  # sign in first


def test_ids_beyond_any_row_in_links_and_forms_answer_as_unknown(app, people):
    """An id no id column can hold, typed into a query string or a hidden field, is an
    unknown id (a message or a 404), never an overflow of the database's integer (500)."""
    pair, huge = people["pair_id"], "99999999999999999999"
    seller, buyer = people["seller_browser"], people["buyer_browser"]
    resell = buyer.get(f"/sell?resell={huge}")
    assert resell.status_code == 302
    assert "No such purchase of yours to resell." in flashes(page_text(buyer.get("/orders")))
    assert buyer.post("/sell", data={"resell_line": huge, "title": "x"}).status_code == 302
    assert buyer.get(f"/used/{pair}/buy?offer={huge}").status_code == 404
    assert buyer.post(f"/used/{pair}/buy", data=buy_form(offer_id=huge)).status_code == 404
    buyer.post(f"/used/{pair}/messages", data={"body": "Still for sale?"})
    answered = seller.post(f"/used/{pair}/messages", data={"body": "Yes", "buyer_id": huge})
    assert answered.status_code == 404
    assert seller.get(f"/used/{pair}/messages?buyer={huge}").status_code == 404
    assert count(app, Order) == 0 and count(app, Message) == 1


def test_the_seller_writes_to_the_buyer_of_a_sale_who_never_wrote(app, people):
    """The seller's order page links to 'Messages about this pair' for its buyer; when the
    buyer had not written before buying, that page still opens on the buyer's thread with a
    form, instead of a 404."""
    pair_id, buyer = people["pair_id"], people["buyer"]
    order_id = buy_on_the_page(people)
    seller = people["seller_browser"]
    url = f"/used/{pair_id}/messages?buyer={buyer.id}"
    assert f'href="{url}"' in order_page(seller, order_id)
    page = seller.get(url)
    assert page.status_code == 200
    text = page_text(page)
    assert "Write to the buyer" in text and "<strong>Bea Buyer</strong>" in text
    sent = seller.post(url, data={"body": "Shipping tomorrow.", "buyer_id": str(buyer.id)})
    assert sent.status_code == 302
    assert "Shipping tomorrow." in page_text(
        people["buyer_browser"].get(f"/used/{pair_id}/messages")
    )
    inbox = page_text(seller.get(f"/used/{pair_id}/messages"))
    assert "Bea Buyer (1)" in inbox and "No one has written" not in inbox


def test_a_counter_moves_toward_the_other_side(app, people):
    """A seller's counter below the buyer's own offer (a slip: 65 for 85), or a buyer's
    counter above the seller's, is refused with a message saying to accept instead."""
    buyer, seller = people["buyer_browser"], people["seller_browser"]
    buyer.post(f"/used/{people['pair_id']}/offer", data={"amount": "70.00"})
    with app.app_context():
        first = db.session.scalar(select(Offer.id))
    for amount in ("65.00", "70.00"):
        seller.post(f"/offers/{first}/counter", data={"amount": amount})
        assert "Counter with more than the buyer's $70.00, or accept it." in flashes(
            page_text(seller.get("/offers"))
        ), amount
    assert count(app, Offer) == 1
    seller.post(f"/offers/{first}/counter", data={"amount": "85.00"})
    with app.app_context():
        reply = db.session.scalar(select(Offer.id).where(Offer.parent_id == first))
    buyer.post(f"/offers/{reply}/counter", data={"amount": "90.00"})
    assert "Counter with less than the seller's $85.00, or accept it." in flashes(
        page_text(buyer.get("/offers"))
    )
    assert buyer.post(f"/offers/{reply}/counter", data={"amount": "80.00"}).status_code == 302
    assert count(app, Offer) == 3


def test_a_buyer_who_accepts_a_counter_is_taken_to_pay(app, people):
    """Accepting the seller's counter holds the pair for the buyer: they are told so (not
    'held for the buyer') and taken to the payment page at the agreed amount."""
    buyer, seller = people["buyer_browser"], people["seller_browser"]
    pair_id = people["pair_id"]
    buyer.post(f"/used/{pair_id}/offer", data={"amount": "70.00"})
    with app.app_context():
        first = db.session.scalar(select(Offer.id))
    seller.post(f"/offers/{first}/counter", data={"amount": "85.00"})
    with app.app_context():
        reply = db.session.scalar(select(Offer.id).where(Offer.parent_id == first))
    accepted = buyer.post(f"/offers/{reply}/accept")
    assert accepted.status_code == 302
    assert accepted.headers["Location"].endswith(f"/used/{pair_id}/buy?offer={reply}")
    page = page_text(buyer.get(accepted.headers["Location"]))
    assert "The pair is held for you: pay $85.00 within 24 hours." in flashes(page)
    assert "Pay $85.00 into escrow" in page


def test_confirming_a_used_pair_says_it_pays_the_seller_and_ends_disputes(app, people):
    order_id = buy_on_the_page(people)
    ship_and_deliver(people["api"], order_id, people["tokens"]["seller"])
    page = order_page(people["buyer_browser"], order_id)
    question = (
        "Confirm the pair arrived as described? The seller is paid and you can no longer"
        " open a dispute."
    )
    assert f'data-confirm="{question}"' in page
    assert "Confirming pays the seller from escrow: you can no longer open a dispute." in page


def test_the_buyer_confirms_a_shipped_pair_that_arrived_before_the_seller_said_so(app, people):
    order_id = buy_on_the_page(people)
    buyer = people["buyer_browser"]
    assert "I received it, all good" not in order_page(buyer, order_id)  # paid, not shipped
    shipped = act(
        people["api"],
        order_id,
        "ship",
        people["tokens"]["seller"],
        carrier="UPS",
        tracking_number="1Z999AA1",
    )
    assert shipped.status_code == 200
    assert "I received it, all good" in order_page(buyer, order_id)
    assert "I received it, all good" not in order_page(people["seller_browser"], order_id)

    buyer.post(f"/orders/{order_id}/confirm")
    page = order_page(buyer, order_id)
    assert shown_status(page) == "completed"
    assert escrow_held(app) == 0
    assert person_balance(app, people["seller"].id) == {
        "pending_cents": 0,
        "available_cents": 10000 - c2c_fee(10000),
    }
    assert balanced(app)
