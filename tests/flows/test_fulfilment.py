"""Fulfilment on the pages: the seller ships, delivers, refunds; the buyer follows, returns,
confirms and reviews; sales, balances and the ledger show the money."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace import clock
from marketplace.extensions import db
from marketplace.services import ledger
from models import Order, OrderLine, Payment, Review
from tests.flows.test_shopping import (
    buy,
    field_errors,
    flashes,
    order_status,
    shown_status,
    stock,
)
from tests.helpers import count, login, make_admin, make_company_member, make_listing, make_person


@pytest.fixture
def sale(app, client):
    """A paid order of one $129.99 pair from Aero Shoes; `client` is the buyer's browser and
    `seller` a second browser signed in as the seller."""
    seller = make_company_member(app, "Aero Shoes")
    listing = make_listing(app, seller.company_id, {"42": 5}, 12999, title="Aero Glide")
    buyer = make_person(app, name="Bea Buyer")
    order_id = buy(client, buyer.email, listing.variants["42"])
    seller_client = app.test_client()
    login(seller_client, seller.email)
    return {
        "seller": seller,
        "listing": listing,
        "variant_id": listing.variants["42"],
        "buyer": buyer,
        "order_id": order_id,
        "seller_client": seller_client,
    }


def balances(app, company_id: int) -> dict[str, int]:
    with app.app_context():
        return ledger.owner_balances(company_id=company_id)


def ship(seller_client, order_id: int, carrier: str = "UPS", tracking: str = "1Z999AA10123456784"):
    return seller_client.post(
        f"/seller/orders/{order_id}/ship",
        data={"carrier": carrier, "tracking_number": tracking},
        follow_redirects=True,
    )


def act(browser, url: str, **data) -> str:
    """Press an order button; the page it lands on."""
    response = browser.post(url, data=data, follow_redirects=True)
    assert response.status_code == 200, response.status_code
    return response.text


def history(page: str) -> list[str]:
    """The steps of the order's timeline, oldest first."""
    timeline = page[page.index('<ol class="timeline">') : page.index("</ol>")]
    return re.findall(r"<li><strong>([^<]+)</strong>", timeline)


def delivered(sale) -> None:
    ship(sale["seller_client"], sale["order_id"])
    act(sale["seller_client"], f"/seller/orders/{sale['order_id']}/deliver")


def test_the_seller_ships_and_delivers_and_the_buyer_follows(app, client, sale, outbox):
    seller_client, order_id, buyer = sale["seller_client"], sale["order_id"], sale["buyer"]
    listed = seller_client.get("/seller/orders").text
    assert f"#{order_id}" in listed and "Bea Buyer" in listed and "$129.99" in listed
    assert f"#{order_id}" in seller_client.get("/seller/orders?status=paid").text
    assert f"#{order_id}" not in seller_client.get("/seller/orders?status=shipped").text

    page = seller_client.get(f"/seller/orders/{order_id}").text
    assert shown_status(page) == "paid" and "Mark shipped" in page
    assert "−$6.50" in page and "Sam Buyer, 1 Main St" in page

    page = ship(seller_client, order_id, "UPS", "1Z999AA10123456784").text
    assert "Shipped; the buyer has the tracking number." in flashes(page)
    assert shown_status(page) == "shipped" and "Mark delivered" in page
    assert f"#{order_id}" in seller_client.get("/seller/orders?status=shipped").text

    page = client.get(f"/orders/{order_id}").text
    assert shown_status(page) == "shipped"
    assert "1Z999AA10123456784" in page and "<strong>UPS</strong>" in page
    assert "Cancel this order" not in page
    shipped = [m for m in outbox if m["subject"] == f"Order #{order_id} shipped"]
    assert [m["to"] for m in shipped] == [buyer.email]
    assert (
        "Aero Shoes shipped your order with UPS, tracking 1Z999AA10123456784."
        in (shipped[0]["body"])
    )

    page = act(seller_client, f"/seller/orders/{order_id}/deliver")
    assert "Marked as delivered." in flashes(page) and shown_status(page) == "delivered"
    page = client.get(f"/orders/{order_id}").text
    assert shown_status(page) == "delivered"
    assert "I received it, all good" in page and "Request a return" in page
    assert "Review your pairs" in page
    assert history(page) == ["pending payment", "paid", "shipped", "delivered"]


