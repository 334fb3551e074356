"""Shopping on the pages: the cart (a visitor's and an account's), checkout and my orders."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.services import ledger, listings
from models import Cart, CartItem, Checkout, Company, Order, Payment, Variant
from tests.helpers import (
    PASSWORD,
    count,
    login,
    make_company_member,
    make_listing,
    make_person,
    unique,
)

CARD_OK = "4242 4242 4242 4242"
CARD_DECLINED = "4000 0000 0000 0002"


def checkout_form(**overrides) -> dict[str, str]:
    """The checkout form as a browser posts it, with a fresh double-submit token."""
    form = {
        "token": unique("checkout-token-"),
        "name": "Sam Buyer",
        "line1": "1 Main St",
        "line2": "Apt 4",
        "city": "Springfield",
        "postal_code": "12345",
        "country": "US",
        "shipping_method": "standard",
        "card_number": CARD_OK,
    }
    form.update(overrides)
    return form


def path_of(response) -> str:
    return urlsplit(response.headers["Location"]).path


def add_to_cart(client, variant_id: int, quantity: int = 1):
    response = client.post("/cart/add", data={"variant_id": variant_id, "quantity": quantity})
    assert response.status_code == 302 and path_of(response) == "/cart"
    return response


def check_out(client, **overrides) -> int:
    """Post the checkout form; the id of the checkout it confirms."""
    response = client.post("/checkout", data=checkout_form(**overrides))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    found = re.fullmatch(r"/checkout/(\d+)", path_of(response))
    assert found, response.headers["Location"]
    return int(found.group(1))


def order_ids(app, checkout_id: int) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Order.id).where(Order.checkout_id == checkout_id).order_by(Order.id)
            )
        )


def buy(client, email: str, variant_id: int, quantity: int = 1, **form) -> int:
    """Sign in, put pairs of one size in the cart and pay; the id of the one order."""
    login(client, email)
    add_to_cart(client, variant_id, quantity)
    checkout_id = check_out(client, **form)
    found = re.findall(r'href="/orders/(\d+)"', client.get(f"/checkout/{checkout_id}").text)
    assert len(set(found)) == 1, found
    return int(found[0])


def stock(app, variant_id: int) -> tuple[int, int]:
    """(stock, reserved) of a size."""
    with app.app_context():
        variant = db.session.get(Variant, variant_id)
        return variant.stock, variant.reserved


def cart_of(app, account_id: int) -> dict[int, int]:
    """{variant_id: quantity} of an account's stored cart."""
    with app.app_context():
        rows = db.session.execute(
            select(CartItem.variant_id, CartItem.quantity)
            .join(Cart, Cart.id == CartItem.cart_id)
            .where(Cart.account_id == account_id)
        ).all()
        return dict(rows)


def cart_item_id(app, account_id: int, variant_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(CartItem.id)
            .join(Cart, Cart.id == CartItem.cart_id)
            .where(Cart.account_id == account_id, CartItem.variant_id == variant_id)
        )


def order_status(app, order_id: int) -> str:
    with app.app_context():
        return db.session.get(Order, order_id).status


def set_price(app, variant_id: int, price_cents: int) -> None:
    """The seller changes the retail price of one size."""
    with app.app_context():
        variant = db.session.get(Variant, variant_id)
        variant.price_cents = price_cents
        listings.refresh_price(variant.listing)
        db.session.commit()


def field_errors(page: str, field_id: str) -> list[str]:
    """The error messages shown in the form field that holds the input `field_id`."""
    for block in page.split('<div class="field')[1:]:
        if f'id="{field_id}"' in block:
            return re.findall(r'<small class="error" role="alert">([^<]*)</small>', block)
    raise AssertionError(f"no field {field_id} on the page")


def flashes(page: str) -> list[str]:
    return re.findall(r'<p class="flash [^"]*" role="status">([^<]*)</p>', page)


def shown_status(page: str) -> str:
    found = re.search(r"<h2>Status: <span[^>]*>([^<]*)</span>", page)
    assert found, "no status on the page"
    return found.group(1)


@pytest.fixture
def shop(app):
    """Two sellers with a listing each, and a buyer."""
    north = make_company_member(app, "North Co")
    south = make_company_member(app, "South Co")
    boots = make_listing(app, north.company_id, {"42": 3, "43": 1}, 12999, title="Trail Boot")
    slides = make_listing(app, south.company_id, {"40": 5}, 2550, title="Pool Slide")
    buyer = make_person(app, name="Bea Buyer")
    return {"north": north, "south": south, "boots": boots, "slides": slides, "buyer": buyer}


