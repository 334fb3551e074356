"""The demo shop loaded by `seed-demo`: deterministic companies, people, listings and photos.

Photos are drawn here with Pillow (a shoe silhouette in the colorway's colours), never
downloaded. The same seed gives the same shop.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select

from marketplace import clock, sizes
from marketplace.extensions import db
from marketplace.services import accounts, catalog
from marketplace.services.storage import new_name, storage
from models import Account, Company, Listing, Order, Photo, Prepack, PrepackSize, Tier, Variant

PASSWORD = "solemate-demo"
LOGINS = {
    "admin": "admin@solemate.test",
    "seller": "seller@solemate.test",
    "shopper": "shopper@solemate.test",
    "wholesale buyer": "buyer@solemate.test",
    "C2C seller": "sam@solemate.test",
    "manager": "manager@solemate.test",
}
CARD = "4242424242424242"
ADDRESS = {
    "name": "Sophie Shopper",
    "line1": "12 Elm Street",
    "city": "Portland",
    "postal_code": "97201",
    "country": "US",
}

COLORWAYS = [
    ("Triple White", (245, 245, 242), (225, 225, 220), (250, 250, 250)),
    ("Core Black", (34, 34, 38), (60, 60, 66), (240, 240, 240)),
    ("Ember Red", (205, 52, 40), (245, 245, 240), (250, 250, 250)),
    ("Ocean Blue", (30, 96, 170), (235, 240, 248), (245, 245, 245)),
    ("Forest", (44, 98, 64), (214, 196, 160), (60, 44, 30)),
    ("Sand Dune", (214, 190, 150), (240, 232, 214), (160, 120, 80)),
    ("Volt Rush", (206, 240, 40), (40, 40, 44), (250, 250, 250)),
    ("Royal Court", (48, 60, 170), (250, 250, 250), (230, 200, 90)),
    ("Cream Gum", (240, 232, 210), (200, 160, 110), (170, 120, 70)),
    ("Grey Fog", (160, 166, 172), (220, 222, 226), (245, 245, 245)),
    ("Sunset", (245, 140, 60), (250, 210, 120), (250, 250, 250)),
    ("Navy White", (30, 40, 80), (250, 250, 250), (245, 245, 245)),
]

CATALOG = {
    # brand: (company key, {category: [models]})
    "Aerostride": (
        "stride",
        {"running": ["Glide 3", "Tempo Pro", "Airline 2"], "lifestyle": ["Daybreak", "Metro 90"]},
    ),
    "Cobalt Athletics": (
        "stride",
        {
            "basketball": ["Hyperdunk Rise", "Court Vision", "Rim Runner"],
            "training": ["Forge TR", "Circuit 5"],
        },
    ),
    "Granite Peak": (
        "northpeak",
        {
            "hiking": ["Summit GTX", "Ridgeline Mid", "Scree Low"],
            "boots": ['Timberline 6"', "Crag Chelsea"],
        },
    ),
    "Fjordsko": (
        "northpeak",
        {"boots": ["Fjell Winter", "Norrland Lace"], "sandals": ["Strand Slide", "Bris Sandal"]},
    ),
    "Dunewalk": (
        "dune",
        {
            "sandals": ["Oasis Strap", "Mirage Slide"],
            "lifestyle": ["Caravan Low", "Drift Slip-On", "Nomad Knit"],
        },
    ),
    "Halcyon": (
        "dune",
        {"formal": ["Oxford Classic", "Derby Crest", "Monk Strap"], "lifestyle": ["Loafer Lux"]},
    ),
    "Emberline": (
        "ember",
        {"skate": ["Kickflip Pro", "Grind Mid", "Ollie Low"], "lifestyle": ["Vulc 59"]},
    ),
    "Borealis": (
        "ember",
        {"running": ["Aurora Trail", "Polar Night", "Tundra Tempo"], "training": ["North Lift"]},
    ),
}

COMPANIES = {
    "northpeak": ("Northpeak Footwear", "US-NP-4410", LOGINS["seller"], "Nora Peak"),
    "stride": ("Stride & Co", "US-ST-2231", "stride@solemate.test", "Sam Stride"),
    "dune": ("Dune Supply", "US-DU-7784", "dune@solemate.test", "Dana Dune"),
    "ember": ("Ember Goods", "US-EM-9920", "ember@solemate.test", "Eli Ember"),
}

BASE_PRICE = {
    "running": 12999,
    "basketball": 14999,
    "lifestyle": 9999,
    "training": 10999,
    "skate": 7999,
    "hiking": 15999,
    "boots": 17999,
    "sandals": 4999,
    "formal": 18999,
}
SIZE_RUNS = {
    "men": ["40", "40.5", "41", "42", "42.5", "43", "44", "44.5", "45", "46"],
    "women": ["36", "36.5", "37.5", "38", "38.5", "39", "40", "40.5", "41"],
    "unisex": ["38.5", "39", "40", "41", "42", "42.5", "43", "44", "45"],
    "kids": ["28", "29.5", "30", "31", "32", "33", "34", "35"],
}


@dataclass
class Drawing:
    category: str
    upper: tuple[int, int, int]
    accent: tuple[int, int, int]
    sole: tuple[int, int, int]
    label: str


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType
        return ImageFont.load_default()


def draw_shoe(drawing: Drawing, width: int = 800, height: int = 600) -> bytes:
    """A side view of a shoe of the drawing's category in its colours, as JPEG bytes."""
    image = Image.new("RGB", (width, height), (246, 244, 240))
    pen = ImageDraw.Draw(image)
    for y in range(height):  # soft floor gradient
        shade = 246 - int(18 * y / height)
        pen.line([(0, y), (width, y)], fill=(shade, shade - 2, shade - 5))
    pen.ellipse([140, 440, 680, 480], fill=(214, 210, 204))
    tall = {"boots": 150, "hiking": 210, "basketball": 200}.get(drawing.category, 260)
    if drawing.category == "sandals":
        pen.rounded_rectangle([130, 400, 690, 440], 18, fill=drawing.sole)
        for x in (250, 380, 510):
            pen.arc([x - 70, 300, x + 70, 470], 200, 340, fill=drawing.upper, width=26)
    else:
        sole_top = 392 if drawing.category != "formal" else 402
        pen.rounded_rectangle([118, sole_top, 692, 448], 20, fill=drawing.sole)
        pen.rectangle([118, 436, 692, 450], fill=tuple(max(0, c - 60) for c in drawing.sole))
        upper = [
            (132, sole_top + 4),
            (136, tall + 70),
            (170, tall),
            (300, tall + 20),
            (380, 260),
            (470, 255),
            (580, 318),
            (668, 346),
            (690, sole_top - 4),
        ]
        pen.polygon(upper, fill=drawing.upper)
        pen.line(upper + [upper[0]], fill=tuple(max(0, c - 40) for c in drawing.upper), width=3)
        pen.polygon(
            [(560, 314), (668, 346), (690, sole_top - 4), (590, sole_top - 4)], fill=drawing.accent
        )
        pen.polygon(
            [(230, sole_top - 10), (330, 290), (380, 290), (290, sole_top - 10)],
            fill=drawing.accent,
        )
        for step in range(5):
            x = 370 + step * 34
            pen.line(
                [(x, 262 + step * 12), (x + 26, 280 + step * 12)], fill=(250, 250, 250), width=5
            )
    pen.text((40, 30), drawing.label, fill=(90, 90, 96), font=_font(30))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=82, optimize=True)
    return out.getvalue()