def test_shipping_without_a_carrier_shows_an_error_and_changes_nothing(app, client, sale, outbox):
    order_id = sale["order_id"]
    response = ship(sale["seller_client"], order_id, carrier="", tracking="1Z999")
    assert response.status_code == 200
    page = response.text
    assert field_errors(page, "carrier") == ["Enter the carrier."]
    assert field_errors(page, "tracking_number") == []
    assert re.search(r'<input[^>]*id="tracking_number"[^>]*value="1Z999"', page)
    assert not flashes(page) and shown_status(page) == "paid"
    page = ship(sale["seller_client"], order_id, carrier="UPS", tracking=" ").text
    assert field_errors(page, "tracking_number") == ["Enter the tracking number."]
    assert re.search(r'<input[^>]*id="carrier"[^>]*value="UPS"', page)
    page = ship(sale["seller_client"], order_id, carrier="", tracking="").text
    assert field_errors(page, "carrier") == ["Enter the carrier."]
    assert field_errors(page, "tracking_number") == ["Enter the tracking number."]
    page = ship(sale["seller_client"], order_id, carrier="U" * 61, tracking="1Z999").text
    assert field_errors(page, "carrier") == ["At most 60 characters."]
    assert order_status(app, order_id) == "paid"
    with app.app_context():
        assert db.session.get(Order, order_id).tracking_number is None
    assert not [m for m in outbox if "shipped" in m["subject"]]
    assert "1Z999" not in client.get(f"/orders/{order_id}").text


@pytest.mark.parametrize(
    "seller_steps",
    [["refund"], ["returned", "refund"]],
    ids=["refunded-on-request", "refunded-when-back"],
)
def test_a_returned_order_is_refunded_in_full(app, client, sale, outbox, seller_steps):
    seller_client, order_id = sale["seller_client"], sale["order_id"]
    company_id = sale["seller"].company_id
    delivered(sale)
    assert stock(app, sale["variant_id"]) == (4, 0)
    assert balances(app, company_id) == {"pending_cents": 12349, "available_cents": 0}

    page = act(client, f"/orders/{order_id}/return", reason="")
    assert field_errors(page, "reason") == ["Say why you are returning the pair."]
    assert order_status(app, order_id) == "delivered"
    page = act(client, f"/orders/{order_id}/return", reason="Too small at the toe")
    assert "Return requested; the seller will refund once it arrives." in flashes(page)
    assert shown_status(page) == "return requested"
    assert any(m["subject"] == f"Return requested for order #{order_id}" for m in outbox)

    page = seller_client.get(f"/seller/orders/{order_id}").text
    assert "The buyer asked to return it: “Too small at the toe”" in page
    for step in seller_steps:
        page = act(seller_client, f"/seller/orders/{order_id}/{step}")
    assert "Refunded in full; the pairs are back in stock." in flashes(page)
    assert shown_status(page) == "refunded"

    assert order_status(app, order_id) == "refunded"
    assert stock(app, sale["variant_id"]) == (5, 0)
    assert balances(app, company_id) == {"pending_cents": 0, "available_cents": 0}
    with app.app_context():
        refund = db.session.scalar(select(Payment).where(Payment.kind == "refund"))
        assert (refund.order_id, refund.amount_cents) == (order_id, 12999)
        assert ledger.trial_balance()["balanced"]
    refunded = [m for m in outbox if m["subject"] == f"Order #{order_id} refunded"]
    assert [m["to"] for m in refunded] == [sale["buyer"].email]
    assert shown_status(client.get(f"/orders/{order_id}").text) == "refunded"


def test_a_return_after_the_window_closed_is_refused(app, client, sale):
    delivered(sale)
    clock.set_now(clock.now() + timedelta(days=8))
    page = act(client, f"/orders/{sale['order_id']}/return", reason="Changed my mind")
    assert "Returns close 7 days after delivery." in flashes(page)
    assert order_status(app, sale["order_id"]) == "delivered"


def test_the_buyer_confirms_receipt_and_reviews_once(app, client, sale):
    order_id, listing, company_id = sale["order_id"], sale["listing"], sale["seller"].company_id
    page = act(client, f"/orders/{order_id}/review", stars="5", comment="Too early")
    assert "You can review an order once it has been delivered." in flashes(page)
    delivered(sale)

    page = act(client, f"/orders/{order_id}/confirm")
    assert "Thanks for confirming; the order is complete." in flashes(page)
    assert shown_status(page) == "completed"
    assert balances(app, company_id) == {"pending_cents": 0, "available_cents": 12349}

    page = act(client, f"/orders/{order_id}/review", stars="4", comment="Comfy from day one")
    assert "Thank you for your review." in flashes(page)
    assert "Your review: ★★★★☆ Comfy from day one" in page
    assert "Review your pairs" not in page

    listing_page = client.get(f"/listings/{listing.id}").text
    assert "<strong>4.0</strong> out of 5 · 1 review" in listing_page
    assert "Comfy from day one" in listing_page

    page = act(client, f"/orders/{order_id}/review", stars="1", comment="Changed my mind")
    assert "You have already reviewed this order." in flashes(page)
    assert count(app, Review) == 1
    page = act(client, f"/orders/{order_id}/review", stars="9")
    assert "You have already reviewed this order." in flashes(page)
    assert count(app, Review) == 1

    other = make_person(app, name="Olly Other")
    other_client = app.test_client()
    other_order = buy(other_client, other.email, sale["variant_id"])
    ship(sale["seller_client"], other_order)
    act(sale["seller_client"], f"/seller/orders/{other_order}/deliver")
    act(other_client, f"/orders/{other_order}/review", stars="5", comment="Love them")
    listing_page = client.get(f"/listings/{listing.id}").text
    assert "<strong>4.5</strong> out of 5 · 2 reviews" in listing_page


