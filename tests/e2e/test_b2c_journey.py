"""A consumer's first order, from joining to tracking the parcel the seller shipped."""

import re
import uuid

from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

# Granite Peak is one of Northpeak Footwear's brands, so seller@ fulfils the order.
BRAND = "Granite Peak"
SELLER = "seller@solemate.test"
CARD = "4242 4242 4242 4242"
TRACKING = "1Z999AA10123456784"


def test_consumer_buys_size_42_and_follows_it_until_the_seller_ships(new_page, shot):
    shopper = new_page()
    email = f"journey-{uuid.uuid4().hex[:10]}@example.test"
    shopper.goto("/account/register")
    shopper.fill("#name", "Jules Journey")
    shopper.fill("#email", email)
    shopper.fill("#password", "laces-and-long-walks")
    shopper.fill("#confirm", "laces-and-long-walks")
    expect(shopper.locator("input[name=account_type][value=person]")).to_be_checked()
    shot(shopper, "register")
    shopper.click("form.stack button[type=submit]")
    expect(shopper.locator(".flash.success")).to_contain_text("Welcome to Solemate, Jules Journey")
    shot(shopper, "registered")

    shopper.fill("header input[name=q]", BRAND)
    shopper.press("header input[name=q]", "Enter")
    expect(shopper.locator(".results-head")).to_contain_text(f"for “{BRAND}”")
    shopper.select_option("#gender", "men")
    shopper.select_option("#size_eu", "42")
    shopper.click(".filters button[type=submit]")
    expect(shopper).to_have_url(re.compile(r"gender=men.*size_eu=42"))
    cards = shopper.locator(".cards .card")
    expect(cards.first).to_be_visible()
    expect(cards.first.locator(".eyebrow")).to_contain_text(BRAND)
    shot(shopper, "search-results")

    cards.first.click()
    expect(shopper.locator(".buybox .eyebrow")).to_contain_text(BRAND)
    title = shopper.locator(".buybox h1").inner_text()
    size_42 = shopper.locator("label.size").filter(
        has=shopper.locator(".size-label", has_text=re.compile(r"^\s*EU 42\s*$"))
    )
    expect(size_42).to_have_count(1)
    size_42.locator("input[type=radio]").check(force=True)
    expect(size_42.locator("input[type=radio]")).to_be_checked()
    shot(shopper, "listing-size-42")
    shopper.click(".buy-form button[type=submit]")

    expect(shopper).to_have_url(re.compile(r"/cart$"))
    expect(shopper.locator(".flash.success")).to_contain_text("Added to your cart.")
    cart_row = shopper.locator("table.cart tbody tr")
    expect(cart_row).to_have_count(1)
    expect(cart_row).to_contain_text(title)
    expect(cart_row).to_contain_text("EU 42")
    expect(shopper.locator(".cart-link .badge")).to_have_text("1")
    shot(shopper, "cart")

    shopper.click("text=Check out")
    expect(shopper.locator("h1")).to_have_text("Checkout")
    expect(shopper.locator("#name")).to_have_value("Jules Journey")
    shopper.fill("#line1", "12 Cobbler Street")
    shopper.fill("#city", "Portland")
    shopper.fill("#postal_code", "97201")
    shopper.fill("#country", "US")
    shopper.fill("#card_number", CARD)
    shot(shopper, "checkout-form")
    shopper.get_by_role("button", name=re.compile(r"^Pay ")).click()

    expect(shopper.locator("h1")).to_have_text("Thank you!")
    done_row = shopper.locator("table.table tbody tr")
    expect(done_row).to_have_count(1)
    expect(done_row).to_contain_text("Northpeak Footwear")
    expect(done_row.locator(".tag")).to_have_text("paid")
    shot(shopper, "checkout-done")
    done_row.locator("a").click()

    expect(shopper).to_have_url(re.compile(r"/orders/\d+$"))
    order_id = re.search(r"/orders/(\d+)$", shopper.url).group(1)
    expect(shopper.locator("h1")).to_contain_text(f"Order #{order_id}")
    status = shopper.locator(".panel h2 .tag")
    expect(status).to_have_text("paid")
    expect(shopper.locator(".panel table")).to_contain_text("EU 42")
    shipped_with = shopper.locator("p", has_text="Shipped with")
    expect(shipped_with).to_have_count(0)
    shot(shopper, "order-paid")

    seller = new_page()
    sign_in(seller, SELLER)
    seller.click("text=Seller console")
    seller.click(".subnav >> text=Orders")
    expect(seller.locator("h1")).to_have_text("Orders")
    order_row = seller.locator("table.table tbody tr").filter(
        has=seller.get_by_role("link", name=f"#{order_id}", exact=True)
    )
    expect(order_row).to_contain_text("Jules Journey")
    expect(order_row.locator(".tag.paid")).to_have_text("paid")
    shot(seller, "seller-orders")
    order_row.get_by_role("link", name=f"#{order_id}", exact=True).click()

    expect(seller).to_have_url(re.compile(rf"/orders/{order_id}$"))
    expect(seller.locator("h1")).to_contain_text(f"Order #{order_id}")
    seller.fill("#carrier", "UPS")
    seller.fill("#tracking_number", TRACKING)
    shot(seller, "seller-ship-form")
    seller.click("text=Mark shipped")
    expect(seller.locator(".flash.success")).to_contain_text("Shipped")
    expect(seller.locator(".panel h2 .tag")).to_have_text("shipped")
    expect(seller.locator("p", has_text="Shipped with")).to_contain_text(TRACKING)
    shot(seller, "seller-shipped")

    shopper.reload()
    expect(status).to_have_text("shipped")
    expect(shipped_with.locator("strong")).to_have_text("UPS")
    expect(shipped_with.locator("code")).to_have_text(TRACKING)
    expect(shopper.locator(".timeline")).to_contain_text("shipped")
    shot(shopper, "order-shipped")