def _thumbnail(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        image.thumbnail((480, 480))
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=80)
        return out.getvalue()


def attach_drawing(listing: Listing, drawing: Drawing) -> None:
    full = draw_shoe(drawing)
    name = new_name()
    thumb = name.replace(".jpg", "_thumb.jpg")
    storage().save(full, name)
    storage().save(_thumbnail(full), thumb)
    listing.photos.append(
        Photo(position=0, filename=name, thumb_filename=thumb, width=800, height=600)
    )


def _account(email: str, name: str, **extra) -> Account:
    extra.setdefault("account_type", "person")
    account = Account(email=email, name=name, password_hash=_password_hash(), **extra)
    db.session.add(account)
    return account


_HASH: list[str] = []


def _password_hash() -> str:
    if not _HASH:
        _HASH.append(accounts.hash_password(PASSWORD))
    return _HASH[0]


def seed_people(rng: random.Random) -> dict[str, Account]:
    """Demo admin, consumer, the seller companies and one company awaiting verification."""
    people = {
        "admin": _account(LOGINS["admin"], "Ada Admin", is_admin=True),
        "shopper": _account(LOGINS["shopper"], "Sophie Shopper"),
    }
    now = clock.now()
    for key, (name, tax_id, email, person) in COMPANIES.items():
        company = Company(
            name=name,
            tax_id=tax_id,
            sells=True,
            buys_wholesale=False,
            status="verified",
            verified_at=now - timedelta(days=90),
        )
        people[key] = _account(email, person, account_type="business", company=company)
    pending = Company(name="Kicks Corner Ltd", tax_id="US-KC-1002", sells=True, buys_wholesale=True)
    people["pending"] = _account(
        "pending@solemate.test", "Pat Pending", account_type="business", company=pending
    )
    db.session.flush()
    return people


