"""Who may use which route: every route the app registers, requested as each of nine roles,
answers the status this matrix names. A route added without a row here fails the coverage
test, so whoever adds it decides who may use it; a row whose route is gone fails it too.

The objects in the URLs (orders, listings, offers, quotes, invoices, shop items, jobs, cart
lines, ...) belong to the first of each pair (consumer, seller, manager); the "other" one
proves there is no IDOR: foreign ids answer 404 (API.md, DESIGN.md), or the capability's
refusal. Each role gets a world of its own, built through the services, and requests the
routes in a fixed order (reads first, then writes, then the few that use up what other rows
need), so every answer is deterministic. Bodies are the smallest that get past input
validation to the authorization check: an empty body often stops at validation first (the
API loads the body schema before the view runs), which would prove nothing about who may act.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from marketplace import clock
from marketplace.extensions import db
from marketplace.services import (
    c2c,
    cart,
    checkout,
    escrow,
    imports,
    listings,
    managers,
    offers,
    orders,
    payouts,
    quotes,
    shops,
    wholesale,
)
from models import Account, Company, Listing
from tests.b2m_helpers import ADDRESS, CARD_OK, b2m_terms
from tests.c2c_helpers import PAIR_FACTS
from tests.helpers import (
    image_bytes,
    login,
    make_admin,
    make_company_member,
    make_listing,
    make_person,
    token_for,
)
from tests.wholesale_helpers import make_buyer, make_wholesale_listing

ROLES = (
    "anonymous",
    # a person: the cart line, the order, the used pairs and their offers and messages
    "consumer",
    "other_consumer",
    # a member of the selling company: the listing, its photo, the import job, the quotes
    # and the invoice (as seller), the order (as seller), the payouts waiting for the admin
    "seller",
    # another company, which sells and also buys wholesale: the foreign company everywhere
    "other_seller",
    # a member of the buying company: the quotes, the wholesale order and its invoice
    "wholesale",
    # an approved manager: the shop, its items, the order that came through it
    "manager",
    "other_manager",
    "admin",
)
# A redirect to the sign-in page (what a login-required page answers a visitor).
LOGIN = "302 to sign-in"


# Shapes of a row: one expected status per role, in the order of ROLES.


def everyone(status) -> tuple:
    return (status,) * len(ROLES)


def api(*signed_in) -> tuple:
    """An API route: 401 without a token, then the eight signed-in roles."""
    assert len(signed_in) == len(ROLES) - 1
    return (401, *signed_in)


def page(*signed_in) -> tuple:
    """A page behind sign-in: visitors are sent to sign in, then the eight signed-in roles."""
    assert len(signed_in) == len(ROLES) - 1
    return (LOGIN, *signed_in)


def any_account_api(status: int) -> tuple:
    return api(*(status,) * 8)


def any_account_page(status) -> tuple:
    return page(*(status,) * 8)


def admin_api(status: int) -> tuple:
    """Admin routes of the API: 403 for every other account."""
    return api(403, 403, 403, 403, 403, 403, 403, status)


def admin_page(status: int) -> tuple:
    """Admin pages hide themselves: 404 for every other account."""
    return page(404, 404, 404, 404, 404, 404, 404, status)


def seller_page(status, other=None) -> tuple:
    """Seller console: 403 with the reason for accounts that cannot sell; the other seller
    gets the same page, or 404 for the seller's objects."""
    return page(403, 403, status, status if other is None else other, 403, 403, 403, 403)


def wholesale_page(status, other=None) -> tuple:
    """Wholesale pages hide themselves (404) from accounts that cannot buy wholesale; the
    other seller's company also buys wholesale, so it is the foreign buying company."""
    return page(404, 404, 404, status if other is None else other, status, 404, 404, 404)


def person_page(status, others=None) -> tuple:
    """Used-pair selling is for people (consumers, managers, the admin): 403 for business
    accounts; others' pairs are 404."""
    o = status if others is None else others
    return page(status, o, 403, 403, 403, o, o, o)


def manager_page(status) -> tuple:
    """Manager pages hide themselves (404) from everyone but approved managers."""
    return (404, 404, 404, 404, 404, 404, status, status, 404)


def manager_api(status: int, other=None) -> tuple:
    return api(403, 403, 403, 403, 403, status, status if other is None else other, 403)


# When a role requests a row: reads, then writes, then the writes that use up what other rows
# need (a one-time application, the pair, the order, the shop item, the cart line), and
# signing out at the very end.
READ, WRITE, LATE, SIGN_OUT = range(4)


@dataclass(frozen=True)
class Row:
    """One route: the URL to request ({names} from the world), the statuses by role, the
    body (JSON for the API, a form for pages; a function of the world when it needs ids),
    and when a role requests it (READ for GET, WRITE for the rest, unless told)."""

    path: str
    expect: tuple
    body: object = None
    multipart: bool = False
    phase: int | None = None


def used_pair_upload(world) -> dict:
    return {
        **PAIR_FACTS,
        "price_cents": "9000",
        "photos": [(io.BytesIO(world["jpeg"]), "pair.jpg")],
    }


def catalog_csv(world) -> dict:
    text = (
        "sku,title,brand,model,colorway,category,gender,size_eu,stock,price_cents\n"
        "AUTHZ-IMPORT-1,Court Classic,Acme,Court 1,White,lifestyle,men,42,5,8900\n"
    )
    return {"file": (io.BytesIO(text.encode()), "catalog.csv")}


def wholesale_csv(world) -> dict:
    text = f"sku,quantity\n{world['sku_40']},12\n"
    return {"file": (io.BytesIO(text.encode()), "order.csv"), "payment_terms": "net30"}


NEW_LISTING = {
    "title": "Court Classic",
    "brand": "Acme",
    "model": "Court 1",
    "category": "lifestyle",
    "gender": "men",
    "variants": [{"size_eu": "42", "sku": "AUTHZ-NEW-42", "stock": 3, "price_cents": 8900}],
}
SHIP = {"carrier": "UPS", "tracking_number": "1Z999"}
BUY = {"shipping_address": ADDRESS, "payment": {"card_number": CARD_OK}}