# The cart.


def test_a_visitors_cart_joins_the_account_cart_at_sign_in(app, client, shop):
    boots, buyer = shop["boots"], shop["buyer"]
    earlier = app.test_client()
    login(earlier, buyer.email)
    add_to_cart(earlier, boots.variants["42"], 1)
    add_to_cart(earlier, shop["slides"].variants["40"], 2)

    listing_page = client.get(f"/listings/{boots.id}").text
    assert "Add to cart" in listing_page
    assert f'value="{boots.variants["42"]}"' in listing_page
    response = client.post(
        "/cart/add",
        data={"variant_id": boots.variants["42"], "quantity": 2},
        follow_redirects=True,
    )
    page = response.text
    assert "Added to your cart." in flashes(page)
    assert "Trail Boot" in page and "EU 42" in page and "$259.98" in page
    assert cart_of(app, buyer.id) == {boots.variants["42"]: 1, shop["slides"].variants["40"]: 2}

    login(client, buyer.email)
    assert cart_of(app, buyer.id) == {boots.variants["42"]: 3, shop["slides"].variants["40"]: 2}
    page = client.get("/cart").text
    assert 'value="3"' in page and "Subtotal (5 pairs), from 2 sellers" in page
    assert "$389.97" in page and "$51.00" in page
    client.post("/account/logout")
    assert "Your cart is empty." in client.get("/cart").text


def test_signing_in_drops_visitor_pairs_the_account_cannot_buy(app, client, shop):
    boots, north = shop["boots"], shop["north"]
    add_to_cart(client, boots.variants["42"])
    add_to_cart(client, shop["slides"].variants["40"])
    login(client, north.email)
    assert cart_of(app, north.id) == {shop["slides"].variants["40"]: 1}
    page = client.get("/cart").text
    assert "Pool Slide" in page and "Trail Boot" not in page
    assert (
        "1 pair from before you signed in could not join your cart: no longer on sale, or your own."
        in flashes(page)
    )


def test_signing_in_fills_a_line_to_its_limit_and_says_what_did_not_fit(app, client, shop):
    runners = make_listing(app, shop["north"].company_id, {"44": 50}, 9000, title="Runner")
    size = runners.variants["44"]
    earlier = app.test_client()
    login(earlier, shop["buyer"].email)
    add_to_cart(earlier, size, 15)
    add_to_cart(client, size, 10)

    login(client, shop["buyer"].email)

    assert cart_of(app, shop["buyer"].id) == {size: 20}
    assert "5 pairs did not fit: a cart holds at most 20 pairs of one size." in flashes(
        client.get("/cart").text
    )


def line_actions(page: str) -> list[str]:
    """The address each cart line's Update and Remove forms post to, line by line."""
    return list(dict.fromkeys(re.findall(r'action="(/cart/\d+)"', page)))


def test_a_visitor_changes_and_removes_the_last_cart_line(app, client, shop):
    add_to_cart(client, shop["boots"].variants["42"])
    add_to_cart(client, shop["slides"].variants["40"])
    _boots, slides = line_actions(client.get("/cart").text)
    client.post(slides, data={"quantity": "4"})
    page = client.get("/cart").text
    assert "Subtotal (5 pairs)" in page and "$102.00" in page
    client.post(slides, data={"quantity": "0"})
    page = client.get("/cart").text
    assert "Pool Slide" not in page and "Subtotal (1 pair)" in page
    assert client.post("/cart/7", data={"quantity": "1"}).status_code == 404


def test_a_visitor_changes_and_removes_the_first_cart_line(app, client, shop):
    add_to_cart(client, shop["boots"].variants["42"])
    add_to_cart(client, shop["slides"].variants["40"])
    boots, _slides = line_actions(client.get("/cart").text)
    assert client.post(boots, data={"quantity": "2"}).status_code == 302
    assert "Subtotal (3 pairs)" in client.get("/cart").text
    assert client.post(boots, data={"quantity": "0"}).status_code == 302
    page = client.get("/cart").text
    assert "Trail Boot" not in page and "Subtotal (1 pair)" in page


