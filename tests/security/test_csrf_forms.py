"""CSRF on every page form: a walker GETs every page as every role, finds each
<form method="post">, and proves that posting it without its CSRF token is refused (400,
"Form expired", nothing written) while posting it with the page's token gets past the check."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from itertools import product
from typing import NamedTuple
from urllib.parse import urljoin, urlsplit

from flask import current_app
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from marketplace import clock
from marketplace.extensions import db
from marketplace.services import (
    accounts,
    c2c,
    cart,
    checkout,
    demo,
    escrow,
    imports,
    listings,
    managers,
    offers,
    orders,
    payouts,
    twofactor,
    wholesale,
)
from models import (
    Account,
    Checkout,
    Dispute,
    Job,
    Listing,
    Manager,
    Offer,
    Order,
    Quote,
    ShopItem,
)
from tests.helpers import image_bytes, totp_code

ROLES = {
    "anonymous": None,
    "consumer": demo.LOGINS["shopper"],
    "seller": demo.LOGINS["seller"],
    "wholesale buyer": demo.LOGINS["wholesale buyer"],
    "C2C seller": demo.LOGINS["C2C seller"],
    "manager": demo.LOGINS["manager"],
    "admin": demo.LOGINS["admin"],
    # A person who turned two-factor sign-in on (and may turn it off).
    "two-factor person": "careful@example.test",
    # Sign-ins stopped after the password, at the second step: a code, an admin's set-up.
    "signing in, code due": "careful@example.test",
    "signing in, set-up due": "new-admin@example.test",
}
STOPS_AT_SECOND_STEP = {"signing in, code due", "signing in, set-up due"}
# Roles that differ from the others only on the account pages walk only those.
ACCOUNT_PAGES_ONLY = {"two-factor person", *STOPS_AT_SECOND_STEP}
# Rules no page lives under: the API answers JSON (and is exempt from CSRF by design), the
# others serve files.
SKIPPED_PREFIXES = ("/api/", "/static/", "/media/")
EXPIRED = "Form expired"
# What the walk finds today: distinct endpoints posted to, and distinct forms (action and
# field names, 197); fewer means discovery broke or a page lost its forms.
MIN_ENDPOINTS = 60
MIN_FORMS = 190

PAIR = {
    "brand": "Aerostride",
    "model": "Glide 3",
    "colorway": "Core Black",
    "category": "running",
    "gender": "men",
    "size_eu": "42",
    "condition": "good",
    "description": "Worn a few times.",
}
CATALOG_CSV = (
    "sku,title,brand,model,colorway,category,gender,size_eu,stock,price_cents\n"
    "CSRF-IMPORT-1,Import Runner,Northpeak,Import 1,Grey,running,men,42,3,9900\n"
)


class Input(NamedTuple):
    name: str
    kind: str  # the input's type, or select, textarea, submit
    value: str
    checked: bool = False


@dataclass
class Form:
    """One <form method="post"> as a page showed it to one role."""

    role: str
    page: str
    action: str
    inputs: list[Input] = field(default_factory=list)

    @property
    def names(self) -> frozenset[str]:
        return frozenset(entry.name for entry in self.inputs)

    @property
    def token(self) -> str | None:
        return next((entry.value for entry in self.inputs if entry.name == "csrf_token"), None)

    def data(self, with_token: bool) -> dict[str, str]:
        """What a browser would send, empty inputs filled with plausible values."""
        sent: dict[str, str] = {}
        for entry in self.inputs:
            if entry.name == "csrf_token" and not with_token:
                continue
            if entry.kind == "checkbox" and not entry.checked:
                continue
            if entry.kind == "radio" and entry.name in sent and not entry.checked:
                continue
            if entry.value or entry.kind == "hidden":
                sent[entry.name] = entry.value
            else:
                sent[entry.name] = plausible(entry.name, entry.kind)
        return sent


def plausible(name: str, kind: str) -> str:
    """A value a person might type into an empty input."""
    lowered = name.lower()
    if kind == "file":
        return ""
    if kind == "email" or "email" in lowered:
        return "nobody@example.test"
    if kind == "password" or "password" in lowered or lowered == "confirm":
        return "not-the-password-42"
    if "code" in lowered:
        return "000000"
    if any(word in lowered for word in ("quantity", "qty", "stars", "days", "moq", "stock")):
        return "1"
    if any(word in lowered for word in ("amount", "price", "cents", "limit")):
        return "50.00"
    if kind == "number":
        return "1"
    return "test"


class FormParser(HTMLParser):
    """The post forms of a page: action and every named input, select, textarea and submit
    button, with the value a browser would submit by default."""

    def __init__(self, role: str, page: str):
        super().__init__(convert_charrefs=True)
        self.role, self.page = role, page
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: list | None = None  # [name, first option's value, selected value]
        self.textarea: list | None = None  # [name, text]

    def handle_starttag(self, tag, attrs):
        attrs = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.form = None
            if attrs.get("method", "get").lower() == "post":
                action = urljoin(self.page, attrs.get("action") or self.page)
                self.form = Form(self.role, self.page, action)
                self.forms.append(self.form)
        elif self.form is None:
            return
        elif tag == "option" and self.select is not None:
            value = attrs.get("value", "")
            if self.select[1] is None:
                self.select[1] = value
            if "selected" in attrs:
                self.select[2] = value
        elif not attrs.get("name"):
            return
        elif tag == "input":
            kind = attrs.get("type", "text").lower()
            if kind not in ("submit", "button", "reset", "image"):
                default = "on" if kind in ("checkbox", "radio") else ""
                value = attrs.get("value", default)
                self.form.inputs.append(Input(attrs["name"], kind, value, "checked" in attrs))
        elif tag == "button" and attrs.get("type", "submit").lower() == "submit":
            self.form.inputs.append(Input(attrs["name"], "submit", attrs.get("value", "")))
        elif tag == "select":
            self.select = [attrs["name"], None, None]
        elif tag == "textarea":
            self.textarea = [attrs["name"], ""]

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif self.form is None:
            return
        elif tag == "select" and self.select is not None:
            name, first, chosen = self.select
            self.form.inputs.append(Input(name, "select", chosen or first or ""))
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            self.form.inputs.append(Input(self.textarea[0], "textarea", self.textarea[1].strip()))
            self.textarea = None


def post_forms(role: str, page: str, html: str) -> list[Form]:
    parser = FormParser(role, page)
    parser.feed(html)
    parser.close()
    return parser.forms


def token_of(html: str) -> str:
    form = next(form for form in post_forms("", "/", html) if form.token)
    return form.token


def sign_in(client, email: str, *, second_step: bool = True) -> None:
    """The sign-in pages with CSRF on, through the two-factor code or an admin's set-up
    (unless told to stop before that second step)."""
    page = client.get("/account/login")
    response = client.post(
        "/account/login",
        data={
            "csrf_token": token_of(page.get_data(as_text=True)),
            "email": email,
            "password": demo.PASSWORD,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    step = urlsplit(response.headers["Location"]).path
    if step in ("/account/login/code", "/account/login/enroll"):
        if not second_step:
            return
        page = client.get(step)
        with client.application.app_context():
            account = accounts.find_by_email(email)
            secret, last_step = twofactor.secret_of(account), account.totp_last_step
        if secret is None:
            with client.session_transaction() as session:
                secret = session["totp_enroll_secret"]
        response = client.post(
            step,
            data={
                "csrf_token": token_of(page.get_data(as_text=True)),
                "code": totp_code(secret, last_step),
            },
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
    landing = urlsplit(response.headers["Location"]).path
    assert landing in ("/", "/admin/"), response.headers["Location"]  # admins: their console


def build_world() -> dict:
    """The demo shop plus the states whose forms it lacks (C2C orders in every state, a
    dispute, retail orders shipped and in return, carts, a pending manager and payout, an
    import job, a disabled account, a password-reset link); returns a few of their ids."""
    demo.seed(listing_count=60)
    shopper = accounts.find_by_email(ROLES["consumer"])
    seller = accounts.find_by_email(ROLES["seller"])
    buyer = accounts.find_by_email(ROLES["wholesale buyer"])
    sam = accounts.find_by_email(ROLES["C2C seller"])
    admin = accounts.find_by_email(ROLES["admin"])
    photo = image_bytes()

    def pair(number: int) -> Listing:
        facts = {**PAIR, "title": f"Used pair {number}", "price_cents": 4000 + number * 100}
        return c2c.create_pair(sam, facts, [photo])

    def used_order(number: int, *steps: str) -> Order:
        order = escrow.buy(
            pair(number).id, shopper, shipping_address=demo.ADDRESS, card_number=demo.CARD
        )
        for step in steps:
            if step == "ship":
                orders.ship(order.id, sam, "UPS", f"1ZC2C{number}")
            elif step == "deliver":
                orders.deliver(order.id, sam)
            elif step == "confirm":
                orders.confirm(order.id, shopper)
            elif step == "dispute":
                escrow.open_dispute(order.id, shopper, "The box held another size.")
        return order

    used_order(1)
    used_order(2, "ship")
    used_order(3, "ship", "deliver")
    used_order(4, "ship", "deliver", "confirm")
    used_order(5, "ship", "dispute")
    c2c.withdraw(pair(6).id, sam)
    on_sale = pair(7)
    offer = offers.make_offer(on_sale.id, shopper, 3000)
    offers.counter(offer.id, sam, 3500)
    c2c.send_message(on_sale.id, shopper, "Do they run large?")

    retail_listing = db.session.scalars(
        select(Listing)
        .where(Listing.company_id == seller.company_id, Listing.b2b_enabled.is_(True))
        .order_by(Listing.id)
    ).first()
    variant = max(retail_listing.variants, key=lambda v: v.stock - v.reserved)

    def retail_order(*steps: str) -> Order:
        cart.add(shopper, variant.id, 1)
        order = checkout.place_order(
            shopper, shipping_address=demo.ADDRESS, card_number=demo.CARD
        ).orders[0]
        for step in steps:
            if step == "ship":
                orders.ship(order.id, seller, "UPS", f"1ZB2C{order.id}")
            elif step == "deliver":
                orders.deliver(order.id, seller)
            elif step == "return":
                orders.request_return(order.id, shopper, "Too small.")
        return order

    retail_order()
    retail_order("ship")
    retail_order("ship", "deliver")
    retail_order("ship", "deliver", "return")
    cart.add(shopper, variant.id, 1)  # a cart for the cart and checkout pages
    packs = {retail_listing.prepacks[0].id: 4} if retail_listing.prepacks else {}
    wholesale.set_cart_listing(buyer, retail_listing.id, {}, packs)
    newest = db.session.scalars(
        select(Listing.id).where(Listing.company_id == seller.company_id).order_by(Listing.id)
    ).all()[-1]
    listings.set_status(newest, seller.company, "archived")
    imports.start_import(seller, seller.company, CATALOG_CSV)

    applicant = accounts.register(
        email="applicant@example.test", password=demo.PASSWORD, name="Ann Applicant"
    )
    managers.apply(applicant, "Ann's Picks")
    for manager in db.session.scalars(select(Manager).order_by(Manager.id)):
        owed = payouts.withdrawable(manager.account)
        if owed >= current_app.config["PAYOUT_MIN_CENTS"]:
            payouts.request(manager.account, owed)
            break
    idle = accounts.register(email="idle@example.test", password=demo.PASSWORD, name="Ida Idle")
    accounts.set_active(idle.id, False, admin)
    careful = accounts.register(
        email=ROLES["two-factor person"], password=demo.PASSWORD, name="Cy Careful"
    )
    careful.totp_sealed = twofactor.seal(twofactor.new_secret())
    accounts.create_admin(ROLES["signing in, set-up due"], demo.PASSWORD, "Nia New-Admin")
    forgetful = accounts.register(
        email="forgetful@example.test", password=demo.PASSWORD, name="Fay Forgetful"
    )
    db.session.commit()
    return {
        "reset_token": accounts.password_reset_token(forgetful),
        "sam_pair": on_sale.id,
        "shopper": shopper.id,
    }


def representatives(model, key) -> list[int]:
    """The id of the first row of each kind (by `key`): walking every order or listing of a
    kind would find the same forms again."""
    chosen: dict = {}
    for row in db.session.scalars(select(model).order_by(model.id)):
        chosen.setdefault(key(row), row.id)
    return list(chosen.values())


def kinds_of_rows() -> tuple:
    """What tells listings, and orders, apart for the walk: trade modes and states, and which
    walking role owns, sells or buys them (people and companies no role signs in as look alike
    to every role, so their rows count as one)."""
    walkers = db.session.scalars(
        select(Account).where(Account.email.in_([e for e in ROLES.values() if e]))
    ).all()
    people = {account.id for account in walkers}
    companies = {account.company_id for account in walkers if account.company_id}

    def person(account_id):
        return account_id if account_id in people else None

    def company(company_id):
        return company_id if company_id in companies else None

    def listing_kind(listing: Listing) -> tuple:
        modes = (listing.b2c_enabled, listing.b2b_enabled, listing.b2m_enabled)
        offers_ = db.session.execute(
            select(Offer.buyer_id, Offer.status).where(Offer.listing_id == listing.id)
        )
        return (
            listing.kind,
            company(listing.company_id),
            person(listing.account_id),
            listing.status,
            modes,
            bool(listing.prepacks),
            tuple(sorted({(person(buyer), status) for buyer, status in offers_})),
        )

    def order_kind(order: Order) -> tuple:
        delivered_today = order.delivered_at is not None and (
            order.delivered_at > clock.now() - timedelta(days=1)
        )
        return (
            order.mode,
            order.status,
            person(order.buyer_id),
            company(order.seller_company_id),
            person(order.seller_account_id),
            person(order.manager_id),
            order.payment_terms,
            order.paid_at is None,
            delivered_today,
        )

    return listing_kind, order_kind


def pages(app, world: dict) -> list[str]:
    """Every GET page outside the API, static files and media, its URL parameters filled
    with ids of real objects."""

    def ids(model, limit=None):
        query = select(model.id).order_by(model.id.desc())
        return db.session.scalars(query.limit(limit)).all()

    managers_ = db.session.scalars(select(Manager).order_by(Manager.id)).all()
    listing_kind, order_kind = kinds_of_rows()
    values = {
        "order_id": representatives(Order, order_kind),
        "listing_id": representatives(Listing, listing_kind),
        "quote_id": ids(Quote),
        "job_id": ids(Job),
        "dispute_id": ids(Dispute),
        "checkout_id": ids(Checkout, 3),
        "account_id": db.session.scalars(
            select(Account.id).where(Account.email.in_([e for e in ROLES.values() if e]))
        ).all(),
        "code": [m.referral_code for m in managers_ if m.referral_code],
        "slug": [m.shop_slug for m in managers_ if m.shop_slug],
        "token": [world["reset_token"]],
    }
    shop_items = []
    for manager in managers_:
        items = db.session.scalars(
            select(ShopItem).where(ShopItem.manager_id == manager.id).order_by(ShopItem.id)
        ).all()
        shop_items += [{"slug": manager.shop_slug, "listing_id": i.listing_id} for i in items[:2]]
    adapter = app.url_map.bind("localhost")
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(SKIPPED_PREFIXES):
            continue
        arguments = sorted(rule.arguments)
        if arguments == ["listing_id", "slug"]:
            combos = shop_items
        else:
            missing = [name for name in arguments if name not in values]
            assert not missing, f"no ids to fill {missing} of {rule.rule}: add them to the walk"
            combos = [
                dict(zip(arguments, chosen, strict=True))
                for chosen in product(*(values[name] for name in arguments))
            ]
        urls += [adapter.build(rule.endpoint, combo) for combo in combos]
    # Pages reached by a query string: the seller's side of a conversation, an account search.
    urls.append(f"/used/{world['sam_pair']}/messages?buyer={world['shopper']}")
    urls.append("/admin/accounts?q=example")
    return urls


def endpoint_of(app, url: str) -> str:
    parts = urlsplit(url)
    try:
        endpoint, _ = app.url_map.bind("localhost").match(parts.path, method="POST")
    except HTTPException as error:
        return f"<{error.code}: {parts.path}>"
    return endpoint


def table_rows(app) -> dict[str, list[tuple]]:
    """Every row of every table, to show a refused post wrote nothing."""
    with app.app_context():
        rows = {
            table.name: sorted((tuple(row) for row in db.session.execute(select(table))), key=repr)
            for table in db.metadata.sorted_tables
        }
        db.session.remove()
        return rows


def post_endpoints(app) -> set[str]:
    """The endpoints taking POST outside the API (which is exempt from CSRF by design)."""
    return {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and not rule.rule.startswith(SKIPPED_PREFIXES)
    }


def walk(clients: dict, urls: list[str]) -> tuple[dict, int, list[str]]:
    """GET every page as every role; each distinct form (action, field names) once, with the
    role whose page showed it first; how many pages were fetched; any server errors."""
    forms: dict[tuple[str, frozenset[str]], Form] = {}
    walked, errors = 0, []
    for role, client in clients.items():
        for url in urls:
            if role in ACCOUNT_PAGES_ONLY and not url.startswith("/account/"):
                continue
            response = client.get(url)
            walked += 1
            if response.status_code >= 500:
                errors.append(f"GET {url} as {role}: {response.status_code}")
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            for form in post_forms(role, url, response.get_data(as_text=True)):
                forms.setdefault((form.action, form.names), form)
    return forms, walked, errors


def test_every_post_form_is_refused_without_its_csrf_token(make_app):
    """Walk, then post every form found without its token, then one per endpoint with it."""
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        world = build_world()
        urls = pages(app, world)
        db.session.remove()
    clients = {role: app.test_client() for role in ROLES}
    for role, email in ROLES.items():
        if email:
            sign_in(clients[role], email, second_step=role not in STOPS_AT_SECOND_STEP)

    forms, walked, errors = walk(clients, urls)
    by_endpoint: dict[str, list[Form]] = {}
    for form in forms.values():
        by_endpoint.setdefault(endpoint_of(app, form.action), []).append(form)
    found = "\n".join(
        f"  {endpoint}: {', '.join(sorted({f.action for f in group})[:3])}"
        + (f" and {len(group) - 3} more" if len(group) > 3 else "")
        for endpoint, group in sorted(by_endpoint.items())
    )
    summary = (
        f"{walked} pages walked ({len(urls)} URLs, {len(clients)} roles), {len(forms)} forms"
        f" posting to {len(by_endpoint)} endpoints:\n{found}"
    )
    assert not errors, "server errors while walking:\n" + "\n".join(errors)
    assert len(by_endpoint) >= MIN_ENDPOINTS and len(forms) >= MIN_FORMS, summary
    unreached = sorted(post_endpoints(app) - set(by_endpoint))
    assert not unreached, f"no page form found for {unreached}; give the walk the state that " + (
        "shows it\n" + summary
    )
    tokenless = [f"{form.action} on {form.page}" for form in forms.values() if not form.token]
    assert not tokenless, "forms without a csrf_token input:\n" + "\n".join(tokenless)

    # Without the token: every form is refused before its view runs, and nothing is written.
    before = table_rows(app)
    accepted = []
    for form in forms.values():
        response = clients[form.role].post(form.action, data=form.data(with_token=False))
        body = response.get_data(as_text=True)
        if response.status_code != 400 or EXPIRED not in body:
            accepted.append(
                f"{form.action} (on {form.page} as {form.role}): {response.status_code}"
                f" {response.headers.get('Location', '')}"
            )
    assert not accepted, "accepted without a CSRF token:\n" + "\n".join(accepted)
    changed = [name for name, rows in table_rows(app).items() if rows != before[name]]
    assert not changed, f"posts without a CSRF token changed the tables {changed}"

    # With the page's token, the same forms get past the check. One form per endpoint (every
    # order's or listing's copy would repeat the same check), posted by the role whose page
    # showed it; the admin's forms (which disable accounts) after the others', and signing
    # out, which ends the session the tokens belong to, last of all.
    roles = list(ROLES)

    def turn(endpoint: str) -> tuple:
        form = by_endpoint[endpoint][0]
        return (endpoint == "auth.logout", form.role == "admin", roles.index(form.role), endpoint)

    refused = []
    for endpoint in sorted(by_endpoint, key=turn):
        form = by_endpoint[endpoint][0]
        response = clients[form.role].post(form.action, data=form.data(with_token=True))
        if EXPIRED in response.get_data(as_text=True) or response.status_code >= 500:
            refused.append(f"{endpoint}: {form.action} as {form.role}: {response.status_code}")
    assert not refused, "refused with the page's own token:\n" + "\n".join(refused)
