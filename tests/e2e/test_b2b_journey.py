"""A wholesale buyer orders a size matrix on net-30 terms and opens the invoice."""

import math
import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

BUYER = "buyer@solemate.test"
COMPANY = "Urban Sole Boutique"
PO_NUMBER = "USB-PO-E2E-4711"
PER_SIZE = 12  # pairs typed into each size, rounded up to the listing's case size
BREAK = 48  # the second tier of every demo wholesale listing starts here
NET_DAYS = 30


def _dates_around_now(days: int) -> list[str]:
    """`days` from now as the pages print dates, allowing for midnight (UTC or local)."""
    now = datetime.now(UTC)
    moments = [now, now.astimezone(), now + timedelta(minutes=5)]
    return sorted({(moment + timedelta(days=days)).strftime("%d %b %Y") for moment in moments})


def test_wholesale_buyer_orders_a_size_matrix_on_net_30_and_reads_the_invoice(new_page, shot):
    buyer = new_page()
    sign_in(buyer, BUYER)
    wholesale_link = buyer.locator("header nav.nav").get_by_role(
        "link", name="Wholesale", exact=True
    )
    expect(wholesale_link).to_be_visible()
    shot(buyer, "signed-in")
    wholesale_link.click()

    expect(buyer).to_have_url(re.compile(r"/wholesale/?$"))
    expect(buyer.locator("h1")).to_contain_text(f"for {COMPANY}")
    cards = buyer.locator(".cards .card")
    expect(cards.first).to_be_visible()
    expect(cards.first).to_contain_text("MOQ 12 pairs")
    shot(buyer, "wholesale-catalog")
    cards.first.click()

    # The listing's terms: three tiers, the MOQ and the case size of single sizes.
    expect(buyer).to_have_url(re.compile(r"/wholesale/listings/\d+$"))
    title = buyer.locator(".buybox h1").inner_text()
    matrix = buyer.locator("form#matrix")
    step = int(matrix.get_attribute("data-multiple"))
    assert int(matrix.get_attribute("data-moq")) == 12
    tiers = buyer.locator("#tiers tbody tr")
    expect(tiers).to_have_count(3)
    assert [int(tiers.nth(n).get_attribute("data-min")) for n in range(3)] == [12, BREAK, 120]
    if step > 1:
        expect(buyer.locator(".gallery .panel .muted")).to_contain_text(
            f"single sizes in cases of {step}"
        )
    tier_price = [tiers.nth(n).locator("td.num").inner_text().strip() for n in range(3)]
    assert tier_price[0] != tier_price[1], tier_price

    pairs = buyer.locator("#pairs")
    unit = buyer.locator("#unit")
    subtotal = buyer.locator("#subtotal")
    expect(pairs).to_have_text("0")
    expect(unit).to_have_text("—")
    expect(buyer.locator("#tiers tbody tr.current")).to_have_count(0)

    # Fill sizes one by one in whole cases until the total reaches the 48-pair break.
    per_size = step * math.ceil(PER_SIZE / step)
    sizes_needed = math.ceil(BREAK / per_size)
    rows = buyer.locator("table.matrix").first.locator("tbody tr")
    available = [int(rows.nth(n).locator("td.num").inner_text()) for n in range(rows.count())]
    chosen = [n for n, count in enumerate(available) if count >= per_size][:sizes_needed]
    assert len(chosen) == sizes_needed, f"not enough stock on {title}: {available}"
    total = 0
    for index, row in enumerate(chosen):
        rows.nth(row).locator("input.qty").fill(str(per_size))
        total += per_size
        expect(pairs).to_have_text(str(total))
        if total < BREAK:
            expect(unit).to_have_text(tier_price[0])
            expect(tiers.nth(0)).to_have_class(re.compile(r"\bcurrent\b"))
            expect(tiers.nth(1)).not_to_have_class(re.compile(r"\bcurrent\b"))
            if index == 0:
                shot(buyer, "matrix-first-tier")
    assert total >= BREAK
    expect(unit).to_have_text(tier_price[1])
    expect(unit).not_to_have_text(tier_price[0])
    expect(tiers.nth(1)).to_have_class(re.compile(r"\bcurrent\b"))
    expect(tiers.nth(0)).not_to_have_class(re.compile(r"\bcurrent\b"))
    expect(buyer.locator("#tiers tbody tr.current")).to_have_count(1)
    expect(buyer.locator("#moq-note")).to_contain_text(f"{120 - total} more pairs for")
    live_subtotal = subtotal.inner_text().strip()
    shot(buyer, "matrix-second-tier")

    matrix.get_by_role("button", name="Put in wholesale cart").click()
    expect(buyer).to_have_url(re.compile(r"/wholesale/cart$"))
    expect(buyer.locator(".flash.success")).to_contain_text("Your wholesale cart is updated.")
    block = buyer.locator("section.seller-block").filter(has_text=title)
    expect(block).to_have_count(1)
    expect(block.locator("tbody tr")).to_have_count(len(chosen))
    expect(block.locator("tfoot")).to_contain_text(f"{total} pairs · tier from {BREAK} pairs")
    expect(block.locator("tfoot td.num").last).to_have_text(live_subtotal)
    expect(buyer.locator("p.problem")).to_have_count(0)
    cart_total = buyer.locator("form .price.big")
    expect(cart_total).to_have_text(f"Total {live_subtotal}")
    shot(buyer, "wholesale-cart")

    buyer.fill("#po_number", PO_NUMBER)
    net30 = buyer.locator("input[name=payment_terms][value=net30]")
    net30.check()
    expect(net30).to_be_checked()
    shot(buyer, "order-terms")
    due_dates = _dates_around_now(NET_DAYS)
    buyer.get_by_role("button", name="Place order").click()

    expect(buyer).to_have_url(re.compile(r"/orders/\d+$"))
    order_id = re.search(r"/orders/(\d+)$", buyer.url).group(1)
    expect(buyer.locator(".flash.success")).to_contain_text(f"Order placed: #{order_id}")
    expect(buyer.locator("h1")).to_contain_text(f"Order #{order_id}")
    expect(buyer.locator(".panel h2 .tag")).to_have_text("invoiced")
    expect(buyer.locator("p", has_text="PO number")).to_contain_text(PO_NUMBER)
    expect(buyer.locator(".panel tfoot th.num")).to_have_text(live_subtotal)
    invoice_link = buyer.get_by_role("link", name=re.compile(r"^Invoice"))
    due_pattern = "|".join(re.escape(date) for date in due_dates)
    expect(invoice_link).to_have_text(re.compile(rf"^Invoice \(due ({due_pattern})\)$"))
    shot(buyer, "order-invoiced")
    invoice_link.click()

    expect(buyer).to_have_url(re.compile(rf"/wholesale/invoices/{order_id}$"))
    invoice = buyer.locator("article.invoice")
    expect(invoice.locator("h1")).to_have_text("Invoice")
    expect(invoice).to_contain_text(f"No. INV-{int(order_id):06d}")
    expect(invoice.locator(".parties")).to_contain_text(COMPANY)
    expect(invoice.locator(".parties strong")).to_have_text(PO_NUMBER)
    expect(invoice.locator("header p strong")).to_have_text(re.compile(rf"^Due ({due_pattern})$"))
    expect(invoice.locator("tbody tr")).to_have_count(len(chosen))
    expect(invoice.locator("tfoot")).to_contain_text("Total due")
    expect(invoice.locator("tfoot th.num")).to_have_text(live_subtotal)
    expect(invoice).to_contain_text(f"{total} pairs at {tier_price[1]}")
    expect(invoice).to_contain_text("Status: open")
    shot(buyer, "invoice")

    buyer.goto("/wholesale/invoices")
    invoice_row = buyer.locator("table.table tbody tr").filter(
        has=buyer.get_by_role("link", name=f"Invoice for #{order_id}", exact=True)
    )
    expect(invoice_row).to_have_count(1)
    expect(invoice_row).to_contain_text(PO_NUMBER)
    expect(invoice_row).to_contain_text(live_subtotal)
    expect(invoice_row).to_contain_text(re.compile(due_pattern))
    expect(invoice_row.locator(".tag")).to_have_text("open")
    shot(buyer, "invoices")