def test_changing_the_quantity_and_removing_lines_on_the_cart_page(app, client, shop):
    boots, slides, buyer = shop["boots"], shop["slides"], shop["buyer"]
    login(client, buyer.email)
    add_to_cart(client, boots.variants["42"])
    add_to_cart(client, slides.variants["40"])
    boot_line = cart_item_id(app, buyer.id, boots.variants["42"])
    slide_line = cart_item_id(app, buyer.id, slides.variants["40"])

    page = client.post(f"/cart/{slide_line}", data={"quantity": "3"}, follow_redirects=True).text
    assert cart_of(app, buyer.id) == {boots.variants["42"]: 1, slides.variants["40"]: 3}
    assert "Subtotal (4 pairs), from 2 sellers" in page and "$206.49" in page

    page = client.post(f"/cart/{slide_line}", data={"quantity": "21"}, follow_redirects=True).text
    assert "Choose 0 to 20 pairs." in flashes(page)
    assert cart_of(app, buyer.id)[slides.variants["40"]] == 3

    page = client.post(f"/cart/{boot_line}", data={"quantity": "0"}, follow_redirects=True).text
    assert cart_of(app, buyer.id) == {slides.variants["40"]: 3}
    assert "Trail Boot" not in page and "Subtotal (3 pairs)" in page
    gone = client.post(f"/cart/{boot_line}", data={"quantity": "1"})
    assert gone.status_code == 404  # a line no longer in the cart is an unknown id
    assert cart_of(app, buyer.id) == {slides.variants["40"]: 3}


def test_too_many_pairs_in_the_cart_are_flagged_before_checkout(app, client, shop):
    login(client, shop["buyer"].email)
    add_to_cart(client, shop["boots"].variants["43"], 2)
    page = client.get("/cart").text
    assert "Trail Boot (EU 43): only 1 left." in page


def test_adding_an_impossible_size_explains_why_and_adds_nothing(app, client, shop):
    boots, north = shop["boots"], shop["north"]
    listing_url = f"/listings/{boots.id}"
    response = client.post("/cart/add", data={"quantity": "1"}, headers={"Referer": listing_url})
    assert path_of(response) == listing_url
    assert "Pick a size." in flashes(client.get(listing_url).text)
    client.post("/cart/add", data={"variant_id": "999999", "quantity": "1"})
    assert "No such size." in flashes(client.get("/cart").text)
    login(client, north.email)
    client.post("/cart/add", data={"variant_id": boots.variants["42"], "quantity": "1"})
    assert "You cannot buy your own listing." in flashes(client.get("/cart").text)
    assert cart_of(app, north.id) == {}


def test_a_price_change_since_adding_is_announced_and_charged(app, client, shop):
    boots, buyer = shop["boots"], shop["buyer"]
    login(client, buyer.email)
    add_to_cart(client, boots.variants["42"], 2)
    set_price(app, boots.variants["42"], 13999)
    page = client.get("/cart").text
    assert "The price of Trail Boot (EU 42) changed from $129.99 to $139.99" in page
    assert "$279.98" in page
    assert "Pay $279.98" in client.get("/checkout").text

    checkout_id = check_out(client)
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.checkout_id == checkout_id))
        assert [(line.quantity, line.unit_price_cents) for line in order.lines] == [(2, 13999)]
        assert order.total_cents == 27998
        charge = db.session.scalar(select(Payment).where(Payment.checkout_id == checkout_id))
        assert (charge.kind, charge.status, charge.amount_cents) == ("charge", "succeeded", 27998)


def test_a_price_change_seen_as_a_visitor_is_still_announced_after_sign_in(app, client, shop):
    boots, buyer = shop["boots"], shop["buyer"]
    add_to_cart(client, boots.variants["42"])
    set_price(app, boots.variants["42"], 13999)
    assert "changed from $129.99 to $139.99" in client.get("/cart").text
    login(client, buyer.email)
    assert "changed from $129.99 to $139.99" in client.get("/cart").text


# Checkout.


