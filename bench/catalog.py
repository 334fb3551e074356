"""Catalog speed on 50,000 listings x 5 sizes (SQLite, one worker, in-process).

Prints p50/p95 for the catalog page, a full-text search and a listing page, and the SQL
statements each request issues at several page sizes and catalog sizes.
Target: p95 under 50 ms each; query counts flat in page size and catalog size.
"""

from __future__ import annotations

import os
import random
import time

from sqlalchemy import insert

from bench.common import counting_queries, fresh_app, report, time_requests
from marketplace import clock, sizes
from marketplace.extensions import db
from marketplace.services.demo import COLORWAYS, Drawing, attach_drawing
from models import Account, Company, Listing, Photo, Variant

LISTINGS = int(os.environ.get("BENCH_LISTINGS", "50000"))
SIZES = ["40", "41", "42", "43", "44"]
BRANDS = [
    "Aerostride",
    "Borealis",
    "Cobalt",
    "Dunewalk",
    "Emberline",
    "Fjordsko",
    "Granite",
    "Halcyon",
]
MODELS = [
    "Glide",
    "Tempo",
    "Summit",
    "Ridge",
    "Court",
    "Drift",
    "Nomad",
    "Oxford",
    "Kick",
    "Aurora",
]
CATEGORIES = [
    "running",
    "basketball",
    "lifestyle",
    "training",
    "skate",
    "hiking",
    "boots",
    "sandals",
]


def load(app, count: int, start: int = 0) -> None:
    """Bulk-insert `count` listings with five sizes and a photo each."""
    rng = random.Random(start)
    now = clock.now()
    with app.app_context():
        if start == 0:
            company = Company(name="Bench Co", tax_id="B1", sells=True, status="verified")
            db.session.add(
                Account(
                    email="bench@example.test",
                    name="B",
                    password_hash="x",
                    account_type="business",
                    company=company,
                )
            )
            db.session.flush()
            template = Listing(
                kind="business",
                company_id=company.id,
                title="t",
                brand="b",
                model="m",
                category="running",
                gender="men",
            )
            attach_drawing(
                template,
                Drawing("running", (30, 96, 170), (240, 240, 240), (250, 250, 250), "Bench"),
            )
            db.session.commit()
            app.config["BENCH_PHOTO"] = (
                template.photos[0].filename,
                template.photos[0].thumb_filename,
            )
            app.config["BENCH_COMPANY"] = company.id
        photo, thumb = app.config["BENCH_PHOTO"]
        company_id = app.config["BENCH_COMPANY"]
        batch = 2000
        for offset in range(start, start + count, batch):
            listings, variants, photos = [], [], []
            for n in range(offset, min(offset + batch, start + count)):
                brand, model = BRANDS[n % len(BRANDS)], MODELS[(n // 8) % len(MODELS)]
                colorway = COLORWAYS[n % len(COLORWAYS)][0]
                price = 5000 + rng.randrange(0, 200) * 100
                listing_id = n + 2  # id 1 is the template above
                listings.append(
                    dict(
                        id=listing_id,
                        kind="business",
                        company_id=company_id,
                        title=f"{brand} {model} {n} “{colorway}”",
                        brand=brand,
                        model=f"{model} {n % 7}",
                        colorway=colorway,
                        category=CATEGORIES[n % len(CATEGORIES)],
                        gender=("men", "women", "unisex")[n % 3],
                        description="Bench pair.",
                        condition="new",
                        status="active",
                        b2c_enabled=True,
                        min_price_cents=price,
                        created_at=now,
                        updated_at=now,
                    )
                )
                for size in SIZES:
                    variants.append(
                        dict(
                            listing_id=listing_id,
                            size_eu=size,
                            size_sort=sizes.sort_key(size),
                            sku=f"B{n}-{size}",
                            stock=rng.randrange(0, 6),
                            reserved=0,
                            price_cents=price,
                            created_at=now,
                        )
                    )
                photos.append(
                    dict(
                        listing_id=listing_id,
                        position=0,
                        filename=photo,
                        thumb_filename=thumb,
                        width=800,
                        height=600,
                        created_at=now,
                    )
                )
            db.session.execute(insert(Listing), listings)
            db.session.execute(insert(Variant), variants)
            db.session.execute(insert(Photo), photos)
            db.session.commit()


def measure(app, label: str, runs: int) -> None:
    client = app.test_client()
    rng = random.Random(7)
    total = LISTINGS + 1
    words = [
        "glide",
        "summit aurora",
        "ocean blue",
        "court",
        "ember red",
        "drift 3",
        "nomad",
        "kick",
    ]
    report(
        f"catalog page ({label})",
        time_requests(lambda i: client.get(f"/catalog?page={1 + i % 20}"), runs),
        50,
    )
    report(
        f"search ({label})",
        time_requests(lambda i: client.get(f"/catalog?q={words[i % len(words)]}"), runs),
        50,
    )
    report(
        f"listing page ({label})",
        time_requests(lambda i: client.get(f"/listings/{rng.randrange(2, total)}"), runs),
        50,
    )
    report(
        f"API list ({label})",
        time_requests(lambda i: client.get(f"/api/v1/listings?page={1 + i % 20}"), runs),
        50,
    )


def query_counts(app) -> dict[str, list[int]]:
    client = app.test_client()
    counts: dict[str, list[int]] = {}
    with app.app_context():
        engine = db.engine
    client.get("/catalog")  # the brand list for the filters is cached for a minute
    for per_page in (12, 24, 96):
        for name, url in (
            ("catalog", f"/catalog?per_page={per_page}"),
            ("search", f"/catalog?q=glide&per_page={per_page}"),
            ("api list", f"/api/v1/listings?per_page={per_page}"),
        ):
            with counting_queries(engine) as counter:
                assert client.get(url).status_code == 200
            counts.setdefault(name, []).append(counter[0])
    with counting_queries(engine) as counter:
        client.get("/listings/3")
    counts["listing page"] = [counter[0]]
    return counts


def main() -> None:
    app = fresh_app()
    started = time.monotonic()
    first = min(5000, LISTINGS)
    load(app, first)
    small = query_counts(app)
    load(app, LISTINGS - first, start=first)
    print(f"loaded {LISTINGS} listings x {len(SIZES)} sizes in {time.monotonic() - started:.1f}s")
    with app.app_context():
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
    large = query_counts(app)
    print("SQL statements per request (per_page 12 / 24 / 96):")
    for name in small:
        print(f"  {name:<13} {first} listings: {small[name]}   {LISTINGS} listings: {large[name]}")
    flat = all(len(set(small[n] + large[n])) == 1 for n in small)
    print("query counts flat in page size and catalog size:", "yes" if flat else "NO")
    measure(app, f"{LISTINGS} listings", runs=int(os.environ.get("BENCH_RUNS", "200")))