MATRIX: dict[tuple[str, str], Row] = {
    # ---- files -----------------------------------------------------------------------
    ("GET", "/static/<path:filename>"): Row("/static/css/app.css", everyone(200)),
    ("GET", "/media/<name>"): Row("/media/{photo_file}", everyone(200)),
    # ---- catalog, listing pages, people, public shops ---------------------------------
    ("GET", "/"): Row("/", everyone(200)),
    ("GET", "/catalog"): Row("/catalog", everyone(200)),
    ("GET", "/listings/<int:listing_id>"): Row("/listings/{listing}", everyone(200)),
    ("GET", "/people/<int:account_id>"): Row("/people/{consumer}", everyone(200)),
    ("GET", "/r/<code>"): Row("/r/{code}", everyone(302)),
    ("GET", "/s/<slug>"): Row("/s/{slug}", everyone(200)),
    ("GET", "/s/<slug>/qr.png"): Row("/s/{slug}/qr.png", everyone(200)),
    ("GET", "/s/<slug>/items/<int:listing_id>"): Row("/s/{slug}/items/{listing}", everyone(200)),
    ("POST", "/s/<slug>/items/<int:listing_id>"): Row(
        "/s/{slug}/items/{listing}",
        # added to the cart; the seller's own listing and the manager's own shop are refused
        (302, 302, 302, 200, 302, 302, 200, 302, 302),
        body=lambda w: {"variant_id": w["variant"], "quantity": "1"},
    ),
    ("GET", "/s/<slug>/items/<int:listing_id>/qr.png"): Row(
        "/s/{slug}/items/{listing}/qr.png", everyone(200)
    ),
    # ---- accounts ------------------------------------------------------------------------
    ("GET", "/account/"): Row("/account/", any_account_page(200)),
    ("GET", "/account/login"): Row("/account/login", everyone(200)),
    ("POST", "/account/login"): Row("/account/login", everyone(200)),
    # no sign-in waiting for its second step: back to the password
    ("GET", "/account/login/code"): Row("/account/login/code", everyone(LOGIN)),
    ("POST", "/account/login/code"): Row("/account/login/code", everyone(LOGIN)),
    ("GET", "/account/login/enroll"): Row("/account/login/enroll", everyone(LOGIN)),
    ("POST", "/account/login/enroll"): Row("/account/login/enroll", everyone(LOGIN)),
    ("POST", "/account/logout"): Row("/account/logout", everyone(302), phase=SIGN_OUT),
    ("GET", "/account/password"): Row("/account/password", any_account_page(200)),
    ("POST", "/account/password"): Row("/account/password", any_account_page(200)),
    ("GET", "/account/register"): Row("/account/register", everyone(200)),
    ("POST", "/account/register"): Row("/account/register", everyone(200)),
    ("GET", "/account/reset"): Row("/account/reset", everyone(200)),
    ("POST", "/account/reset"): Row("/account/reset", everyone(200)),
    ("GET", "/account/reset/<token>"): Row("/account/reset/not-a-token", everyone(400)),
    ("POST", "/account/reset/<token>"): Row("/account/reset/not-a-token", everyone(400)),
    ("POST", "/account/tokens"): Row("/account/tokens", any_account_page(200)),
    ("GET", "/account/two-factor"): Row("/account/two-factor", any_account_page(200)),
    ("POST", "/account/two-factor"): Row("/account/two-factor", any_account_page(200)),
    ("POST", "/account/two-factor/disable"): Row(
        "/account/two-factor/disable", any_account_page(422)
    ),
    # the QR code of a secret being set up: GET /account/two-factor (requested before)
    # started one for everyone but the admin, whose two-factor sign-in is on
    ("GET", "/account/two-factor/qr.png"): Row(
        "/account/two-factor/qr.png", (404, 200, 200, 200, 200, 200, 200, 200, 404)
    ),
    ("POST", "/api/v1/auth/register"): Row("/api/v1/auth/register", everyone(422)),
    ("POST", "/api/v1/auth/token"): Row("/api/v1/auth/token", everyone(422)),
    ("GET", "/api/v1/me"): Row("/api/v1/me", any_account_api(200)),
    ("GET", "/api/v1/me/balance"): Row("/api/v1/me/balance", any_account_api(200)),
    ("GET", "/api/v1/openapi.json"): Row("/api/v1/openapi.json", everyone(200)),
    ("GET", "/api/v1/people/<int:account_id>"): Row("/api/v1/people/{consumer}", everyone(200)),
    # ---- admin pages and API -------------------------------------------------------------
    ("GET", "/admin/"): Row("/admin/", admin_page(302)),
    ("GET", "/admin/accounts"): Row("/admin/accounts", admin_page(200)),
    ("POST", "/admin/accounts/<int:account_id>/<any(disable, enable):decision>"): Row(
        "/admin/accounts/{sam}/enable", admin_page(302)
    ),
    ("GET", "/admin/companies"): Row("/admin/companies", admin_page(200)),
    ("POST", "/admin/companies/<int:company_id>/reject"): Row(
        "/admin/companies/{company_to_reject}/reject", admin_page(302)
    ),
    ("POST", "/admin/companies/<int:company_id>/verify"): Row(
        "/admin/companies/{company_to_verify}/verify", admin_page(302)
    ),
    ("GET", "/admin/disputes"): Row("/admin/disputes", admin_page(200)),
    ("GET", "/admin/disputes/<int:dispute_id>"): Row("/admin/disputes/{dispute}", admin_page(200)),
    ("POST", "/admin/disputes/<int:dispute_id>"): Row("/admin/disputes/{dispute}", admin_page(200)),
    ("GET", "/admin/ledger"): Row("/admin/ledger", admin_page(200)),
    ("GET", "/admin/managers"): Row("/admin/managers", admin_page(200)),
    ("POST", "/admin/managers/<int:account_id>/<any(approve, reject):decision>"): Row(
        "/admin/managers/{applicant}/approve", admin_page(302)
    ),
    ("GET", "/admin/payouts"): Row("/admin/payouts", admin_page(200)),
    ("POST", "/admin/payouts/<int:payout_id>/<any(approve, reject):decision>"): Row(
        "/admin/payouts/{payout_on_page}/approve", admin_page(302)
    ),
    ("GET", "/api/v1/admin/companies"): Row("/api/v1/admin/companies", admin_api(200)),
    ("POST", "/api/v1/admin/companies/<int:company_id>/verify"): Row(
        "/api/v1/admin/companies/{company_to_verify}/verify", admin_api(200)
    ),
    ("GET", "/api/v1/admin/disputes"): Row("/api/v1/admin/disputes", admin_api(200)),
    ("POST", "/api/v1/admin/disputes/<int:dispute_id>/resolve"): Row(
        "/api/v1/admin/disputes/{dispute}/resolve", admin_api(422)
    ),
    ("GET", "/api/v1/admin/ledger/trial-balance"): Row(
        "/api/v1/admin/ledger/trial-balance", admin_api(200)
    ),
    ("GET", "/api/v1/admin/managers"): Row("/api/v1/admin/managers", admin_api(200)),
    ("POST", "/api/v1/admin/managers/<int:account_id>/approve"): Row(
        "/api/v1/admin/managers/{applicant}/approve", admin_api(200)
    ),
    ("POST", "/api/v1/admin/managers/<int:account_id>/reject"): Row(
        "/api/v1/admin/managers/{applicant_to_reject}/reject", admin_api(200)
    ),
    ("POST", "/api/v1/admin/managers/<int:account_id>/upline"): Row(
        "/api/v1/admin/managers/{applicant}/upline", admin_api(200)
    ),
    ("GET", "/api/v1/admin/payouts"): Row("/api/v1/admin/payouts", admin_api(200)),
    ("POST", "/api/v1/admin/payouts/<int:payout_id>/approve"): Row(
        "/api/v1/admin/payouts/{payout_to_approve}/approve", admin_api(200)
    ),
    ("POST", "/api/v1/admin/payouts/<int:payout_id>/reject"): Row(
        "/api/v1/admin/payouts/{payout_to_reject}/reject", admin_api(200)
    ),
    # ---- business listings and imports ---------------------------------------------------
    ("GET", "/api/v1/listings"): Row("/api/v1/listings", everyone(200)),
    ("POST", "/api/v1/listings"): Row(
        "/api/v1/listings", api(403, 403, 201, 201, 403, 403, 403, 403), body=NEW_LISTING
    ),
    ("GET", "/api/v1/listings/<int:listing_id>"): Row("/api/v1/listings/{listing}", everyone(200)),
    ("PATCH", "/api/v1/listings/<int:listing_id>"): Row(
        "/api/v1/listings/{listing}", api(403, 403, 200, 404, 403, 403, 403, 403), body={}
    ),
    ("POST", "/api/v1/listings/import"): Row(
        "/api/v1/listings/import",
        api(403, 403, 202, 202, 403, 403, 403, 403),
        body=catalog_csv,
        multipart=True,
    ),
    ("GET", "/api/v1/jobs/<int:job_id>"): Row(
        "/api/v1/jobs/{job}", api(404, 404, 200, 404, 404, 404, 404, 404)
    ),
    ("GET", "/seller/"): Row("/seller/", seller_page(200)),
    ("GET", "/seller/import"): Row("/seller/import", seller_page(200)),
    ("POST", "/seller/import"): Row("/seller/import", seller_page(200)),
    ("GET", "/seller/invoices"): Row("/seller/invoices", seller_page(200)),
    ("GET", "/seller/jobs/<int:job_id>"): Row("/seller/jobs/{job}", seller_page(200, 404)),
    ("GET", "/seller/jobs/<int:job_id>.json"): Row(
        "/seller/jobs/{job}.json", seller_page(200, 404)
    ),
    ("GET", "/seller/listings/new"): Row("/seller/listings/new", seller_page(200)),
    ("POST", "/seller/listings/new"): Row("/seller/listings/new", seller_page(200)),
    ("GET", "/seller/listings/<int:listing_id>/edit"): Row(
        "/seller/listings/{listing}/edit", seller_page(200, 404)
    ),
    ("POST", "/seller/listings/<int:listing_id>/edit"): Row(
        "/seller/listings/{listing}/edit", seller_page(200, 404)
    ),
    ("POST", "/seller/listings/<int:listing_id>/photos"): Row(
        "/seller/listings/{listing}/photos", seller_page(302, 404)
    ),
    ("POST", "/seller/listings/<int:listing_id>/photos/<int:photo_id>/delete"): Row(
        "/seller/listings/{listing}/photos/{photo}/delete", seller_page(302, 404), phase=LATE
    ),
    ("POST", "/seller/listings/<int:listing_id>/<any(archive, restore):action>"): Row(
        "/seller/listings/{listing}/archive", seller_page(302, 404), phase=LATE
    ),
    ("GET", "/seller/orders"): Row("/seller/orders", seller_page(200)),
    ("GET", "/seller/orders/<int:order_id>"): Row("/seller/orders/{order}", seller_page(200, 404)),
    # sent empty: the seller gets the order page again with the missing fields marked
    ("POST", "/seller/orders/<int:order_id>/ship"): Row(
        "/seller/orders/{order}/ship", seller_page(200, 404)
    ),
    ("POST", "/seller/orders/<int:order_id>/<any(deliver, returned, refund, cancel):action>"): Row(
        "/seller/orders/{order}/deliver", seller_page(302, 404)
    ),
    ("GET", "/seller/payouts"): Row("/seller/payouts", seller_page(200)),
    # the seller's request goes through; the other seller has no balance and is told why
    ("POST", "/seller/payouts"): Row(
        "/seller/payouts", seller_page(302, 200), body={"amount": "20.00"}
    ),
    ("GET", "/seller/quotes"): Row("/seller/quotes", seller_page(200)),
    ("POST", "/seller/quotes/<int:quote_id>/answer"): Row(
        "/seller/quotes/{quote_to_answer}/answer",
        seller_page(302, 404),
        body={"unit_price": "50.00", "valid_days": "7"},
    ),
    ("POST", "/seller/quotes/<int:quote_id>/decline"): Row(
        "/seller/quotes/{quote_to_decline}/decline",
        seller_page(302, 404),
    ),
    ("GET", "/seller/sales"): Row("/seller/sales", seller_page(200)),
    ("GET", "/seller/settings"): Row("/seller/settings", seller_page(200)),
    ("POST", "/seller/settings"): Row("/seller/settings", seller_page(302)),
    # ---- cart, checkout, orders (B2C and B2M) --------------------------------------------
    ("GET", "/cart"): Row("/cart", everyone(200)),
    ("POST", "/cart/add"): Row(
        "/cart/add", everyone(302), body=lambda w: {"variant_id": w["variant"], "quantity": "1"}
    ),
    ("POST", "/cart/<int:item_id>"): Row(
        "/cart/{cart_item}", (404, 302, 404, 404, 404, 404, 404, 404, 404), body={"quantity": "2"}
    ),
    # only the consumer has something in the cart; an empty cart sends you back to it
    ("GET", "/checkout"): Row("/checkout", page(200, 302, 302, 302, 302, 302, 302, 302)),
    ("POST", "/checkout"): Row("/checkout", any_account_page(200)),
    ("GET", "/checkout/<int:checkout_id>"): Row(
        "/checkout/{checkout}", page(200, 404, 404, 404, 404, 404, 404, 404)
    ),
    ("GET", "/orders"): Row("/orders", any_account_page(200)),
    # the order: bought by the consumer from the seller through the manager's shop, paid.
    # Pages flash a refusal on an order you may see (seller, manager, admin acting as the
    # buyer) and redirect back to it; an order you may not see is 404.
    ("GET", "/orders/<int:order_id>"): Row(
        "/orders/{order}", page(200, 404, 200, 404, 404, 200, 404, 200)
    ),
    ("POST", "/orders/<int:order_id>/cancel"): Row(
        "/orders/{order}/cancel", page(302, 404, 302, 404, 404, 302, 404, 302), phase=LATE
    ),
    ("POST", "/orders/<int:order_id>/confirm"): Row(
        "/orders/{order}/confirm", page(302, 404, 302, 404, 404, 302, 404, 302)
    ),
    ("POST", "/orders/<int:order_id>/return"): Row(
        "/orders/{order}/return",
        page(302, 404, 302, 404, 404, 302, 404, 302),
        body={"reason": "Too small"},
    ),
    ("POST", "/orders/<int:order_id>/review"): Row(
        "/orders/{order}/review",
        page(302, 404, 302, 404, 404, 302, 404, 302),
        body={"stars": "5"},
    ),
    ("GET", "/api/v1/cart"): Row("/api/v1/cart", any_account_api(200)),
    ("POST", "/api/v1/cart/items"): Row(
        "/api/v1/cart/items",
        # the seller cannot buy its own listing
        api(201, 201, 409, 201, 201, 201, 201, 201),
        body=lambda w: {"variant_id": w["variant"]},
    ),
    ("PATCH", "/api/v1/cart/items/<int:item_id>"): Row(
        "/api/v1/cart/items/{cart_item}",
        api(200, 404, 404, 404, 404, 404, 404, 404),
        body={"quantity": 2},
    ),
    ("DELETE", "/api/v1/cart/items/<int:item_id>"): Row(
        "/api/v1/cart/items/{cart_item}", api(200, 404, 404, 404, 404, 404, 404, 404), phase=LATE
    ),
    ("POST", "/api/v1/checkout"): Row("/api/v1/checkout", any_account_api(422)),
    ("GET", "/api/v1/orders"): Row("/api/v1/orders", any_account_api(200)),
    # the API: 404 for an order you may not see, 403 when you see it but may not do that,
    # 409 when the order is not in a state that allows it (paid, not shipped)
    ("GET", "/api/v1/orders/<int:order_id>"): Row(
        "/api/v1/orders/{order}", api(200, 404, 200, 404, 404, 200, 404, 200)
    ),
    ("POST", "/api/v1/orders/<int:order_id>/cancel"): Row(
        "/api/v1/orders/{order}/cancel",
        api(200, 404, 200, 404, 404, 403, 404, 403),
        body={},
        phase=LATE,
    ),
    ("POST", "/api/v1/orders/<int:order_id>/confirm"): Row(
        "/api/v1/orders/{order}/confirm", api(409, 404, 403, 404, 404, 403, 404, 403)
    ),
    ("POST", "/api/v1/orders/<int:order_id>/deliver"): Row(
        "/api/v1/orders/{order}/deliver", api(403, 404, 409, 404, 404, 403, 404, 403)
    ),
    ("POST", "/api/v1/orders/<int:order_id>/refund"): Row(
        "/api/v1/orders/{order}/refund", api(403, 404, 409, 404, 404, 403, 404, 403)
    ),
    ("POST", "/api/v1/orders/<int:order_id>/return"): Row(
        "/api/v1/orders/{order}/return",
        api(409, 404, 403, 404, 404, 403, 404, 403),
        body={"reason": "Too small"},
    ),
    ("POST", "/api/v1/orders/<int:order_id>/review"): Row(
        "/api/v1/orders/{order}/review",
        api(409, 404, 403, 404, 404, 403, 404, 403),
        body={"stars": 5},
    ),
    ("POST", "/api/v1/orders/<int:order_id>/ship"): Row(
        "/api/v1/orders/{order}/ship", api(403, 404, 422, 404, 404, 403, 404, 403), body={}
    ),
    ("POST", "/api/v1/payments/webhook"): Row("/api/v1/payments/webhook", everyone(400)),
    # ---- wholesale (B2B) -------------------------------------------------------------------
    ("GET", "/wholesale/"): Row("/wholesale/", wholesale_page(200)),
    ("GET", "/wholesale/cart"): Row("/wholesale/cart", wholesale_page(200)),
    ("POST", "/wholesale/cart"): Row("/wholesale/cart", wholesale_page(200)),
    ("POST", "/wholesale/cart/<int:listing_id>/remove"): Row(
        "/wholesale/cart/{listing}/remove", wholesale_page(302)
    ),
    ("GET", "/wholesale/invoices"): Row("/wholesale/invoices", wholesale_page(200)),
    # an invoice is the buying and the selling company's, and the admin's
    ("GET", "/wholesale/invoices/<int:order_id>"): Row(
        "/wholesale/invoices/{b2b_order}", (404, 404, 404, 200, 404, 200, 404, 404, 200)
    ),
    ("POST", "/wholesale/invoices/<int:order_id>"): Row(
        "/wholesale/invoices/{b2b_order}", (404, 404, 404, 200, 404, 200, 404, 404, 200)
    ),
    ("GET", "/wholesale/listings/<int:listing_id>"): Row(
        "/wholesale/listings/{listing}", wholesale_page(200)
    ),
    ("POST", "/wholesale/listings/<int:listing_id>/cart"): Row(
        "/wholesale/listings/{listing}/cart", wholesale_page(302)
    ),
    ("POST", "/wholesale/listings/<int:listing_id>/quote"): Row(
        "/wholesale/listings/{listing}/quote", wholesale_page(302), body={"quantity": "12"}
    ),
    ("GET", "/wholesale/orders"): Row("/wholesale/orders", wholesale_page(200)),
    ("GET", "/wholesale/orders/import"): Row("/wholesale/orders/import", wholesale_page(200)),
    ("POST", "/wholesale/orders/import"): Row("/wholesale/orders/import", wholesale_page(200)),
    ("POST", "/wholesale/orders/<int:order_id>/reorder"): Row(
        "/wholesale/orders/{b2b_order}/reorder", wholesale_page(302, 404)
    ),
    ("GET", "/wholesale/quotes"): Row("/wholesale/quotes", wholesale_page(200)),
    ("GET", "/wholesale/quotes/<int:quote_id>"): Row(
        "/wholesale/quotes/{quote}", wholesale_page(200, 404)
    ),
    ("POST", "/wholesale/quotes/<int:quote_id>"): Row(
        "/wholesale/quotes/{quote}", wholesale_page(200, 404)
    ),
    ("GET", "/api/v1/b2b/catalog"): Row(
        "/api/v1/b2b/catalog", api(403, 403, 403, 200, 200, 403, 403, 403)
    ),
    ("GET", "/api/v1/b2b/invoices"): Row(
        "/api/v1/b2b/invoices", api(403, 403, 200, 200, 200, 403, 403, 403)
    ),
    ("POST", "/api/v1/b2b/invoices/<int:order_id>/pay"): Row(
        "/api/v1/b2b/invoices/{b2b_order}/pay",
        api(404, 404, 403, 404, 200, 404, 404, 403),
        body={"payment": {"card_number": CARD_OK}},
    ),
    ("POST", "/api/v1/b2b/orders"): Row(
        "/api/v1/b2b/orders",
        api(403, 403, 403, 201, 201, 403, 403, 403),
        body=lambda w: {
            "lines": [{"variant_id": w["variant_40"], "quantity": 12}],
            "payment_terms": "net30",
        },
    ),
    ("POST", "/api/v1/b2b/orders/import"): Row(
        "/api/v1/b2b/orders/import",
        api(403, 403, 403, 201, 201, 403, 403, 403),
        body=wholesale_csv,
        multipart=True,
    ),
    ("POST", "/api/v1/b2b/orders/<int:order_id>/reorder"): Row(
        "/api/v1/b2b/orders/{b2b_order}/reorder",
        api(404, 404, 404, 404, 201, 404, 404, 404),
        body={},
    ),
    ("GET", "/api/v1/b2b/quotes"): Row(
        "/api/v1/b2b/quotes", api(403, 403, 200, 200, 200, 403, 403, 403)
    ),
    ("POST", "/api/v1/b2b/quotes"): Row(
        "/api/v1/b2b/quotes",
        api(403, 403, 403, 201, 201, 403, 403, 403),
        body=lambda w: {"listing_id": w["listing"], "quantity": 12},
    ),
    ("GET", "/api/v1/b2b/quotes/<int:quote_id>"): Row(
        "/api/v1/b2b/quotes/{quote}", api(404, 404, 200, 404, 200, 404, 404, 404)
    ),
    ("POST", "/api/v1/b2b/quotes/<int:quote_id>/accept"): Row(
        "/api/v1/b2b/quotes/{quote}/accept",
        api(404, 404, 403, 404, 201, 404, 404, 404),
        body={"sizes": {"40": 12}, "payment_terms": "net30"},
    ),
    ("POST", "/api/v1/b2b/quotes/<int:quote_id>/decline"): Row(
        "/api/v1/b2b/quotes/{quote_to_decline}/decline",
        api(404, 404, 200, 404, 403, 404, 404, 404),
    ),
    ("POST", "/api/v1/b2b/quotes/<int:quote_id>/respond"): Row(
        "/api/v1/b2b/quotes/{quote_to_answer}/respond",
        api(404, 404, 200, 404, 403, 404, 404, 404),
        body={"unit_price_cents": 5000, "valid_days": 7},
    ),
    # ---- used pairs (C2C) ----------------------------------------------------------------
    ("GET", "/sell"): Row("/sell", person_page(200)),
    ("POST", "/sell"): Row("/sell", person_page(200)),
    ("GET", "/sell/mine"): Row("/sell/mine", person_page(200)),
    ("GET", "/sell/orders"): Row("/sell/orders", person_page(200)),
    ("GET", "/sell/<int:listing_id>/edit"): Row("/sell/{pair}/edit", person_page(200, 404)),
    ("POST", "/sell/<int:listing_id>/edit"): Row("/sell/{pair}/edit", person_page(200, 404)),
    ("POST", "/sell/<int:listing_id>/relist"): Row("/sell/{pair}/relist", person_page(302, 404)),
    ("POST", "/sell/<int:listing_id>/withdraw"): Row(
        "/sell/{pair}/withdraw", person_page(302, 404), phase=LATE
    ),
    # used pairs are bought by people (API.md: buy and offers are for persons)
    ("GET", "/used/<int:listing_id>/buy"): Row(
        "/used/{pair}/buy", page(200, 200, 403, 403, 403, 200, 200, 200)
    ),
    ("POST", "/used/<int:listing_id>/buy"): Row(
        "/used/{pair}/buy", page(200, 200, 403, 403, 403, 200, 200, 200)
    ),
    # only the seller picks a buyer's conversation; any person may write about a pair on sale
    # (business accounts cannot buy one)
    ("GET", "/used/<int:listing_id>/messages"): Row(
        "/used/{pair}/messages?buyer={sam}", page(200, 404, 403, 403, 403, 404, 404, 404)
    ),
    ("POST", "/used/<int:listing_id>/messages"): Row(
        "/used/{pair}/messages",
        page(302, 302, 403, 403, 403, 302, 302, 302),
        body=lambda w: {"body": "Still available?", "buyer_id": w["sam"]},
    ),
    ("POST", "/used/<int:listing_id>/offer"): Row(
        "/used/{pair}/offer", any_account_page(302), body={"amount": "70.00"}
    ),
    ("GET", "/offers"): Row("/offers", any_account_page(200)),
    ("POST", "/offers/<int:offer_id>/<any(accept, decline, counter):action>"): Row(
        "/offers/{offer_to_decline}/decline", page(302, 404, 404, 404, 404, 404, 404, 404)
    ),
    # the sale: the consumer's pair bought by Sam; the purchase: Sam's pair, delivered
    ("POST", "/used-orders/<int:order_id>/ship"): Row(
        "/used-orders/{sale}/ship", page(302, 404, 404, 404, 404, 404, 404, 302), body=SHIP
    ),
    ("POST", "/used-orders/<int:order_id>/deliver"): Row(
        "/used-orders/{sale}/deliver", page(302, 404, 404, 404, 404, 404, 404, 302)
    ),
    ("POST", "/orders/<int:order_id>/dispute"): Row(
        "/orders/{purchase}/dispute",
        page(302, 404, 404, 404, 404, 404, 404, 302),
        body={"reason": "Not as described"},
    ),
    ("POST", "/orders/<int:order_id>/rate"): Row(
        "/orders/{purchase}/rate", page(302, 404, 404, 404, 404, 404, 404, 302), body={"stars": "5"}
    ),
    ("POST", "/api/v1/c2c/listings"): Row(
        "/api/v1/c2c/listings",
        api(201, 201, 403, 403, 403, 201, 201, 201),
        body=used_pair_upload,
        multipart=True,
    ),
    ("GET", "/api/v1/c2c/listings/mine"): Row("/api/v1/c2c/listings/mine", any_account_api(200)),
    ("PATCH", "/api/v1/c2c/listings/<int:listing_id>"): Row(
        "/api/v1/c2c/listings/{pair}", api(200, 404, 404, 404, 404, 404, 404, 404), body={}
    ),
    ("POST", "/api/v1/c2c/listings/<int:listing_id>/buy"): Row(
        "/api/v1/c2c/listings/{pair}/buy",
        api(403, 201, 403, 403, 403, 201, 201, 201),
        body=BUY,
        phase=LATE,
    ),
    ("GET", "/api/v1/c2c/listings/<int:listing_id>/messages"): Row(
        "/api/v1/c2c/listings/{pair}/messages?buyer_id={sam}",
        api(200, 404, 404, 404, 404, 404, 404, 404),
    ),
    ("POST", "/api/v1/c2c/listings/<int:listing_id>/messages"): Row(
        "/api/v1/c2c/listings/{pair}/messages",
        api(201, 201, 403, 403, 403, 201, 201, 201),
        body=lambda w: {"body": "Still available?", "buyer_id": w["sam"]},
    ),
    ("POST", "/api/v1/c2c/listings/<int:listing_id>/offers"): Row(
        "/api/v1/c2c/listings/{pair}/offers",
        api(403, 201, 403, 403, 403, 201, 201, 201),
        body={"amount_cents": 7000},
    ),
    ("POST", "/api/v1/c2c/listings/<int:listing_id>/relist"): Row(
        "/api/v1/c2c/listings/{pair}/relist", api(409, 404, 404, 404, 404, 404, 404, 404)
    ),
    ("POST", "/api/v1/c2c/listings/<int:listing_id>/withdraw"): Row(
        "/api/v1/c2c/listings/{pair}/withdraw",
        api(200, 404, 404, 404, 404, 404, 404, 404),
        phase=LATE,
    ),
    ("GET", "/api/v1/c2c/offers"): Row("/api/v1/c2c/offers", any_account_api(200)),
    ("POST", "/api/v1/c2c/offers/<int:offer_id>/accept"): Row(
        "/api/v1/c2c/offers/{offer_to_accept}/accept",
        api(200, 404, 404, 404, 404, 404, 404, 404),
    ),
    ("POST", "/api/v1/c2c/offers/<int:offer_id>/counter"): Row(
        "/api/v1/c2c/offers/{offer_to_counter}/counter",
        api(201, 404, 404, 404, 404, 404, 404, 404),
        body={"amount_cents": 8500},
    ),
    ("POST", "/api/v1/c2c/offers/<int:offer_id>/decline"): Row(
        "/api/v1/c2c/offers/{offer_to_decline}/decline",
        api(200, 404, 404, 404, 404, 404, 404, 404),
    ),
    ("POST", "/api/v1/orders/<int:order_id>/dispute"): Row(
        "/api/v1/orders/{purchase}/dispute",
        api(201, 404, 404, 404, 404, 404, 404, 403),
        body={"reason": "Not as described"},
    ),
    # ---- managers (B2M) ------------------------------------------------------------------
    # the dashboard sends everyone else to the application page (its status, or the form)
    ("GET", "/manager"): Row("/manager", page(302, 302, 302, 302, 302, 200, 200, 302)),
    ("GET", "/manager/apply"): Row("/manager/apply", page(200, 200, 200, 200, 200, 302, 302, 200)),
    # people apply (and are sent to the status page); businesses are refused on the form
    ("POST", "/manager/apply"): Row(
        "/manager/apply",
        page(302, 302, 200, 200, 200, 302, 302, 302),
        body={"shop_name": "Fresh Picks"},
    ),
    ("GET", "/manager/catalog"): Row("/manager/catalog", manager_page(200)),
    ("POST", "/manager/catalog"): Row("/manager/catalog", manager_page(200)),
    ("GET", "/manager/commissions.csv"): Row("/manager/commissions.csv", manager_page(200)),
    # payouts: people, managers and sellers have a balance; a buying company has none
    ("GET", "/manager/payouts"): Row(
        "/manager/payouts", page(200, 200, 200, 200, 404, 200, 200, 200)
    ),
    # only the seller has an available balance: its request goes through, others see why not
    ("POST", "/manager/payouts"): Row(
        "/manager/payouts", page(200, 200, 302, 200, 404, 200, 200, 200), body={"amount": "20.00"}
    ),
    ("GET", "/manager/shop"): Row("/manager/shop", manager_page(200)),
    ("POST", "/manager/shop"): Row("/manager/shop", manager_page(200)),
    ("POST", "/manager/shop/<int:item_id>/remove"): Row(
        "/manager/shop/{item_on_page}/remove", (404, 404, 404, 404, 404, 404, 302, 404, 404)
    ),
    # after the page's application: people have applied already (409), businesses never may
    ("POST", "/api/v1/b2m/apply"): Row(
        "/api/v1/b2m/apply",
        api(409, 409, 403, 403, 403, 409, 409, 409),
        body={"shop_name": "Fresh Picks"},
        phase=LATE,
    ),
    ("GET", "/api/v1/b2m/catalog"): Row("/api/v1/b2m/catalog", manager_api(200)),
    ("GET", "/api/v1/b2m/commissions"): Row("/api/v1/b2m/commissions", manager_api(200)),
    ("GET", "/api/v1/b2m/network"): Row("/api/v1/b2m/network", manager_api(200)),
    ("GET", "/api/v1/b2m/payouts"): Row("/api/v1/b2m/payouts", any_account_api(200)),
    # only the seller has an available balance left to withdraw
    ("POST", "/api/v1/b2m/payouts"): Row(
        "/api/v1/b2m/payouts",
        api(409, 409, 201, 409, 409, 409, 409, 409),
        body={"amount_cents": 2000},
    ),
    ("GET", "/api/v1/b2m/shop/items"): Row("/api/v1/b2m/shop/items", manager_api(200)),
    ("POST", "/api/v1/b2m/shop/items"): Row(
        "/api/v1/b2m/shop/items",
        manager_api(409, 201),
        body=lambda w: {"listing_id": w["listing"], "retail_price_cents": 12000},
    ),
    ("PATCH", "/api/v1/b2m/shop/items/<int:item_id>"): Row(
        "/api/v1/b2m/shop/items/{item}", manager_api(200, 404), body={"retail_price_cents": 12500}
    ),
    ("DELETE", "/api/v1/b2m/shop/items/<int:item_id>"): Row(
        "/api/v1/b2m/shop/items/{item}", manager_api(200, 404), phase=LATE
    ),
    ("GET", "/api/v1/b2m/shops/<slug>"): Row("/api/v1/b2m/shops/{slug}", everyone(200)),
}


