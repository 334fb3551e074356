"""On a 390 px phone the order lines fit the screen and a wider table shows it has more."""

import io
import uuid

from PIL import Image, ImageChops
from playwright.sync_api import expect

from tests.e2e.conftest import register, sign_in

BUYER = "buyer@solemate.test"
PHONE = {"width": 390, "height": 844}


def fits_the_screen(page, selector: str) -> None:
    """Every element `selector` finds is drawn inside the viewport, not scrolled out of it."""
    boxes = page.locator(selector)
    assert boxes.count() > 0, selector
    for index in range(boxes.count()):
        box = boxes.nth(index).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (
            selector,
            box,
        )


def label_of(cell) -> str:
    """The label a stacked cell shows above its figure (drawn from its data-label)."""
    return cell.evaluate("td => getComputedStyle(td, '::before').content").strip('"')


def edge_shading(table) -> tuple[bool, bool]:
    """Whether the table's left and right edges are drawn darker than the same table with
    a plain background, i.e. whether a scroll shadow shows on each side."""
    shown = Image.open(io.BytesIO(table.screenshot())).convert("L")
    table.evaluate("t => { t.style.background = '#fff' }")
    plain = Image.open(io.BytesIO(table.screenshot())).convert("L")
    table.evaluate("t => { t.style.background = '' }")
    width, height = shown.size
    strips = []
    for left in (3, width - 9):  # inside the border, clear of the rounded corners
        box = (left, 12, left + 6, height - 12)
        darker = ImageChops.subtract(plain.crop(box), shown.crop(box)).getextrema()[1]
        strips.append(darker > 12)
    return strips[0], strips[1]


def test_on_a_phone_invoice_and_order_lines_fit_and_wide_tables_show_their_hidden_side(
    new_page, shot
):
    buyer = new_page()
    buyer.set_viewport_size(PHONE)
    sign_in(buyer, BUYER)

    # The invoice's lines stack: every figure and the total due are on screen, labelled.
    buyer.goto("/wholesale/invoices")
    buyer.locator("table.table tbody a").first.click()
    invoice = buyer.locator("article.invoice")
    expect(invoice.locator("h1")).to_have_text("Invoice")
    lines = invoice.locator("table.lines")
    assert lines.evaluate("t => t.scrollWidth <= t.clientWidth")
    for selector in ("td[data-label=Qty]", "td[data-label=Unit]", "td[data-label=Amount]"):
        fits_the_screen(buyer, f"article.invoice tbody {selector}")
    first_line = invoice.locator("tbody tr").first
    assert [label_of(first_line.locator("td").nth(i)) for i in range(1, 6)] == [
        "Size",
        "SKU",
        "Qty",
        "Unit",
        "Amount",
    ]
    fits_the_screen(buyer, "article.invoice tfoot th")
    expect(invoice.locator("tfoot")).to_contain_text("Total due")
    shot(buyer, "invoice-at-390")

    # So do the order's lines, with subtotal, shipping and total.
    buyer.goto("/wholesale/orders")
    buyer.locator("main table.table tbody a").first.click()
    fits_the_screen(buyer, "table.lines tbody td[data-label=Total]")
    fits_the_screen(buyer, "table.lines tfoot .num:last-child")
    shot(buyer, "order-at-390")

    # The order list is wider than the phone: it scrolls in its box, with a shadow on the
    # side that has more, and none on the side that has not.
    buyer.goto("/wholesale/orders")
    orders = buyer.locator("main table.table").first
    assert orders.evaluate("t => t.scrollWidth > t.clientWidth + 40")
    assert edge_shading(orders) == (False, True)
    orders.evaluate("t => { t.scrollLeft = (t.scrollWidth - t.clientWidth) / 2 }")
    assert edge_shading(orders) == (True, True)
    orders.evaluate("t => { t.scrollLeft = t.scrollWidth }")
    assert edge_shading(orders) == (True, False)
    shot(buyer, "orders-scrolled-at-390")


def test_on_a_phone_the_cart_shows_its_total_and_a_seller_can_answer_an_offer(new_page, shot):
    # A visitor's cart: each line's total and the subtotal are on screen, the page does not
    # scroll sideways, and each pair can still be removed.
    visitor = new_page()
    visitor.set_viewport_size(PHONE)
    for card in (0, 1):
        visitor.goto("/catalog?condition=new&sort=newest")
        visitor.locator(".cards .card").nth(card).click()
        visitor.locator("label.size:not(.out) input[type=radio]").first.check(force=True)
        visitor.click(".buy-form button[type=submit]")
    expect(visitor.locator("table.cart tbody tr")).to_have_count(2)
    assert visitor.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    line_totals = "table.cart tbody td.num:nth-last-child(2)"
    fits_the_screen(visitor, line_totals)
    assert label_of(visitor.locator(line_totals).first) == "Total"
    # Each line reads size, price and total on one row, above its pairs and Remove.
    first_line = visitor.locator("table.cart tbody tr").first
    tops = {
        label: first_line.locator(f"td[data-label={label}]").bounding_box()["y"]
        for label in ("Size", "Price", "Total", "Pairs")
    }
    assert tops["Size"] == tops["Price"] == tops["Total"] < tops["Pairs"], tops
    fits_the_screen(visitor, "table.cart tbody button:text-is('Remove')")
    fits_the_screen(visitor, "table.cart tfoot .num")
    shot(visitor, "cart-at-390")

    # A seller's offers: Accept, Decline and the counter-offer box are on screen. A new
    # buyer offers on one of Sam's pairs first, so the test does not hang on the demo's
    # offers (other journeys answer them).
    seller = new_page()
    seller.set_viewport_size(PHONE)
    sign_in(seller, "sam@solemate.test")
    seller.goto("/sell/mine")
    pair_url = seller.locator("tr.active:not(:has-text('held')) td a[href^='/listings/']").first
    pair_url = pair_url.get_attribute("href")
    buyer = new_page()
    buyer.goto("/account/register")
    register(buyer, "Phone Buyer", f"phone-buyer-{uuid.uuid4().hex[:8]}@example.test")
    buyer.goto(pair_url)
    buyer.fill(".offer-form #amount", "10.00")
    buyer.click(".offer-form >> text=Make an offer")
    expect(buyer.locator(".flash.success")).to_contain_text("Offer sent.")
    seller.goto("/offers")
    waiting = seller.locator("main table tbody tr").filter(
        has=seller.locator("button", has_text="Accept")
    )
    assert waiting.count() > 0
    assert seller.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for selector in (
        "button:text-is('Accept')",
        "button:text-is('Decline')",
        "input[name=amount]",
        "button:text-is('Counter')",
        "td.num",
    ):
        fits_the_screen(seller, f"main table tbody {selector}")
    shot(seller, "offers-at-390")