def typed_back(page: str, field_id: str) -> str:
    """The text a textarea of the page holds."""
    found = re.search(rf'<textarea[^>]*id="{field_id}"[^>]*>\r?\n?(.*?)</textarea>', page, re.S)
    assert found, f"no textarea {field_id} on the page"
    return html.unescape(found.group(1))


def test_a_refused_review_shows_each_error_beside_its_field_and_keeps_the_text(app, client, sale):
    order_id = sale["order_id"]
    delivered(sale)
    long_review = "Comfy & light. " * 140  # 2,100 characters
    response = client.post(
        f"/orders/{order_id}/review", data={"stars": "4", "comment": long_review}
    )
    assert response.status_code == 200
    page = response.text
    assert field_errors(page, "comment") == ["At most 2,000 characters."]
    assert typed_back(page, "comment") == long_review
    assert re.findall(r'<input checked[^>]*name="stars"[^>]*value="(\d)"', page) == ["4"]
    assert "Give 1 to 5 stars." not in page and not flashes(page)
    assert count(app, Review) == 0

    page = client.post(f"/orders/{order_id}/review", data={"comment": "Lovely pair"}).text
    assert field_errors(page, "stars-0") == ["Give 1 to 5 stars."]
    assert typed_back(page, "comment") == "Lovely pair"
    assert count(app, Review) == 0

    page = act(client, f"/orders/{order_id}/review", stars="4", comment=long_review[:2000])
    assert "Thank you for your review." in flashes(page)
    assert count(app, Review) == 1


def test_a_refused_return_shows_the_error_beside_the_reason_and_keeps_it(app, client, sale):
    order_id = sale["order_id"]
    delivered(sale)
    long_reason = "The left shoe pinches at the toe. " * 16  # 544 characters
    response = client.post(f"/orders/{order_id}/return", data={"reason": long_reason})
    assert response.status_code == 200
    page = response.text
    assert field_errors(page, "reason") == ["At most 500 characters."]
    assert typed_back(page, "reason") == long_reason
    assert '<details class="panel" open>' in page  # the form is not folded away
    assert "Say why you are returning the pair." not in page and not flashes(page)
    assert order_status(app, order_id) == "delivered"

    page = act(client, f"/orders/{order_id}/return", reason=long_reason[:500])
    assert "Return requested; the seller will refund once it arrives." in flashes(page)
    with app.app_context():
        assert db.session.get(Order, order_id).return_reason == long_reason[:500].strip()


def test_the_listing_counts_every_review_and_shows_the_latest_five(app, client, sale):
    listing, buyer = sale["listing"], sale["buyer"]
    with app.app_context():
        paid = db.session.get(Order, sale["order_id"])
        for stars in (5, 4, 2, 5, 3, 4, 1):  # seven past orders of the pair, one review each
            order = Order(
                mode="b2c",
                status="completed",
                buyer_id=buyer.id,
                seller_company_id=paid.seller_company_id,
                subtotal_cents=12999,
                total_cents=12999,
            )
            order.lines.append(
                OrderLine(
                    listing_id=listing.id,
                    variant_id=sale["variant_id"],
                    quantity=1,
                    unit_price_cents=12999,
                    title="Aero Glide",
                    size_eu="42",
                    sku="AERO-42",
                )
            )
            db.session.add(order)
            db.session.flush()
            db.session.add(
                Review(order_id=order.id, account_id=buyer.id, stars=stars, comment=f"Gave {stars}")
            )
            db.session.flush()
            clock.set_now(clock.now() + timedelta(minutes=1))
        db.session.commit()

    page = client.get(f"/listings/{listing.id}").text
    assert "<strong>3.4</strong> out of 5 · 7 reviews" in page  # 24 stars / 7
    shown = re.findall(r"Gave (\d)", page)
    assert shown == ["1", "4", "3", "5", "2"]  # newest first, five of seven


