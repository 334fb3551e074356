"""A manager joins through a referral link, is approved, fills a shop, a consumer buys from it,
the brand ships and delivers, the return window closes, and the manager withdraws the margin."""

import csv
import io
import re
import uuid
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from playwright.sync_api import expect

from tests.e2e.conftest import flask_cli, register, sign_in

CARD = "4242 4242 4242 4242"
TRACKING = "1Z999AA10123456799"
INVITER, INVITER_NAME = "manager@solemate.test", "Mia Manager"
ADMIN = "admin@solemate.test"
SELLERS = {
    "Northpeak Footwear": "seller@solemate.test",
    "Stride & Co": "stride@solemate.test",
    "Dune Supply": "dune@solemate.test",
    "Ember Goods": "ember@solemate.test",
}
PAYOUT_MIN_CENTS = 2000
B2M_FEE_PERCENT, LEVEL_1_OVERRIDE_PERCENT = 5, 20


def cents(text: str) -> int:
    """'$1,234.50' -> 123450."""
    match = re.search(r"-?\$?([\d,]+)\.(\d\d)", text)
    assert match, f"no amount in {text!r}"
    return int(match.group(1).replace(",", "")) * 100 + int(match.group(2))


def dollars(amount_cents: int) -> str:
    return f"${amount_cents // 100:,}.{amount_cents % 100:02d}"


def percent_of(amount_cents: int, percent: int) -> int:
    share = Decimal(amount_cents) * percent / 100
    return int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def commissions_csv(page) -> list[dict[str, str]]:
    """The signed-in manager's commissions export, read with the page's cookies."""
    response = page.request.get("/manager/commissions.csv")
    assert response.ok, response.status
    return list(csv.DictReader(io.StringIO(response.text())))


def status_amount(page, label: str):
    """The amount cell of one row of the dashboard's 'Commission by status' table."""
    panel = page.locator("section.panel").filter(has=page.get_by_role("heading", name="Commission"))
    return panel.locator("tr").filter(has=page.locator(".tag", has_text=label)).locator("td.num")


def kpi(page, label: str):
    return page.locator(".kpi").filter(has_text=label).locator("strong")