def seed_listings(rng: random.Random, people: dict[str, Account], count: int) -> list[Listing]:
    """`count` business listings spread over the brands, categories, colorways and sizes."""
    combos = []
    for brand, (company_key, categories) in CATALOG.items():
        for category, models in categories.items():
            for model in models:
                combos.append((brand, company_key, category, model))
    listings = []
    now = clock.now()
    for index in range(count):
        brand, company_key, category, model = combos[index % len(combos)]
        colorway, upper, accent, sole = COLORWAYS[
            (index * 7 + index // len(combos)) % len(COLORWAYS)
        ]
        gender = (
            ("men", "women", "unisex", "kids")[rng.choices(range(4), weights=[5, 4, 2, 1])[0]]
            if category not in ("formal",)
            else rng.choice(("men", "women"))
        )
        run = SIZE_RUNS[gender]
        start = rng.randrange(0, 3)
        chosen = run[start : start + rng.randrange(4, 8)]
        price = BASE_PRICE[category] + rng.randrange(-3, 6) * 1000
        title = f"{brand} {model} “{colorway}”"
        listing = Listing(
            kind="business",
            company_id=people[company_key].company_id,
            title=title,
            brand=brand,
            model=model,
            colorway=colorway,
            category=category,
            gender=gender,
            condition="new",
            status="active",
            b2c_enabled=True,
            description=(
                f"The {model} from {brand} in {colorway.lower()}. "
                f"{category.capitalize()} shoe with a cushioned midsole"
                " and a grippy rubber outsole."
            ),
            created_at=now - timedelta(hours=index * 5 + rng.randrange(0, 4)),
        )
        sku_base = f"{brand[:3].upper()}-{index:04d}"
        for size in chosen:
            stock = rng.choice((0, 1, 2, 3, 5, 8, 12, 20))
            listing.variants.append(
                Variant(
                    size_eu=size,
                    size_sort=sizes.sort_key(size),
                    sku=f"{sku_base}-{size.replace('.', '_')}",
                    stock=stock,
                    reserved=0,
                    price_cents=price + (500 if size in ("46", "45") else 0),
                )
            )
        listing.min_price_cents = min(v.price_cents for v in listing.variants)
        attach_drawing(listing, Drawing(category, upper, accent, sole, f"{brand} · {model}"))
        db.session.add(listing)
        listings.append(listing)
    db.session.flush()
    return listings


def seed_wholesale_terms(listings: list[Listing]) -> list[Listing]:
    """Open every third listing to wholesale: tiers at 60/55/50 % of retail, MOQ 12, a
    prepack of its four middle sizes, and cases of 2 on every other one."""
    opened = []
    for index, listing in enumerate(listings):
        if index % 3 or len(listing.variants) < 4:
            continue
        retail = listing.min_price_cents
        listing.b2b_enabled = True
        listing.b2b_moq = 12
        listing.b2b_order_multiple = 2 if index % 2 else 1
        listing.tiers = [
            Tier(min_qty=12, unit_price_cents=retail * 60 // 100),
            Tier(min_qty=48, unit_price_cents=retail * 55 // 100),
            Tier(min_qty=120, unit_price_cents=retail * 50 // 100),
        ]
        middle = listing.variants[:4]
        pack = Prepack(name="Size run 1-2-2-1", active=True)
        for variant, pairs in zip(middle, (1, 2, 2, 1), strict=True):
            pack.sizes.append(PrepackSize(variant=variant, quantity=pairs))
            variant.stock = max(variant.stock, 60)
        for variant in listing.variants[4:]:
            variant.stock = max(variant.stock, 30)
        listing.prepacks.append(pack)
        opened.append(listing)
    return opened


def seed_buyers() -> dict[str, Account]:
    """A verified buying company with a credit limit and two members."""
    company = Company(
        name="Urban Sole Boutique",
        tax_id="US-USB-5531",
        sells=False,
        buys_wholesale=True,
        status="verified",
        credit_limit_cents=5_000_000,
        verified_at=clock.now() - timedelta(days=60),
    )
    buyer = _account(
        LOGINS["wholesale buyer"], "Wren Wholesale", account_type="business", company=company
    )
    colleague = _account(
        "buyer2@solemate.test", "Casey Colleague", account_type="business", company=company
    )
    db.session.flush()
    return {"buyer": buyer, "colleague": colleague}


def seed_trades(people: dict[str, Account], listings: list[Listing], opened: list[Listing]) -> dict:
    """Past orders made through the services at earlier clock times, so that orders,
    stock and the ledger agree: retail sales, wholesale orders with invoices in every
    state, and quotes waiting on both sides."""
    from marketplace.services import cart, checkout, orders, quotes, wholesale

    now = clock.now()
    shopper, buyer = people["shopper"], people["buyer"]
    seller_of = {c: people[key] for key, c in ((k, people[k].company_id) for k in COMPANIES)}
    count = {"retail": 0, "wholesale": 0, "quotes": 0}
    retail = [
        listing for listing in listings if listing.company_id == people["northpeak"].company_id
    ][:14]
    for day, listing in zip(range(27, 0, -2), retail, strict=False):
        variant = next((v for v in listing.variants if v.stock - v.reserved > 0), None)
        if variant is None:
            continue
        with clock.frozen_at(now - timedelta(days=day, hours=3)):
            cart.add(shopper, variant.id, 1)
            placed = checkout.place_order(shopper, shipping_address=ADDRESS, card_number=CARD)
        order = placed.orders[0]
        seller = seller_of[order.seller_company_id]
        if day > 4:
            with clock.frozen_at(now - timedelta(days=day - 1)):
                orders.ship(order.id, seller, "UPS", f"1Z{order.id:08d}")
            with clock.frozen_at(now - timedelta(days=day - 3)):
                orders.deliver(order.id, seller)
            if day > 12:
                with clock.frozen_at(now - timedelta(days=day - 11)):
                    orders.complete_due()
        count["retail"] += 1
    northpeak = [
        listing for listing in opened if listing.company_id == people["northpeak"].company_id
    ]
    for number, (listing, days_ago, pay) in enumerate(
        [(northpeak[0], 45, True), (northpeak[1], 38, False), (northpeak[2], 10, False)]
    ):
        pack = listing.prepacks[0]
        with clock.frozen_at(now - timedelta(days=days_ago)):
            placed = wholesale.place_order(
                buyer,
                [{"prepack_id": pack.id, "quantity": 4}],
                payment_terms="net30",
                po_number=f"USB-PO-{1001 + number}",
            )
        if pay:
            with clock.frozen_at(now - timedelta(days=days_ago - 20)):
                wholesale.pay_invoice(placed[0].id, buyer, CARD)
        count["wholesale"] += 1
    with clock.frozen_at(now - timedelta(days=2)):
        quotes.request_quote(
            buyer,
            northpeak[3].id,
            200,
            "Could you do a better price on 200 pairs for our spring window?",
        )
        quote = quotes.request_quote(buyer, northpeak[4].id, 120, "Delivery in March; mixed sizes.")
        quotes.respond(
            quote.id,
            people["northpeak"],
            northpeak[4].tiers[-1].unit_price_cents - 300,
            14,
            "Happy to help.",
        )
    count["quotes"] = 2
    return count


USED_PAIRS = [
    # brand, model, category, gender, size, condition, price, colorway index
    ("Aerostride", "Glide 3", "running", "men", "42.5", "like_new", 8500, 3),
    ("Cobalt Athletics", "Court Vision", "basketball", "men", "44", "good", 6000, 1),
    ("Emberline", "Vulc 59", "skate", "unisex", "41", "worn", 2500, 9),
    ("Granite Peak", "Summit GTX", "hiking", "women", "39", "new_with_box", 13500, 4),
    ("Halcyon", "Oxford Classic", "formal", "men", "43", "like_new", 11000, 1),
    ("Dunewalk", "Drift Slip-On", "lifestyle", "women", "38", "good", 3500, 5),
    ("Borealis", "Aurora Trail", "running", "women", "40", "worn", 3000, 10),
    ("Fjordsko", "Fjell Winter", "boots", "men", "45", "new_with_box", 15000, 11),
    ("Aerostride", "Metro 90", "lifestyle", "unisex", "42", "good", 5500, 0),
    ("Cobalt Athletics", "Rim Runner", "basketball", "men", "46", "like_new", 9000, 7),
    ("Emberline", "Kickflip Pro", "skate", "men", "42", "worn", 2000, 2),
    ("Granite Peak", "Ridgeline Mid", "hiking", "men", "43", "new_with_box", 12500, 8),
]


def _faded(colour: tuple[int, int, int], amount: float) -> tuple[int, int, int]:
    grey = sum(colour) // 3
    return tuple(int(c + (grey - c) * amount) - int(20 * amount) for c in colour)


def seed_used_pairs(people: dict[str, Account]) -> dict:
    """People selling used pairs: every condition grade, offers waiting, a trade completed
    and rated by both sides, and a retail purchase resold with its provenance."""
    from marketplace.services import c2c, escrow, offers, orders

    now = clock.now()
    sam = _account(LOGINS["C2C seller"], "Sam Secondhand")
    alex = people["alex"] = _account("alex@solemate.test", "Alex Buyer")
    jo = _account("jo@solemate.test", "Jo Sneakerhead")
    db.session.commit()
    sellers = [sam, jo]
    pairs = []
    for index, (brand, model, category, gender, size, condition, price, colour) in enumerate(
        USED_PAIRS
    ):
        name, upper, accent, sole = COLORWAYS[colour]
        wear = {"new_with_box": 0.0, "like_new": 0.1, "good": 0.3, "worn": 0.5}[condition]
        photo = draw_shoe(
            Drawing(
                category,
                _faded(upper, wear),
                _faded(accent, wear),
                _faded(sole, wear),
                f"{brand} · {model}",
            )
        )
        with clock.frozen_at(now - timedelta(days=20 - index, hours=index)):
            pairs.append(
                c2c.create_pair(
                    sellers[index % 2],
                    {
                        "title": f"{brand} {model} “{name}”, {condition.replace('_', ' ')}",
                        "brand": brand,
                        "model": model,
                        "colorway": name,
                        "category": category,
                        "gender": gender,
                        "size_eu": size,
                        "condition": condition,
                        "price_cents": price,
                        "description": f"My {model} in {name.lower()},"
                        f" {condition.replace('_', ' ')}. Smoke-free home.",
                    },
                    [photo],
                )
            )
    # A trade from two weeks ago, completed and rated by both sides.
    with clock.frozen_at(now - timedelta(days=14)):
        order = escrow.buy(
            pairs[0].id, alex, shipping_address={**ADDRESS, "name": "Alex Buyer"}, card_number=CARD
        )
    with clock.frozen_at(now - timedelta(days=13)):
        orders.ship(order.id, sam, "USPS", "9400111899223")
    with clock.frozen_at(now - timedelta(days=11)):
        orders.deliver(order.id, sam)
    with clock.frozen_at(now - timedelta(days=10)):
        orders.confirm(order.id, alex)
        c2c.rate(order.id, alex, 5, "Exactly as described, shipped fast. Thanks Sam!")
        c2c.rate(order.id, sam, 5, "Smooth buyer, paid at once.")
    # Offers waiting on Sam, and a counter-offer waiting on Alex.
    offers.make_offer(pairs[2].id, alex, 2000)
    first = offers.make_offer(pairs[4].id, alex, 8000)
    offers.counter(first.id, sam, 9500)
    offers.make_offer(pairs[6].id, people["shopper"], 2500)
    # The shopper resells a delivered retail purchase: provenance shown on the listing.
    resold = 0
    delivered = db.session.scalar(
        select(Order)
        .where(Order.buyer_id == people["shopper"].id, Order.status == "completed")
        .order_by(Order.id)
    )
    if delivered is not None:
        line = delivered.lines[0]
        c2c.create_pair(
            people["shopper"],
            {
                "title": f"{line.title}, worn once",
                "brand": line.listing.brand,
                "model": line.listing.model,
                "colorway": line.listing.colorway,
                "category": line.listing.category,
                "gender": line.listing.gender,
                "size_eu": line.size_eu,
                "condition": "like_new",
                "price_cents": line.unit_price_cents * 70 // 100,
                "description": "Bought here, worn once indoors; the wrong fit for me.",
            },
            [],
            resell_line_id=line.id,
            copy_photos=True,
        )
        resold = 1
    return {"used": len(pairs) + resold}


def seed_b2m_terms(listings: list[Listing]) -> list[Listing]:
    """Open every fourth listing to managers: base 60 % of retail, range 80-130 %."""
    opened = []
    for index, listing in enumerate(listings):
        if index % 4 != 1:
            continue
        retail = listing.min_price_cents
        listing.b2m_enabled = True
        listing.b2m_base_price_cents = retail * 60 // 100
        listing.b2m_min_retail_cents = retail * 80 // 100
        listing.b2m_suggested_retail_cents = retail
        listing.b2m_max_retail_cents = retail * 130 // 100
        for variant in listing.variants:
            variant.stock = max(variant.stock, 20)
        opened.append(listing)
    return opened


def seed_managers(people: dict[str, Account], opened: list[Listing]) -> dict:
    """A three-level network (Mia recruited Leo, who recruited Zoe) with shops, and orders
    through them whose commissions are pending, available, paid and reversed."""
    from marketplace.services import cart, checkout, managers, orders, payouts, shops

    now = clock.now()
    admin = people["admin"]
    mia = _account(LOGINS["manager"], "Mia Manager")
    leo = _account("leo@solemate.test", "Leo Level-One")
    zoe = _account("zoe@solemate.test", "Zoe Level-Two")
    db.session.commit()
    with clock.frozen_at(now - timedelta(days=60)):
        managers.apply(mia, "Mia's Street Picks")
        managers.approve(mia.id)
        managers.apply(leo, "Leo Runs", referral_code=mia.manager.referral_code)
        managers.approve(leo.id)
        managers.apply(zoe, "Zoe's Trail Corner", referral_code=leo.manager.referral_code)
        managers.approve(zoe.id)
    for offset, who in enumerate((mia, leo, zoe)):
        for listing in opened[offset * 5 : offset * 5 + 6]:
            price = listing.b2m_suggested_retail_cents + (offset - 1) * 500
            price = min(max(price, listing.b2m_min_retail_cents), listing.b2m_max_retail_cents)
            shops.add_item(who.manager, listing.id, price)

    def sale(shop_owner: Account, buyer: Account, days_ago: int, listing_index: int):
        item = shops.items(shop_owner.manager)[listing_index]
        variant = next(v for v in item.listing.variants if v.stock - v.reserved > 0)
        with clock.frozen_at(now - timedelta(days=days_ago)):
            cart.add(buyer, variant.id, 1, shop_slug=shop_owner.manager.shop_slug)
            placed = checkout.place_order(buyer, shipping_address=ADDRESS, card_number=CARD)
        order = placed.orders[0]
        seller = next(m for m in db.session.get(Company, order.seller_company_id).members)
        return order, seller

    shopper, alex = people["shopper"], people["alex"]
    count = 0
    # Available: delivered long ago, the window has closed.
    for owner, buyer, days in ((zoe, shopper, 24), (leo, alex, 28), (mia, shopper, 21)):
        order, seller = sale(owner, buyer, days, 0)
        with clock.frozen_at(now - timedelta(days=days - 1)):
            orders.ship(order.id, seller, "UPS", f"1ZM{order.id:07d}")
        with clock.frozen_at(now - timedelta(days=days - 3)):
            orders.deliver(order.id, seller)
        with clock.frozen_at(now - timedelta(days=days - 11)):
            orders.complete_due()
        count += 1
    # Paid: Leo withdrew his available commissions.
    with clock.frozen_at(now - timedelta(days=5)):
        owed = payouts.withdrawable(leo)
        if owed >= current_app.config["PAYOUT_MIN_CENTS"]:
            payout = payouts.request(leo, owed)
            payouts.approve(payout.id, admin)
    # Reversed: returned within the window and refunded.
    order, seller = sale(zoe, alex, 12, 1)
    with clock.frozen_at(now - timedelta(days=11)):
        orders.ship(order.id, seller, "DHL", f"JDM{order.id:07d}")
    with clock.frozen_at(now - timedelta(days=9)):
        orders.deliver(order.id, seller)
    with clock.frozen_at(now - timedelta(days=7)):
        orders.request_return(order.id, alex, "Too narrow for me.")
        orders.refund(order.id, seller)
    count += 1
    # Pending: recent sales, window still open or not shipped yet.
    for owner, buyer, days, index in (
        (mia, alex, 3, 1),
        (zoe, shopper, 2, 2),
        (mia, shopper, 1, 2),
    ):
        order, seller = sale(owner, buyer, days, index)
        if days == 3:
            with clock.frozen_at(now - timedelta(days=2)):
                orders.ship(order.id, seller, "UPS", f"1ZM{order.id:07d}")
                orders.deliver(order.id, seller)
        count += 1
    return {"managers": 3, "orders": count}


# Fewer listings leave a seller without enough wholesale listings for the demo's orders
# and quotes.
MIN_LISTINGS = 60


def seed(listing_count: int = 320, rng_seed: int = 2026) -> str:
    """Load the whole demo shop; returns a one-line summary.

    :raise ValueError: fewer than MIN_LISTINGS listings asked for.
    """
    if listing_count < MIN_LISTINGS:
        raise ValueError(f"the demo shop needs at least {MIN_LISTINGS} listings")
    rng = random.Random(rng_seed)
    people = seed_people(rng)
    listings = seed_listings(rng, people, listing_count)
    opened = seed_wholesale_terms(listings)
    shop_listings = seed_b2m_terms(listings)
    people.update(seed_buyers())
    db.session.commit()
    trades = seed_trades(people, listings, opened)
    used = seed_used_pairs(people)
    network = seed_managers(people, shop_listings)
    catalog.forget_brands()
    return (
        f"{len(people)} accounts, {len(listings)} listings ({len(opened)} on wholesale), "
        f"{trades['retail']} retail and {trades['wholesale']} wholesale orders,"
        f" {trades['quotes']} quotes, {used['used']} used pairs,"
        f" {network['managers']} managers with {network['orders']} orders through their shops"
    )