def test_an_illegal_action_is_explained_and_changes_nothing(app, client, sale):
    seller_client, order_id = sale["seller_client"], sale["order_id"]
    page = act(seller_client, f"/seller/orders/{order_id}/deliver")
    assert "An order that is paid cannot become delivered." in flashes(page)
    page = act(client, f"/orders/{order_id}/confirm")
    assert "Only a shipped or delivered order can be confirmed; this one is paid." in flashes(page)
    page = act(client, f"/orders/{order_id}/return", reason="Never came")
    assert "An order that is paid cannot become return requested." in flashes(page)
    assert order_status(app, order_id) == "paid"

    act(client, f"/orders/{order_id}/cancel")
    assert stock(app, sale["variant_id"]) == (5, 0)
    page = ship(seller_client, order_id)
    assert page.status_code == 200
    assert "An order that is cancelled cannot become shipped." in flashes(page.text)
    assert shown_status(page.text) == "cancelled" and "Mark shipped" not in page.text
    page = act(seller_client, f"/seller/orders/{order_id}/refund")
    assert "An order that is cancelled cannot become refunded." in flashes(page)
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert (order.status, order.tracking_number, order.shipped_at) == ("cancelled", None, None)
        assert ledger.trial_balance()["balanced"]
    assert count(app, Payment) == 2  # the charge and one refund
    assert stock(app, sale["variant_id"]) == (5, 0)


def test_the_seller_cancels_a_paid_order_and_the_buyer_is_refunded(app, client, sale, outbox):
    page = act(sale["seller_client"], f"/seller/orders/{sale['order_id']}/cancel")
    assert "Cancelled; the buyer is refunded." in flashes(page)
    assert shown_status(page) == "cancelled"
    assert "Cancelled by the seller." in client.get(f"/orders/{sale['order_id']}").text
    assert stock(app, sale["variant_id"]) == (5, 0)
    assert balances(app, sale["seller"].company_id) == {"pending_cents": 0, "available_cents": 0}
    with app.app_context():
        assert db.session.scalar(select(Payment.amount_cents).where(Payment.kind == "refund")) == (
            12999
        )
    assert any(m["subject"] == f"Order #{sale['order_id']} cancelled" for m in outbox)


def test_orders_are_private_to_their_seller(app, client, sale):
    order_id = sale["order_id"]
    rival = make_company_member(app, "Rival Shoes")
    make_listing(app, rival.company_id, {"41": 2}, 9900, title="Rival Runner")
    rival_client = app.test_client()
    login(rival_client, rival.email)
    assert rival_client.get(f"/seller/orders/{order_id}").status_code == 404
    assert f"#{order_id}" not in rival_client.get("/seller/orders").text
    response = rival_client.post(
        f"/seller/orders/{order_id}/ship",
        data={"carrier": "UPS", "tracking_number": "1Z"},
        follow_redirects=True,
    )
    assert response.status_code == 404
    response = rival_client.post(f"/seller/orders/{order_id}/cancel", follow_redirects=True)
    assert response.status_code == 404
    assert order_status(app, order_id) == "paid"

    assert client.get("/seller/orders").status_code == 403
    assert client.get(f"/seller/orders/{order_id}").status_code == 403
    assert client.post(f"/seller/orders/{order_id}/cancel").status_code == 403
    assert client.get("/seller/sales").status_code == 403
    assert order_status(app, order_id) == "paid"


def test_the_sales_page_shows_the_pending_balance_and_a_chart(app, client, sale):
    page = sale["seller_client"].get("/seller/sales").text
    assert '<svg class="chart"' in page
    pending = page.index("Pending (return windows open)")
    assert page[pending : page.index("</div>", pending)].endswith("<strong>$123.49</strong>")
    available = page.index("Available to pay out")
    assert page[available : page.index("</div>", available)].endswith("<strong>$0.00</strong>")
    assert "$129.99" in page and "Retail (B2C)" in page
    assert f"#{sale['order_id']}" in page and "capture" in page
    assert balances(app, sale["seller"].company_id) == {
        "pending_cents": 12349,
        "available_cents": 0,
    }


def test_the_ledger_page_is_balanced_and_for_admins_only(app, client, sale):
    act(client, f"/orders/{sale['order_id']}/cancel")
    admin = make_admin(app)
    admin_client = app.test_client()
    login(admin_client, admin.email)
    page = admin_client.get("/admin/ledger").text
    assert "Balanced" in page and "NOT BALANCED" not in page
    code = f"seller_pending:company:{sale['seller'].company_id}"
    assert re.search(rf"<code>{code}</code></td><td>Aero Shoes</td>", page)  # its owner named
    assert client.get("/admin/ledger").status_code == 404
    assert sale["seller_client"].get("/admin/ledger").status_code == 404
    response = app.test_client().get("/admin/ledger")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_confirming_receipt_says_it_ends_the_return_window(app, client, sale):
    """'I received it, all good' completes the order, which closes the return window at
    once; the button asks first and the page says so beside it."""
    delivered(sale)
    page = client.get(f"/orders/{sale['order_id']}").text
    question = "Confirm you received it? You can no longer return this order."
    assert f'data-confirm="{question}"' in page
    assert "Confirming completes the order: you can no longer return it." in page