def test_referred_manager_sells_through_the_shop_and_withdraws_the_margin(
    new_page, shot, server_env
):
    token = uuid.uuid4().hex[:8]
    manager_name, shop_name = "Nina Newshop", f"Nina's Kicks {token}"
    buyer_name = "Carl Consumer"

    # 1. Mia, an approved manager, reads her referral code from her share panel.
    mia = new_page()
    sign_in(mia, INVITER)
    mia.click("header .nav >> text=My shop")
    expect(mia).to_have_url(re.compile(r"/manager$"))
    mia.click(".subnav >> text=My shop & share")
    expect(mia).to_have_url(re.compile(r"/manager/shop$"))
    code = mia.locator("p", has_text="Your referral code").locator("strong").inner_text().strip()
    assert re.fullmatch(r"[A-Za-z0-9]{4,16}", code), code
    expect(mia.get_by_label("Referral link")).to_have_value(re.compile(rf"/r/{code}$"))
    shot(mia, "inviter-share-panel")

    # 2. A new person follows the link, joins, and applies with the code prefilled.
    nina = new_page()
    nina.goto(f"/r/{code}")
    expect(nina).to_have_url(re.compile(r"/account/register\?next=(/|%2F)manager(/|%2F)apply$"))
    expect(nina.locator(".flash.info")).to_contain_text(f"{INVITER_NAME} invited you")
    shot(nina, "referral-landing")
    register(nina, manager_name, f"b2m-manager-{token}@example.test")
    expect(nina).to_have_url(re.compile(r"/manager/apply$"))
    expect(nina.locator("h1")).to_have_text("Open your own shoe shop")
    expect(nina.locator("#referral_code")).to_have_value(code)
    nina.fill("#shop_name", shop_name)
    shot(nina, "apply-form")
    nina.get_by_role("button", name="Apply (free)").click()
    expect(nina.locator(".flash.success")).to_contain_text("An admin will open your shop shortly")
    expect(nina.locator("p.panel")).to_contain_text(shop_name)
    expect(nina.locator("p.panel .tag")).to_have_text("pending")
    expect(nina.locator("header .nav")).not_to_contain_text("My shop")
    shot(nina, "applied")

    # 3. The admin approves the application; it shows who invited her.
    admin = new_page()
    sign_in(admin, ADMIN)
    admin.click("header .nav >> text=Admin")
    admin.click(".subnav >> text=Managers")
    expect(admin.locator("h1")).to_have_text("Managers")
    application = admin.locator("table.table tbody tr").filter(has_text=shop_name)
    expect(application).to_have_count(1)
    expect(application).to_contain_text(manager_name)
    expect(application).to_contain_text(INVITER_NAME)
    shot(admin, "pending-managers")
    application.get_by_role("button", name="Approve").click()
    expect(admin.locator(".flash.success")).to_contain_text(f"{shop_name}: approved.")
    expect(admin.locator("table.table tbody tr").filter(has_text=shop_name)).to_have_count(0)
    admin.click("nav.tabs >> text=Approved")
    approved = admin.locator("table.table tbody tr").filter(has_text=shop_name)
    expect(approved).to_have_count(1)
    shop_link = approved.locator("a[href^='/s/']")
    slug = shop_link.inner_text().strip().removeprefix("/s/")
    assert slug, "the approved shop has no address"
    shot(admin, "approved-managers")

    # 4. The new manager adds the two pairs with the largest margin at the suggested price.
    nina.reload()
    nina.click("header .nav >> text=My shop")
    expect(nina).to_have_url(re.compile(r"/manager$"))
    expect(nina.locator("h1")).to_have_text(shop_name)
    nina.click(".subnav >> text=Add pairs")
    expect(nina.locator("h1")).to_have_text("Add pairs to your shop")
    rows = nina.locator("table.table tbody tr")
    expect(rows.first.get_by_role("button", name="Add")).to_be_visible()
    offers = []
    for index in range(rows.count()):
        cells = rows.nth(index).locator("td")
        offers.append(
            {
                "title": cells.nth(1).inner_text().strip(),
                "base": cents(cells.nth(2).inner_text()),
                "suggested": cents(cells.nth(4).inner_text()),
                "margin": cents(cells.nth(5).inner_text()),
            }
        )
    for offer in offers:
        assert offer["margin"] == offer["suggested"] - offer["base"], offer
    picks = sorted(offers, key=lambda offer: offer["margin"], reverse=True)[:2]
    assert len(picks) == 2, offers
    assert picks[0]["margin"] >= PAYOUT_MIN_CENTS, picks
    shot(nina, "catalog")
    for pick in picks:
        nina.click(".subnav >> text=Add pairs")
        row = rows.filter(has=nina.get_by_role("link", name=pick["title"], exact=True))
        expect(row).to_have_count(1)
        price = row.get_by_label(f"Your price for {pick['title']}")
        expect(price).to_have_value(f"{pick['suggested'] / 100:.2f}")
        row.get_by_role("button", name="Add").click()
        expect(nina).to_have_url(re.compile(r"/manager/shop$"))
        expect(nina.locator(".flash.success")).to_have_text("Your shop is updated.")

    shop_rows = nina.locator("table.table tbody tr")
    expect(shop_rows).to_have_count(2)
    for pick in picks:
        shop_row = shop_rows.filter(has_text=pick["title"])
        expect(shop_row).to_have_count(1)
        expect(shop_row.locator("td.num")).to_have_text(dollars(pick["margin"]))
        expect(shop_row.locator(".tag")).to_have_text("on sale")
    expect(nina.get_by_label("Shop link")).to_have_value(re.compile(rf"/s/{re.escape(slug)}$"))
    qr = nina.get_by_alt_text("QR code of your shop")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
    shot(nina, "shop-and-share")
    nina.click(".subnav >> text=Add pairs")
    for pick in picks:
        row = rows.filter(has=nina.get_by_role("link", name=pick["title"], exact=True))
        expect(row.get_by_role("button", name="Update")).to_be_visible()

    # Before any sale the dashboard is empty and the chart is drawn all the same.
    nina.click(".subnav >> text=Dashboard")
    expect(nina.locator("svg.chart")).to_be_visible()
    expect(status_amount(nina, "Available")).to_have_text("$0.00")
    expect(nina.locator("section.panel", has_text="Top pairs")).to_contain_text("No sales yet")

    # 5. A consumer opens the public shop, picks a size in stock and pays by card.
    item = picks[0]
    buyer = new_page()
    buyer.goto("/account/register")
    register(buyer, buyer_name, f"b2m-buyer-{token}@example.test")
    buyer.goto(f"/s/{slug}")
    expect(buyer.locator(".shop-hero h1")).to_have_text(shop_name)
    expect(buyer.locator(".shop-hero")).to_contain_text(f"Picked by {manager_name}")
    cards = buyer.locator(".cards .card")
    expect(cards).to_have_count(2)
    card = cards.filter(has_text=item["title"])
    expect(card.locator(".price")).to_have_text(dollars(item["suggested"]))
    shot(buyer, "public-shop")
    card.click()
    expect(buyer).to_have_url(re.compile(rf"/s/{re.escape(slug)}/items/\d+$"))
    expect(buyer.locator(".buybox h1")).to_have_text(item["title"])
    expect(buyer.locator(".buybox .price.big")).to_have_text(dollars(item["suggested"]))
    expect(buyer.locator(".buybox")).to_contain_text(f"From {shop_name} by {manager_name}")
    size = buyer.locator("label.size:not(.out)").first
    size_label = size.locator(".size-label").inner_text().strip()
    size.locator("input[type=radio]").check(force=True)
    expect(size.locator("input[type=radio]")).to_be_checked()
    shot(buyer, "shop-item")
    buyer.get_by_role("button", name="Add to cart").click()

    expect(buyer).to_have_url(re.compile(r"/cart$"))
    expect(buyer.locator(".flash.success")).to_contain_text("Added to your cart.")
    cart_row = buyer.locator("table.cart tbody tr")
    expect(cart_row).to_have_count(1)
    expect(cart_row).to_contain_text(item["title"])
    expect(cart_row).to_contain_text(size_label)
    expect(cart_row.locator("td.num").first).to_have_text(dollars(item["suggested"]))
    shot(buyer, "cart")
    buyer.get_by_role("link", name="Check out").click()
    expect(buyer.locator("h1")).to_have_text("Checkout")
    expect(buyer.locator("#name")).to_have_value(buyer_name)
    buyer.fill("#line1", "5 Referral Road")
    buyer.fill("#city", "Austin")
    buyer.fill("#postal_code", "78701")
    buyer.fill("#country", "US")
    buyer.fill("#card_number", CARD)
    shot(buyer, "checkout")
    buyer.get_by_role("button", name=re.compile(r"^Pay ")).click()

    expect(buyer.locator("h1")).to_have_text("Thank you!")
    done_row = buyer.locator("table.table tbody tr")
    expect(done_row).to_have_count(1)
    expect(done_row.locator(".tag")).to_have_text("paid")
    shot(buyer, "checkout-done")
    done_row.locator("a").click()
    expect(buyer).to_have_url(re.compile(r"/orders/\d+$"))
    order_id = re.search(r"/orders/(\d+)$", buyer.url).group(1)
    heading = buyer.locator("h1")
    expect(heading).to_contain_text(f"Order #{order_id}")
    company = re.search(r"from (.+?),", heading.inner_text()).group(1)
    assert company in SELLERS, f"unknown seller {company!r}"
    status = buyer.locator(".panel h2 .tag")
    expect(status).to_have_text("paid")
    lines = buyer.locator(".panel table")
    expect(lines).to_contain_text(item["title"])
    expect(lines.locator("tbody tr td.num").nth(1)).to_have_text(dollars(item["suggested"]))
    shot(buyer, "order-paid")

    # 6. The brand's seller ships the pair and marks it delivered.
    seller = new_page()
    sign_in(seller, SELLERS[company])
    seller.click("header .nav >> text=Seller console")
    seller.click(".subnav >> text=Orders")
    expect(seller.locator("h1")).to_have_text("Orders")
    order_link = seller.get_by_role("link", name=f"#{order_id}", exact=True)
    order_row = seller.locator("table.table tbody tr").filter(has=order_link)
    expect(order_row).to_contain_text(buyer_name)
    expect(order_row).to_contain_text("B2M")
    expect(order_row.locator(".tag.paid")).to_have_text("paid")
    shot(seller, "seller-orders")
    order_link.click()
    expect(seller).to_have_url(re.compile(rf"/orders/{order_id}$"))
    expect(seller.locator("h1")).to_contain_text(f"Order #{order_id}")
    fee = seller.locator("tfoot tr", has_text="Platform fee").locator("td.num")
    expect(fee).to_have_text(f"−{dollars(percent_of(item['base'], B2M_FEE_PERCENT))}")
    fee_cents = cents(fee.inner_text())
    seller.fill("#carrier", "UPS")
    seller.fill("#tracking_number", TRACKING)
    shot(seller, "ship-form")
    seller.get_by_role("button", name="Mark shipped").click()
    expect(seller.locator(".flash.success")).to_contain_text("Shipped")
    seller_status = seller.locator(".panel h2 .tag")
    expect(seller_status).to_have_text("shipped")
    expect(seller.locator("p", has_text="Shipped with")).to_contain_text(TRACKING)
    shot(seller, "shipped")
    seller.get_by_role("button", name="Mark delivered").click()
    expect(seller.locator(".flash.success")).to_contain_text("Marked as delivered.")
    expect(seller_status).to_have_text("delivered")
    shot(seller, "delivered")

    # While the return window is open the commission is pending, not withdrawable.
    nina.reload()
    expect(status_amount(nina, "Pending")).to_have_text(dollars(item["margin"]))
    expect(status_amount(nina, "Available")).to_have_text("$0.00")
    expect(nina.locator("p", has_text="Withdrawable now")).to_contain_text("$0.00")
    shot(nina, "dashboard-pending")

    # 7. Time moves past the return window; the jobs complete the order.
    later = (datetime.now(UTC) + timedelta(days=8)).isoformat(timespec="seconds")
    report = flask_cli(server_env, "jobs", "run", "--at", later)
    assert re.search(r"complete orders past their return window: [1-9]", report), report

    # 8. The commission is available; the chart and the KPIs show the sale.
    nina.reload()
    expect(status_amount(nina, "Available")).to_have_text(dollars(item["margin"]))
    expect(status_amount(nina, "Pending")).to_have_text("$0.00")
    expect(nina.locator("p", has_text="Withdrawable now")).to_contain_text(dollars(item["margin"]))
    chart = nina.locator("svg.chart")
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute("aria-label", "Sales through your shop, last 30 days")
    bar = chart.locator("rect").filter(
        has=nina.locator("title", has_text=f": {dollars(item['suggested'])}")
    )
    expect(bar).to_have_count(1)
    assert float(bar.get_attribute("height")) > 0
    expect(kpi(nina, "Sales, last 7 days")).to_have_text(dollars(item["suggested"]))
    expect(kpi(nina, "Earned, last 7 days")).to_have_text(dollars(item["margin"]))
    top = nina.locator("section.panel", has_text="Top pairs").locator("tbody tr")
    expect(top).to_have_count(1)
    expect(top).to_contain_text(item["title"])
    shot(nina, "dashboard-available")

    nina.click(".subnav >> text=Payouts")
    expect(nina.locator("h1")).to_have_text("Payouts")
    expect(nina.locator("p", has_text="Withdrawable")).to_contain_text(dollars(item["margin"]))
    nina.fill("#amount", f"{item['margin'] / 100:.2f}")
    shot(nina, "payout-form")
    nina.get_by_role("button", name="Request payout").click()
    expect(nina.locator(".flash.success")).to_contain_text("Payout requested")
    expect(nina.locator("p", has_text="Withdrawable")).to_contain_text("$0.00")
    history = nina.locator("section.panel", has_text="History").locator("tbody tr")
    expect(history).to_have_count(1)
    expect(history).to_contain_text(dollars(item["margin"]))
    expect(history.locator(".tag")).to_have_text("requested")
    payout_id = history.locator("td").first.inner_text().strip()
    shot(nina, "payout-requested")

    # The admin pays it.
    admin.click(".subnav >> text=Payouts")
    expect(admin.locator("h1")).to_have_text("Payout requests")
    waiting = admin.locator("table.table tbody tr").filter(
        has=admin.locator("td", has_text=re.compile(rf"^{payout_id}$"))
    )
    expect(waiting).to_contain_text(manager_name)
    expect(waiting).to_contain_text(dollars(item["margin"]))
    shot(admin, "payouts-waiting")
    waiting.get_by_role("button", name="Pay").click()
    expect(admin.locator(".flash.success")).to_have_text(f"Payout #{payout_id} approved.")
    assert admin.confirmed == [f"Pay {dollars(item['margin'])} to {manager_name}?"]
    expect(waiting).to_have_count(0)
    nina.reload()
    expect(history.locator(".tag")).to_have_text("approved")
    nina.click(".subnav >> text=Dashboard")
    expect(status_amount(nina, "Paid out")).to_have_text(dollars(item["margin"]))
    expect(status_amount(nina, "Available")).to_have_text("$0.00")
    shot(nina, "payout-paid")

    # 9. Mia sees the new manager and her sale in her network.
    mia.click(".subnav >> text=Dashboard")
    member = mia.locator("section.panel", has_text="Your network").locator("tbody tr")
    member = member.filter(has=mia.get_by_role("link", name=shop_name, exact=True))
    expect(member).to_have_count(1)
    cells = member.locator("td")
    expect(cells.nth(0)).to_have_text("1")
    expect(cells.nth(1)).to_have_text(manager_name)
    expect(cells.nth(3)).to_have_text("1")
    expect(cells.nth(4)).to_have_text(dollars(item["suggested"]))
    expect(mia.locator("svg.chart")).to_be_visible()
    shot(mia, "inviter-network")

    # Mia's override is a share of Solemate's fee on that order, available like the margin.
    override = [row for row in commissions_csv(mia) if row["order_id"] == order_id]
    expected = percent_of(fee_cents, LEVEL_1_OVERRIDE_PERCENT)
    found = [(row["kind"], row["level"], row["amount_cents"], row["status"]) for row in override]
    assert found == [("override", "1", str(expected), "available")], override
    margin = [row for row in commissions_csv(nina) if row["order_id"] == order_id]
    assert [(row["kind"], row["amount_cents"]) for row in margin] == [
        ("margin", str(item["margin"]))
    ], margin


