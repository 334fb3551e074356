"""Journeys of issue 2: a visitor browsing, a seller listing a new pair."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import sign_in


def test_visitor_searches_filters_by_size_and_switches_size_system(new_page, shot):
    page = new_page()
    page.goto("/")
    shot(page, "home")
    page.fill("header input[name=q]", "glide")
    page.press("header input[name=q]", "Enter")
    expect(page.locator(".results-head")).to_contain_text("for “glide”")
    shot(page, "search-glide")
    page.select_option("#gender", "men")
    page.select_option("#size_eu", "42")
    page.click(".filters button[type=submit]")
    expect(page).to_have_url(re.compile(r"gender=men.*size_eu=42"))
    cards = page.locator(".cards .card")
    expect(cards.first).to_be_visible()
    shot(page, "filtered-size-42")
    cards.first.click()
    expect(page.locator(".buybox h1")).to_be_visible()
    expect(page.locator(".sizes")).to_contain_text("EU 42")
    shot(page, "listing-eu")
    page.click(".size-systems a[data-system=us]")
    expect(page.locator(".sizes")).to_contain_text("US 8.5")
    expect(page.locator(".sizes")).not_to_contain_text("EU 42")
    shot(page, "listing-us")


def test_seller_creates_a_listing_with_three_sizes_and_finds_it_in_the_catalog(new_page, shot):
    page = new_page()
    sign_in(page, "seller@solemate.test")
    page.click("text=Seller console")
    page.click(".subnav >> text=New listing")
    page.fill("#title", "Granite Peak Canyon Runner “Dusk”")
    page.fill("#brand", "Granite Peak")
    page.fill("#model", "Canyon Runner")
    page.fill("#colorway", "Dusk")
    page.select_option("#category", "running")
    page.select_option("#gender", "men")
    page.fill("#description", "A trail runner for long canyon days.")
    for row, (size, stock, price) in enumerate(
        [("41", "4", "139.00"), ("42", "6", "139.00"), ("43", "2", "144.00")]
    ):
        page.fill(f"#variants-{row}-size_eu", size)
        page.fill(f"#variants-{row}-sku", f"GP-CANYON-{size}")
        page.fill(f"#variants-{row}-stock", stock)
        page.fill(f"#variants-{row}-price", price)
    shot(page, "new-listing-form")
    page.click("text=Create listing")
    expect(page.locator(".flash.success")).to_contain_text("is listed")
    shot(page, "listing-saved")
    page.goto("/catalog?q=canyon+dusk")
    expect(page.locator(".cards .card")).to_have_count(1)
    expect(page.locator(".cards")).to_contain_text("Canyon Runner")
    expect(page.locator(".cards")).to_contain_text("$139.00")
    shot(page, "in-catalog")
    page.locator(".cards .card").first.click()
    for size in ("EU 41", "EU 42", "EU 43"):
        expect(page.locator(".sizes")).to_contain_text(size)
    shot(page, "listing-page")