# ---- the world every role acts in --------------------------------------------------------


def _pair(account: Account, jpeg: bytes, title: str) -> Listing:
    facts = {**PAIR_FACTS, "title": title, "price_cents": 10000}
    return c2c.create_pair(account, facts, [jpeg])


def build_world(app) -> tuple[dict, dict[str, str]]:
    """The objects of the URLs by name, and the email of each signed-in role."""
    people = {
        "consumer": make_person(app, name="Cora Consumer"),
        "other_consumer": make_person(app, name="Otto Other"),
        "seller": make_company_member(app, "Acme Footwear"),
        # the other company sells and buys wholesale: the foreign party of B2B objects too
        "other_seller": make_company_member(
            app, "Rival Shoes", buys_wholesale=True, credit_limit_cents=1_000_000
        ),
        "wholesale": make_buyer(app, "Urban Boutique"),
        "manager": make_person(app, name="Maya Manager"),
        "other_manager": make_person(app, name="Omar Manager"),
        "admin": make_admin(app),
    }
    # people the roles trade with, and applications waiting for the admin
    sam, bea, gil, kim = (
        make_person(app, name=name)
        for name in ("Sam Seller", "Bea Bidder", "Gil Bidder", "Kim Buyer")
    )
    applicant = make_person(app, name="Pat Applicant")
    applicant_to_reject = make_person(app, name="Rex Applicant")
    company_to_verify = make_company_member(app, "Pending Kicks", verified=False)
    company_to_reject = make_company_member(app, "Dubious Kicks", verified=False)
    seller_company = people["seller"].company_id
    listing = make_wholesale_listing(
        app, seller_company, prepacks={}, b2m=b2m_terms(5000, 8000, 15000)
    )
    second = make_listing(app, seller_company, title="Court Low", b2m=b2m_terms(5000, 8000, 15000))
    jpeg = image_bytes()
    world = {
        "listing": listing.id,
        "variant": listing.variants["42"],
        "variant_40": listing.variants["40"],
        "sku_40": listing.skus["40"],
        "consumer": people["consumer"].id,
        "sam": sam.id,
        "applicant": applicant.id,
        "applicant_to_reject": applicant_to_reject.id,
        "company_to_verify": company_to_verify.company_id,
        "company_to_reject": company_to_reject.company_id,
        "jpeg": jpeg,
    }
    with app.app_context():
        account = {key: db.session.get(Account, who.id) for key, who in people.items()}
        consumer, seller, buyer = account["consumer"], account["seller"], account["wholesale"]
        sam, bea, gil, kim = (db.session.get(Account, who.id) for who in (sam, bea, gil, kim))
        company = db.session.get(Company, seller_company)
        photo = listings.add_photos(db.session.get(Listing, listing.id), [jpeg])[0]
        world.update(photo=photo.id, photo_file=photo.filename)
        world["job"] = imports.start_import(
            seller,
            company,
            "sku,title,brand,model,colorway,category,gender,size_eu,stock,price_cents\n"
            "AUTHZ-JOB-1,Runner,Acme,Runner 2,Red,running,men,42,5,9900\n",
        ).id

        for key in ("manager", "other_manager"):
            managers.apply(account[key], f"{account[key].name}'s Picks")
            managers.approve(account[key].id)
        managers.apply(db.session.get(Account, applicant.id), "Pat's Picks")
        managers.apply(db.session.get(Account, applicant_to_reject.id), "Rex's Picks")
        shop = account["manager"].manager
        world.update(slug=shop.shop_slug, code=shop.referral_code)
        world["item"] = shops.add_item(shop, listing.id, 12000).id
        world["item_on_page"] = shops.add_item(shop, second.id, 12000).id

        # the consumer's order, through the manager's shop: buyer, seller and manager
        cart.add(consumer, listing.variants["42"], 1, shop_slug=shop.shop_slug)
        placed = checkout.place_order(consumer, shipping_address=ADDRESS, card_number=CARD_OK)
        world.update(checkout=placed.id, order=placed.orders[0].id)
        cart.add(consumer, listing.variants["43"], 1)
        world["cart_item"] = cart.view(consumer).lines[0].id

        # wholesale: an invoice (net 30), a quote answered, two waiting for the seller
        b2b = wholesale.place_order(
            buyer, [{"variant_id": listing.variants["41"], "quantity": 12}], payment_terms="net30"
        )
        world["b2b_order"] = b2b[0].id
        quoted = quotes.request_quote(buyer, listing.id, 12)
        quotes.respond(quoted.id, seller, 5000, 14)
        world["quote"] = quoted.id
        world["quote_to_answer"] = quotes.request_quote(buyer, listing.id, 24).id
        world["quote_to_decline"] = quotes.request_quote(buyer, listing.id, 36).id

        # a seller balance from an old sale, and payouts waiting for the admin
        past = clock.now() - timedelta(days=20)
        with clock.frozen_at(past):
            cart.add(kim, listing.variants["43"], 2)
            sold = checkout.place_order(kim, shipping_address=ADDRESS, card_number=CARD_OK)
            orders.ship(sold.orders[0].id, seller, "UPS", "1Z1")
            orders.deliver(sold.orders[0].id, seller)
        with clock.frozen_at(past + timedelta(days=10)):
            orders.complete_due()
        for name in ("payout_to_approve", "payout_to_reject", "payout_on_page"):
            world[name] = payouts.request(seller, 2000).id

        # used pairs: the consumer's on sale with offers and a conversation, the consumer's
        # sold to Sam, Sam's bought by the consumer (delivered), and one disputed
        pair = _pair(consumer, jpeg, "Consumer's pair on sale")
        world["pair"] = pair.id
        world["offer_to_accept"] = offers.make_offer(
            _pair(consumer, jpeg, "Consumer's pair with an offer").id, sam, 6000
        ).id
        world["offer_to_counter"] = offers.make_offer(pair.id, bea, 6000).id
        world["offer_to_decline"] = offers.make_offer(pair.id, gil, 6000).id
        c2c.send_message(pair.id, sam, "Is the box included?")

        sold_pair = _pair(consumer, jpeg, "Consumer's pair, sold")
        world["sale"] = escrow.buy(
            sold_pair.id, sam, shipping_address=ADDRESS, card_number=CARD_OK
        ).id
        bought = _pair(sam, jpeg, "Sam's pair, bought")
        purchase = escrow.buy(bought.id, consumer, shipping_address=ADDRESS, card_number=CARD_OK)
        orders.ship(purchase.id, sam, "UPS", "1Z2")
        orders.deliver(purchase.id, sam)
        world["purchase"] = purchase.id
        disputed_pair = _pair(sam, jpeg, "Sam's pair, disputed")
        disputed = escrow.buy(
            disputed_pair.id, consumer, shipping_address=ADDRESS, card_number=CARD_OK
        )
        orders.ship(disputed.id, sam, "UPS", "1Z3")
        world["dispute"] = escrow.open_dispute(disputed.id, consumer, "Wrong size").id

        emails = {key: account[key].email for key in account}
    return world, emails