def test_the_share_panel_copies_the_shop_link_and_without_javascript_shows_it_to_select(
    new_page, browser, base_url, shot
):
    mia = new_page()
    mia.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    sign_in(mia, INVITER)
    mia.goto("/manager/shop")
    panel = mia.locator("section.share")
    shop_link = panel.get_by_label("Shop link").input_value()
    assert re.search(r"/s/[\w-]+$", shop_link), shop_link
    copy = panel.get_by_role("button", name="Copy link")
    expect(copy).to_be_visible()
    expect(panel.get_by_role("status")).to_have_text("")
    copy.click()
    expect(panel.get_by_role("status")).to_have_text("Copied")
    assert mia.evaluate("navigator.clipboard.readText()") == shop_link
    shot(mia, "share-panel-copied")

    # Without JavaScript there is no button that would do nothing: the link is there to select.
    context = browser.new_context(base_url=base_url, java_script_enabled=False)
    try:
        plain = context.new_page()
        sign_in(plain, INVITER)
        plain.goto("/manager/shop")
        panel = plain.locator("section.share")
        expect(panel.get_by_label("Shop link")).to_have_value(shop_link)
        expect(panel.get_by_label("Shop link")).to_have_attribute("readonly", "")
        expect(panel.get_by_role("button", name="Copy link")).to_be_hidden()
    finally:
        context.close()