def test_checkout_places_one_order_per_seller_and_empties_the_cart(app, client, shop, outbox):
    boots, slides, buyer = shop["boots"], shop["slides"], shop["buyer"]
    login(client, buyer.email)
    add_to_cart(client, boots.variants["42"], 1)
    add_to_cart(client, slides.variants["40"], 2)
    page = client.get("/checkout").text
    assert "From North Co" in page and "From South Co" in page
    assert "Pay $180.99" in page

    response = client.post("/checkout", data=checkout_form())
    assert response.status_code == 302
    checkout_id = int(path_of(response).rsplit("/", 1)[1])
    assert count(app, Checkout) == 1 and count(app, Order) == 2
    north_order, south_order = order_ids(app, checkout_id)

    page = client.get(f"/checkout/{checkout_id}").text
    assert "Thank you!" in page and "$180.99" in page and buyer.email in page
    assert f"#{north_order}" in page and f"#{south_order}" in page
    assert "North Co" in page and "South Co" in page and "$129.99" in page and "$51.00" in page

    orders_page = client.get("/orders").text
    assert f"#{north_order}" in orders_page and f"#{south_order}" in orders_page
    assert "Trail Boot" in orders_page and "Pool Slide" in orders_page

    page = client.get(f"/orders/{north_order}").text
    assert f"Order #{north_order}" in page and "from North Co" in page
    assert shown_status(page) == "paid"
    assert "Order placed." in page and "Paid by card." in page
    assert "Trail Boot" in page and "EU 42" in page and boots.skus["42"] in page
    assert "Sam Buyer, 1 Main St, Apt 4, 12345 Springfield, US" in page
    assert "Cancel this order" in page

    assert "Your cart is empty." in client.get("/cart").text
    assert cart_of(app, buyer.id) == {}
    assert stock(app, boots.variants["42"]) == (2, 0)
    assert stock(app, slides.variants["40"]) == (3, 0)
    with app.app_context():
        assert ledger.owner_balances(company_id=shop["north"].company_id)["pending_cents"] == 12349
        assert ledger.owner_balances(company_id=shop["south"].company_id)["pending_cents"] == 4845
        assert ledger.trial_balance()["balanced"]

    subjects = {(mail["to"], mail["subject"]) for mail in outbox}
    assert (buyer.email, f"Order #{north_order} confirmed") in subjects
    assert (buyer.email, f"Order #{south_order} confirmed") in subjects
    assert (shop["north"].email, f"New order #{north_order}") in subjects
    assert (shop["south"].email, f"New order #{south_order}") in subjects
    confirmation = next(m for m in outbox if m["subject"] == f"Order #{north_order} confirmed")
    assert "1 x Trail Boot, EU 42: $129.99" in confirmation["body"]


def test_express_shipping_is_paid_to_each_seller(app, client, shop):
    login(client, shop["buyer"].email)
    add_to_cart(client, shop["boots"].variants["42"])
    add_to_cart(client, shop["slides"].variants["40"])
    checkout_id = check_out(client, shipping_method="express")
    with app.app_context():
        placed = db.session.get(Checkout, checkout_id)
        assert [(o.subtotal_cents, o.shipping_cents, o.total_cents) for o in placed.orders] == [
            (12999, 1500, 14499),
            (2550, 1500, 4050),
        ]
        assert placed.total_cents == 18549


def test_a_double_submitted_checkout_places_one_order(app, client, shop):
    boots = shop["boots"]
    login(client, shop["buyer"].email)
    add_to_cart(client, boots.variants["42"], 2)
    form = checkout_form()
    first = client.post("/checkout", data=form)
    second = client.post("/checkout", data=form)
    assert first.status_code == 302 and second.status_code == 302
    assert count(app, Checkout) == 1 and count(app, Order) == 1
    assert count(app, Payment) == 1
    assert stock(app, boots.variants["42"]) == (1, 0)


def test_a_double_submitted_checkout_shows_the_same_confirmation_twice(app, client, shop):
    login(client, shop["buyer"].email)
    add_to_cart(client, shop["boots"].variants["42"])
    form = checkout_form()
    first = client.post("/checkout", data=form)
    second = client.post("/checkout", data=form)
    assert re.fullmatch(r"/checkout/\d+", path_of(first))
    assert path_of(second) == path_of(first)


def test_a_declined_card_is_shown_at_the_card_field_and_nothing_is_bought(app, client, shop):
    boots, buyer = shop["boots"], shop["buyer"]
    login(client, buyer.email)
    add_to_cart(client, boots.variants["42"])
    form = checkout_form(card_number=CARD_DECLINED)
    response = client.post("/checkout", data=form)
    page = response.text
    assert response.status_code == 200
    assert field_errors(page, "card_number") == ["The card was declined. Try another card."]
    assert field_errors(page, "line1") == []
    assert 'value="1 Main St"' in page
    assert count(app, Order) == 0 and count(app, Checkout) == 0
    assert stock(app, boots.variants["42"]) == (3, 0)
    assert cart_of(app, buyer.id) == {boots.variants["42"]: 1}

    # The page carries a new token, so paying with another card is a new attempt.
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page).group(1)
    assert token != form["token"]
    check_out(client, token=token)
    assert count(app, Order) == 1
    assert stock(app, boots.variants["42"]) == (2, 0)