# ---- requesting the routes ---------------------------------------------------------------

METHOD_ORDER = {"GET": 0, "POST": 1, "PATCH": 2, "PUT": 3, "DELETE": 4}


def app_routes(app) -> set[tuple[str, str]]:
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def schedule() -> list[tuple[str, str]]:
    """Every row in the order a role requests them: by phase, then by rule and method."""

    def key(route):
        method, rule = route
        row = MATRIX[route]
        phase = row.phase if row.phase is not None else (READ if method == "GET" else WRITE)
        return (phase, rule, METHOD_ORDER[method])

    return sorted(MATRIX, key=key)


def outcome(response):
    """The status, with redirects to the sign-in page told apart from other redirects."""
    location = urlsplit(response.headers.get("Location", "")).path
    if response.status_code == 302 and location.startswith("/account/login"):
        return LOGIN
    return response.status_code


def request(client, method: str, row: Row, world: dict, token: dict):
    path = row.path.format(**world)
    body = row.body(world) if callable(row.body) else row.body
    if path.startswith("/api/"):
        kwargs = {"headers": token}
        if row.multipart:
            kwargs.update(data=body, content_type="multipart/form-data")
        elif method != "GET":
            kwargs["json"] = {} if body is None else body
    else:
        kwargs = {"data": body or {}} if method != "GET" else {}
    return client.open(path, method=method, **kwargs)


# ---- the tests ---------------------------------------------------------------------------


def test_the_matrix_names_every_route_and_only_those(app):
    registered = app_routes(app)
    missing = sorted(registered - MATRIX.keys())
    gone = sorted(MATRIX.keys() - registered)
    assert not missing, f"routes nobody decided who may use; add rows to MATRIX: {missing}"
    assert not gone, f"rows for routes the app no longer has; remove them: {gone}"
    for route, row in MATRIX.items():
        assert len(row.expect) == len(ROLES), route


@pytest.mark.parametrize("role", ROLES)
def test_each_route_answers_the_role_as_the_matrix_says(app, role):
    world, emails = build_world(app)
    client = app.test_client()
    token = {}
    if role != "anonymous":
        login(client, emails[role])
        token = token_for(client, emails[role])
    column = ROLES.index(role)
    wrong = []
    for method, rule in schedule():
        row = MATRIX[(method, rule)]
        response = request(client, method, row, world, token)
        got, expected = outcome(response), row.expect[column]
        if got != expected:
            wrong.append(f"{method} {row.path}: expected {expected}, got {got}")
    assert not wrong, f"{len(wrong)} answers to the {role} differ:\n" + "\n".join(wrong)
