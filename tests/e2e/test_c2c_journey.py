"""A used pair changes hands: listed with a photo, offered on, countered, paid into escrow,
shipped, confirmed, and both people rate each other."""

import re
import uuid

from PIL import Image
from playwright.sync_api import expect

from tests.e2e.conftest import register

CARD = "4242 4242 4242 4242"
TRACKING = "9400111899223197428490"

ASKING, OFFER, COUNTER = "150.00", "120.00", "135.00"


def rate(page, stars: int, comment: str) -> None:
    panel = page.locator(".c2c-panel")
    star = panel.locator(f"input[name=stars][value='{stars}']")
    star.check(force=True)
    expect(star).to_be_checked()
    panel.locator("#comment").fill(comment)
    panel.get_by_role("button", name="Rate", exact=True).click()
    expect(page.locator(".flash.success")).to_contain_text("Your rating shows once")


def test_a_used_pair_is_offered_on_countered_paid_shipped_confirmed_and_rated(
    new_page, shot, tmp_path
):
    token = uuid.uuid4().hex[:8]
    title = f"Aerostride Glide 3, worn twice {token}"
    seller_name, buyer_name = "Sasha Secondhand", "Bo Bargain"
    photo = tmp_path / "pair.png"
    Image.new("RGB", (640, 480), (200, 90, 40)).save(photo)

    # 1. The seller joins and puts a pair on sale with a photo.
    seller = new_page()
    seller.goto("/account/register")
    register(seller, seller_name, f"c2c-seller-{token}@example.test")
    seller.click("header .nav >> text=Sell")
    seller.click(".subnav >> text=Sell a pair")
    expect(seller).to_have_url(re.compile(r"/sell$"))
    expect(seller.locator("h1")).to_have_text("Sell a pair")
    seller.fill("#title", title)
    seller.fill("#brand", "Aerostride")
    seller.fill("#model", "Glide 3")
    seller.fill("#colorway", "Ember")
    seller.select_option("#category", "running")
    seller.select_option("#gender", "men")
    seller.fill("#size_eu", "42.5")
    condition = seller.locator("input[name=condition][value=like_new]")
    condition.check(force=True)
    expect(condition).to_be_checked()
    seller.fill("#price", ASKING)
    seller.fill("#description", "Worn twice indoors, original box included.")
    seller.set_input_files("#photos", str(photo))
    shot(seller, "sell-form")
    seller.get_by_role("button", name="Put it on sale").click()

    expect(seller.locator(".flash.success")).to_contain_text("Your pair is on sale.")
    expect(seller).to_have_url(re.compile(r"/listings?/\d+"))
    listing_url = seller.url
    expect(seller.locator(".buybox h1")).to_have_text(title)
    expect(seller.locator(".buybox .tag").first).to_have_text("Like new")
    expect(seller.locator(".buybox")).to_contain_text("EU 42.5")
    main_photo = seller.locator(".gallery img.main-photo")
    expect(main_photo).to_have_attribute("alt", title)
    assert main_photo.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
    expect(seller.get_by_role("link", name="Edit your pair")).to_be_visible()
    shot(seller, "listing-as-seller")

    # 2. A second person finds it and offers below the asking price.
    buyer = new_page()
    buyer.goto("/account/register")
    register(buyer, buyer_name, f"c2c-buyer-{token}@example.test")
    buyer.goto("/catalog?mode=c2c&q=" + token)
    card = buyer.locator(".cards .card").filter(has_text=title)
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Like new")
    shot(buyer, "catalog-used")
    card.click()
    expect(buyer).to_have_url(listing_url)
    expect(buyer.locator(".buybox h1")).to_have_text(title)
    expect(buyer.locator(".buybox .tag").first).to_have_text("Like new")
    expect(buyer.get_by_role("link", name="Buy now for $150.00")).to_be_visible()
    expect(buyer.locator(".buybox")).to_contain_text(f"sold by {seller_name}")
    shot(buyer, "listing-as-buyer")
    buyer.fill(".offer-form #amount", OFFER)
    buyer.click(".offer-form >> text=Make an offer")

    expect(buyer).to_have_url(re.compile(r"/offers$"))
    expect(buyer.locator(".flash.success")).to_contain_text("Offer sent.")
    first_offer = buyer.locator("table.table tbody tr").filter(has_text=title)
    expect(first_offer).to_have_count(1)
    expect(first_offer).to_contain_text("$120.00")
    expect(first_offer.locator(".tag")).to_have_text("open")
    expect(first_offer).to_contain_text("waiting for the other side")
    shot(buyer, "offer-sent")

    # 3. The seller counters with a higher amount, still below the asking price.
    seller.goto("/offers")
    incoming = seller.locator("table.table tbody tr").filter(has_text=title)
    expect(incoming).to_have_count(1)
    expect(incoming).to_contain_text(f"{buyer_name} → you")
    expect(incoming).to_contain_text("$120.00")
    shot(seller, "offer-received")
    incoming.get_by_label(f"Counter-offer for {title}").fill(COUNTER)
    incoming.get_by_role("button", name="Counter", exact=True).click()
    expect(seller.locator(".flash.success")).to_have_text("Counter-offer sent.")
    rows = seller.locator("table.table tbody tr").filter(has_text=title)
    expect(rows).to_have_count(2)
    countered = rows.filter(has=seller.locator(".tag", has_text="countered"))
    expect(countered).to_contain_text("$120.00")
    counter_row = rows.filter(has=seller.locator(".tag", has_text="open"))
    expect(counter_row).to_contain_text(f"You (counter) → {buyer_name}")
    expect(counter_row).to_contain_text("$135.00")
    expect(counter_row).to_contain_text("waiting for the other side")
    shot(seller, "countered")

    # 4. The buyer accepts the counter and pays it into escrow.
    buyer.goto("/offers")
    waiting = buyer.locator("table.table tbody tr").filter(
        has=buyer.locator(".tag", has_text="open")
    )
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text(f"{seller_name} (counter) → you")
    expect(waiting).to_contain_text("$135.00")
    shot(buyer, "counter-received")
    waiting.get_by_role("button", name="Accept").click()
    # Accepting takes the buyer straight to paying; the offers list keeps the way back.
    expect(buyer.locator(".flash.success")).to_contain_text(
        "The pair is held for you: pay $135.00 within 24 hours."
    )
    shot(buyer, "counter-accepted")
    buyer.goto("/offers")
    accepted = buyer.locator("table.table tbody tr").filter(
        has=buyer.locator(".tag", has_text="accepted")
    )
    expect(accepted).to_contain_text("$135.00")
    pay = accepted.get_by_role("link", name="Pay $135.00")
    expect(pay).to_be_visible()
    pay.click()

    expect(buyer).to_have_url(re.compile(r"/used/\d+/buy\?offer=\d+$"))
    expect(buyer.locator("h1")).to_have_text("Buy this pair")
    expect(buyer.locator(".price.big")).to_contain_text("$135.00")
    expect(buyer.locator(".price.big")).to_contain_text("asking $150.00")
    expect(buyer.locator("#name")).to_have_value(buyer_name)
    buyer.fill("#line1", "7 Resole Lane")
    buyer.fill("#city", "Portland")
    buyer.fill("#postal_code", "97202")
    buyer.fill("#country", "US")
    buyer.fill("#card_number", CARD)
    shot(buyer, "pay-form")
    buyer.get_by_role("button", name="Pay $135.00 into escrow").click()

    expect(buyer).to_have_url(re.compile(r"/orders/\d+$"))
    expect(buyer.locator(".flash.success")).to_contain_text("The money waits in escrow")
    order_id = re.search(r"/orders/(\d+)$", buyer.url).group(1)
    expect(buyer.locator("h1")).to_contain_text(f"Order #{order_id}")
    status = buyer.locator(".panel h2 .tag")
    expect(status).to_have_text("paid")
    lines = buyer.locator(".panel table")
    expect(lines).to_contain_text(title)
    expect(lines.locator("tfoot tr").last).to_contain_text("$135.00")
    shot(buyer, "order-paid")

    # 5. The seller finds the sale, ships it with tracking, then marks it delivered.
    seller.click(".subnav >> text=My sales")
    expect(seller).to_have_url(re.compile(r"/sell/orders$"))
    sale = seller.locator("table.table tbody tr").filter(
        has=seller.get_by_role("link", name=f"#{order_id}", exact=True)
    )
    expect(sale).to_contain_text(title)
    expect(sale).to_contain_text(buyer_name)
    expect(sale).to_contain_text("$135.00")
    expect(sale.locator(".tag")).to_have_text("paid")
    shot(seller, "my-sales")
    sale.get_by_role("link", name=f"#{order_id}", exact=True).click()

    expect(seller).to_have_url(re.compile(rf"/orders/{order_id}$"))
    panel = seller.locator(".c2c-panel")
    panel.get_by_label("Carrier").fill("USPS")
    panel.get_by_label("Tracking number").fill(TRACKING)
    shot(seller, "ship-form")
    panel.get_by_role("button", name="Mark shipped").click()
    expect(seller.locator(".flash.success")).to_contain_text("Shipped")
    seller_status = seller.locator(".panel h2 .tag")
    expect(seller_status).to_have_text("shipped")
    expect(seller.locator("p", has_text="Shipped with")).to_contain_text(TRACKING)
    shot(seller, "shipped")
    panel.get_by_role("button", name="It was delivered").click()
    expect(seller.locator(".flash.success")).to_contain_text("Marked as delivered.")
    expect(seller_status).to_have_text("delivered")
    shot(seller, "delivered")

    # 6. The buyer confirms the pair arrived as described; escrow releases.
    buyer.reload()
    expect(status).to_have_text("delivered")
    expect(buyer.locator("p", has_text="Shipped with").locator("code")).to_have_text(TRACKING)
    shot(buyer, "order-delivered")
    buyer.get_by_role("button", name="I received it, all good").click()
    expect(buyer.locator(".flash.success")).to_contain_text("the order is complete")
    expect(status).to_have_text("completed")
    shot(buyer, "order-completed")

    # 7. Both rate; each sees the other's rating only once both have rated.
    rate(buyer, 5, "Exactly as described, fast shipping.")
    buyer_panel = buyer.locator(".c2c-panel")
    expect(buyer_panel).to_contain_text("You gave ★★★★★ Exactly as described, fast shipping.")
    expect(buyer_panel.locator("form[action$='/rate']")).to_have_count(0)
    expect(buyer_panel).not_to_contain_text("They gave you")
    shot(buyer, "buyer-rated")

    seller.reload()
    seller_panel = seller.locator(".c2c-panel")
    expect(seller_status).to_have_text("completed")
    expect(seller_panel).to_contain_text("The other side has rated you")
    expect(seller_panel).not_to_contain_text("They gave you")
    expect(seller_panel).not_to_contain_text("Exactly as described")
    shot(seller, "seller-sees-hidden-rating")
    rate(seller, 4, "Paid quickly, friendly.")
    expect(seller_panel).to_contain_text("You gave ★★★★☆ Paid quickly, friendly.")
    expect(seller_panel).to_contain_text("They gave you ★★★★★ Exactly as described, fast shipping.")
    shot(seller, "seller-rated")

    buyer.reload()
    expect(buyer_panel).to_contain_text("They gave you ★★★★☆ Paid quickly, friendly.")
    shot(buyer, "buyer-sees-rating")

    # The seller's public profile counts the sale and shows the rating.
    buyer.goto(listing_url)
    expect(buyer.locator(".buybox")).to_contain_text("Sold")
    buyer.locator(".buybox").get_by_role("link", name=seller_name).click()
    expect(buyer).to_have_url(re.compile(r"/people/\d+$"))
    expect(buyer.locator("h1")).to_have_text(seller_name)
    sales_kpi = buyer.locator(".kpi").filter(has_text="Completed sales")
    expect(sales_kpi.locator("strong")).to_have_text("1")
    rating_kpi = buyer.locator(".kpi").filter(has_text="Rating")
    expect(rating_kpi.locator("strong")).to_contain_text("5.0")
    expect(rating_kpi).to_contain_text("1 rating")
    review = buyer.locator("blockquote.review")
    expect(review).to_have_count(1)
    expect(review).to_contain_text("★★★★★ Exactly as described, fast shipping.")
    expect(review).to_contain_text("Bo, as buyer")
    shot(buyer, "seller-profile")