def test_an_invalid_card_number_is_shown_at_the_card_field(app, client, shop):
    login(client, shop["buyer"].email)
    add_to_cart(client, shop["boots"].variants["42"])
    page = client.post("/checkout", data=checkout_form(card_number="1234 5678")).text
    assert field_errors(page, "card_number") == ["Enter a valid card number."]
    assert count(app, Order) == 0


def test_a_pair_sold_out_meanwhile_sends_the_buyer_back_to_the_cart(app, client, shop):
    boots, buyer = shop["boots"], shop["buyer"]
    login(client, buyer.email)
    add_to_cart(client, boots.variants["43"])
    quicker = make_person(app, name="Quinn Quick")
    buy(app.test_client(), quicker.email, boots.variants["43"])

    response = client.post("/checkout", data=checkout_form())
    assert response.status_code == 302 and path_of(response) == "/cart"
    page = client.get("/cart").text
    assert (
        "Not enough stock: Trail Boot, EU 43 (sold out). Your cart is as you left it;"
        " change it and try again." in flashes(page)
    )
    assert "Trail Boot (EU 43) is sold out." in page
    assert cart_of(app, buyer.id) == {boots.variants["43"]: 1}
    assert count(app, Order) == 1 and count(app, Checkout) == 1
    assert stock(app, boots.variants["43"]) == (0, 0)


def test_a_withdrawn_listing_in_the_cart_stops_checkout_with_a_message(app, client, shop):
    boots, buyer = shop["boots"], shop["buyer"]
    login(client, buyer.email)
    add_to_cart(client, boots.variants["42"])
    add_to_cart(client, shop["slides"].variants["40"])
    with app.app_context():
        listings.set_status(boots.id, db.session.get(Company, shop["north"].company_id), "archived")
    assert "Trail Boot (EU 42) is no longer on sale." in client.get("/cart").text
    response = client.post("/checkout", data=checkout_form())
    assert response.status_code == 200
    assert "Trail Boot (EU 42) is no longer on sale. Remove it from your cart." in flashes(
        response.text
    )
    assert count(app, Order) == 0 and count(app, Checkout) == 0
    assert stock(app, shop["slides"].variants["40"]) == (5, 0)


def test_missing_address_fields_are_shown_and_nothing_is_placed(app, client, shop):
    boots, buyer = shop["boots"], shop["buyer"]
    login(client, buyer.email)
    add_to_cart(client, boots.variants["42"])
    response = client.post(
        "/checkout", data=checkout_form(line1="", city="  ", postal_code="", line2="")
    )
    page = response.text
    assert response.status_code == 200
    for field in ("line1", "city", "postal_code"):
        assert field_errors(page, field) == ["This field is required."], field
    assert field_errors(page, "name") == [] and field_errors(page, "line2") == []
    assert count(app, Order) == 0 and count(app, Checkout) == 0 and count(app, Payment) == 0
    assert stock(app, boots.variants["42"]) == (3, 0)
    assert cart_of(app, buyer.id) == {boots.variants["42"]: 1}


def test_checkout_needs_sign_in_and_comes_back_after_it(app, client, shop):
    add_to_cart(client, shop["boots"].variants["42"])
    response = client.post("/checkout", data=checkout_form())
    assert response.status_code == 302 and path_of(response) == "/account/login"
    assert count(app, Order) == 0
    response = client.get("/checkout")
    assert response.status_code == 302 and path_of(response) == "/account/login"
    signed_in = client.post(
        response.headers["Location"], data={"email": shop["buyer"].email, "password": PASSWORD}
    )
    assert signed_in.status_code == 302 and path_of(signed_in) == "/checkout"
    assert "Pay $129.99" in client.get("/checkout").text


def test_an_empty_cart_redirects_to_the_cart_page(app, client, shop):
    login(client, shop["buyer"].email)
    response = client.get("/checkout")
    assert response.status_code == 302 and path_of(response) == "/cart"
    assert "Your cart is empty." in flashes(client.get("/cart").text)
    response = client.post("/checkout", data=checkout_form())
    assert path_of(response) == "/cart"
    assert count(app, Checkout) == 0


# My orders.


def test_the_buyer_cancels_a_paid_order(app, client, shop, outbox):
    boots, north = shop["boots"], shop["north"]
    order_id = buy(client, shop["buyer"].email, boots.variants["42"], 2)
    assert stock(app, boots.variants["42"]) == (1, 0)

    page = client.post(f"/orders/{order_id}/cancel", follow_redirects=True).text
    assert "The order is cancelled; any payment is refunded." in flashes(page)
    assert shown_status(page) == "cancelled"
    assert "Cancelled by the buyer." in page and "Cancel this order" not in page
    assert order_status(app, order_id) == "cancelled"
    assert stock(app, boots.variants["42"]) == (3, 0)
    with app.app_context():
        refunds = db.session.scalars(select(Payment).where(Payment.kind == "refund")).all()
        assert [(r.order_id, r.amount_cents, r.status) for r in refunds] == [
            (order_id, 25998, "succeeded")
        ]
        assert ledger.owner_balances(company_id=north.company_id) == {
            "pending_cents": 0,
            "available_cents": 0,
        }
        assert ledger.trial_balance()["balanced"]
    assert any(m["subject"] == f"Order #{order_id} cancelled" for m in outbox)

    page = client.post(f"/orders/{order_id}/cancel", follow_redirects=True).text
    assert "An order that is cancelled cannot become cancelled." in flashes(page)
    assert stock(app, boots.variants["42"]) == (3, 0)
    assert count(app, Payment) == 2


def test_another_buyer_cannot_see_or_touch_an_order(app, client, shop):
    order_id = buy(client, shop["buyer"].email, shop["boots"].variants["42"])
    with app.app_context():
        checkout_id = db.session.get(Order, order_id).checkout_id
    stranger = make_person(app, name="Stan Stranger")
    other = app.test_client()
    login(other, stranger.email)
    assert other.get(f"/orders/{order_id}").status_code == 404
    assert other.get(f"/checkout/{checkout_id}").status_code == 404
    assert other.post(f"/orders/{order_id}/cancel", follow_redirects=True).status_code == 404
    assert other.get("/orders/999999").status_code == 404
    assert f"#{order_id}" not in other.get("/orders").text
    assert order_status(app, order_id) == "paid"


def test_checkout_states_the_total_with_express_before_paying(app, client, shop):
    """The Pay button showed the standard total even with Express ticked, so the card was
    charged more than the button said; the page now gives the express total beside the
    choice and the button carries both totals (checkout.js switches its text)."""
    login(client, shop["buyer"].email)
    add_to_cart(client, shop["boots"].variants["42"])
    add_to_cart(client, shop["slides"].variants["40"])
    page = client.get("/checkout").text
    assert "Express costs $15.00 per seller: $185.49 in all." in page
    assert 'data-standard="Pay $155.49"' in page and 'data-express="Pay $185.49"' in page
    assert "Pay $155.49</button>" in page
    assert "This seller: $129.99" in page and "Subtotal" not in page
    page = client.post("/checkout", data=checkout_form(shipping_method="express", line1="")).text
    assert "Pay $185.49</button>" in page and "This seller: $144.99" in page
    refused = client.post("/checkout", data=checkout_form(shipping_method="by-drone"))
    assert refused.status_code == 200 and "Pay $155.49</button>" in refused.text


def test_checkout_names_sizes_in_the_size_system_the_cart_uses(app, client, shop):
    """The cart read 'CN 265' for a shopper who chose CN sizes, checkout 'EU 42' for the same
    pair; checkout and the cart's price-change note now follow the chosen system too."""
    login(client, shop["buyer"].email)
    add_to_cart(client, shop["boots"].variants["42"])
    add_to_cart(client, shop["slides"].variants["40"])
    set_price(app, shop["boots"].variants["42"], 13999)
    client.get("/catalog?system=cn")
    cart = client.get("/cart").text
    assert '<td data-label="Size">CN 265</td>' in cart
    assert "The price of Trail Boot (CN 265) changed" in cart
    page = client.get("/checkout").text
    assert "1 × Trail Boot, CN 265 <" in page and "1 × Pool Slide, CN 250 <" in page
    assert "EU 42" not in page and "EU 40" not in page
