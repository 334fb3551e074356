"""The load test's database: the demo shop scaled to LOAD_LISTINGS listings on PostgreSQL,
its buyers and checkout targets, and the audit after the run (`make load`, bench/load.py).

The demo shop (`demo.seed`: companies, people, 320 listings with drawn photos, past orders
of every mode) is loaded first; the rest of the catalog is written with COPY, in the demo's
vocabulary (brands, models, categories, colorways, size runs and prices) and with the demo's
photos. `listings.search_vector` is a generated column on PostgreSQL (migration 0001), so
rows written by COPY are searchable like any other; ANALYZE follows.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import psycopg
from sqlalchemy import func, select, text

from marketplace import clock, sizes
from marketplace.extensions import db
from marketplace.services import accounts, catalog, demo, ledger
from models import Account, Company, Listing, Photo

ROOT = Path(__file__).resolve().parents[1]
BUYER_PASSWORD = "load-test-buyer-passphrase"
STARTED_STATUSES = ("paid", "shipped", "delivered", "completed")
COPY_BATCH = 5000


def log(message: str) -> None:
    print(message, flush=True)


# PostgreSQL and the database.


def server_dsn(url: str) -> str:
    """The maintenance database of the server of `url` (for CREATE/DROP DATABASE)."""
    base, _, _name = url.rpartition("/")
    return f"{base}/postgres"


def database_name(url: str) -> str:
    return url.rpartition("/")[2].split("?")[0]


def ensure_postgres(url: str) -> None:
    """Start the local cluster if nothing answers on 127.0.0.1:5432."""
    try:
        psycopg.connect(server_dsn(url), connect_timeout=3).close()
        return
    except psycopg.OperationalError:
        pass
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if not versions:
        raise RuntimeError("PostgreSQL is not answering and no local cluster was found")
    log(f"starting PostgreSQL {versions[-1]} main")
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"],
        check=True,
        timeout=60,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            psycopg.connect(server_dsn(url), connect_timeout=3).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def ensure_database(url: str, reseed: bool) -> bool:
    """Create the database (dropping it first when `reseed`); True when it is new."""
    name = database_name(url)
    with psycopg.connect(server_dsn(url), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and reseed:
            log(f"LOAD_RESEED=1: dropping database {name}")
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            return True
    return False


def tune(url: str) -> None:
    """What the README's production section asks of the database: no parallel plans (on a
    small machine serving many short queries they cost more than they save), the cost of a
    random read for data in memory, and vacuumed tables, so the catalog's counts read their
    indexes alone."""
    name = database_name(url)
    with psycopg.connect(server_dsn(url), autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" SET max_parallel_workers_per_gather = 0')
        conn.execute(f'ALTER DATABASE "{name}" SET random_page_cost = 1.1')
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE listings, variants")


def upgrade(env: dict[str, str]) -> None:
    """`flask --app wsgi db upgrade` on the load database, as a deployment runs it."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        raise RuntimeError(f"db upgrade failed:\n{result.stdout}{result.stderr}")


# Seeding.


def listing_count() -> int:
    return db.session.scalar(select(func.count(Listing.id))) or 0


def _demo_companies() -> dict[str, int]:
    """The demo's selling companies by their key in demo.COMPANIES."""
    by_tax_id = {tax_id: key for key, (_name, tax_id, _email, _person) in demo.COMPANIES.items()}
    rows = db.session.execute(
        select(Company.tax_id, Company.id).where(Company.tax_id.in_(list(by_tax_id)))
    ).all()
    return {by_tax_id[tax_id]: company_id for tax_id, company_id in rows}


def _demo_photos() -> dict[tuple[str, str, str], tuple[str, str]]:
    """One drawn photo per (brand, model, colorway) of the demo listings, and per
    (brand, model, "") as a fallback."""
    rows = db.session.execute(
        select(Listing.brand, Listing.model, Listing.colorway, Photo.filename, Photo.thumb_filename)
        .join(Photo, Photo.listing_id == Listing.id)
        .where(Listing.kind == "business", Photo.position == 0)
        .order_by(Listing.id)
    ).all()
    photos: dict[tuple[str, str, str], tuple[str, str]] = {}
    for brand, model, colorway, filename, thumb in rows:
        photos.setdefault((brand, model, colorway), (filename, thumb))
        photos.setdefault((brand, model, ""), (filename, thumb))
    return photos


def scale_catalog(total: int, rng_seed: int = 2026) -> int:
    """Add business listings (open to B2C, 4-7 sizes, one photo) until there are `total`
    listings; returns how many were added. COPY in batches, then ANALYZE."""
    have = listing_count()
    missing = total - have
    if missing <= 0:
        return 0
    combos = [
        (brand, company_key, category, model)
        for brand, (company_key, categories) in demo.CATALOG.items()
        for category, models in categories.items()
        for model in models
    ]
    companies = _demo_companies()
    photos = _demo_photos()
    if len(companies) != len(demo.COMPANIES) or not photos:
        raise RuntimeError("the demo shop must be loaded before the catalog is scaled")
    rng = random.Random(rng_seed)
    now = clock.now()
    first_id = (db.session.scalar(select(func.max(Listing.id))) or 0) + 1
    db.session.commit()
    listing_columns = (
        "id, kind, company_id, title, brand, model, colorway, category, gender, description,"
        " condition, status, b2c_enabled, min_price_cents, created_at, updated_at"
    )
    variant_columns = (
        "listing_id, size_eu, size_sort, sku, stock, reserved, price_cents, created_at"
    )
    photo_columns = "listing_id, position, filename, thumb_filename, width, height, created_at"
    with db.engine.begin() as connection:
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor:
            for start in range(0, missing, COPY_BATCH):
                listings, variants, pictures = [], [], []
                for offset in range(start, min(start + COPY_BATCH, missing)):
                    listing_id = first_id + offset
                    index = listing_id  # demo listing `index` and this one share a pattern
                    brand, company_key, category, model = combos[index % len(combos)]
                    colorway = demo.COLORWAYS[(index * 7 + index // len(combos)) % 12][0]
                    gender = (
                        ("men", "women", "unisex", "kids")[
                            rng.choices(range(4), weights=[5, 4, 2, 1])[0]
                        ]
                        if category != "formal"
                        else rng.choice(("men", "women"))
                    )
                    run = demo.SIZE_RUNS[gender]
                    begin = rng.randrange(0, 3)
                    chosen = run[begin : begin + rng.randrange(4, 8)]
                    price = demo.BASE_PRICE[category] + rng.randrange(-3, 6) * 1000
                    created = now - timedelta(days=70, minutes=offset * 10 + rng.randrange(0, 9))
                    prices = [price + (500 if size in ("45", "46") else 0) for size in chosen]
                    listings.append(
                        (
                            listing_id,
                            "business",
                            companies[company_key],
                            f"{brand} {model} “{colorway}”",
                            brand,
                            model,
                            colorway,
                            category,
                            gender,
                            f"The {model} from {brand} in {colorway.lower()}. "
                            f"{category.capitalize()} shoe with a cushioned midsole"
                            " and a grippy rubber outsole.",
                            "new",
                            "active",
                            True,
                            min(prices),
                            created,
                            created,
                        )
                    )
                    sku_base = f"{brand[:3].upper()}-L{listing_id:06d}"
                    for size, size_price in zip(chosen, prices, strict=True):
                        variants.append(
                            (
                                listing_id,
                                size,
                                sizes.sort_key(size),
                                f"{sku_base}-{size.replace('.', '_')}",
                                rng.choice((0, 1, 2, 3, 5, 8, 12, 20)),
                                0,
                                size_price,
                                created,
                            )
                        )
                    filename, thumb = photos.get((brand, model, colorway)) or photos.get(
                        (brand, model, ""), next(iter(photos.values()))
                    )
                    pictures.append((listing_id, 0, filename, thumb, 800, 600, created))
                for table, columns, rows in (
                    ("listings", listing_columns, listings),
                    ("variants", variant_columns, variants),
                    ("photos", photo_columns, pictures),
                ):
                    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
            cursor.execute("SELECT setval('listings_id_seq', (SELECT max(id) FROM listings))")
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    catalog.forget_brands()
    return missing


def seed(total: int) -> float:
    """Demo shop on an empty database, then the catalog scaled to `total`; seconds taken."""
    started = time.monotonic()
    if not accounts.count_accounts():
        log("loading the demo shop (demo.seed) ...")
        summary = demo.seed()
        log(f"  {summary} ({time.monotonic() - started:.1f} s)")
    scaled_at = time.monotonic()
    added = scale_catalog(total)
    log(f"  COPY of {added} listings with sizes and photos: {time.monotonic() - scaled_at:.1f} s")
    return time.monotonic() - started


# Buyers, checkout targets and the audit.


def buyer_email(n: int) -> str:
    return f"loadbuyer{n}@load.test"


def ensure_buyers(count: int) -> list[str]:
    """Consumers who check out during the run, registered through the accounts service."""
    existing = set(
        db.session.scalars(
            select(Account.email).where(Account.email.in_([buyer_email(n) for n in range(count)]))
        )
    )
    for n in range(count):
        if buyer_email(n) not in existing:
            accounts.register(email=buyer_email(n), password=BUYER_PASSWORD, name=f"Load Buyer {n}")
    return [buyer_email(n) for n in range(count)]


@dataclass
class Targets:
    plentiful: list[int]  # variant ids restocked to `plenty` pairs before every run
    scarce: list[int]  # variant ids restocked to `few` pairs: buyers race for them
    listing_ids: list[int]  # every active public listing, for the catalog traffic


def prepare_targets(listings: int, plenty: int, scarce: int, few: int) -> Targets:
    """Choose the checkout targets among the scaled listings and restock them."""
    listing_ids = list(
        db.session.scalars(
            select(Listing.id)
            .where(Listing.status == "active", Listing.b2c_enabled.is_(True))
            .order_by(Listing.id)
        )
    )
    business = list(
        db.session.scalars(
            select(Listing.id)
            .where(
                Listing.kind == "business",
                Listing.status == "active",
                Listing.b2c_enabled.is_(True),
            )
            .order_by(Listing.id)
        )
    )
    step = max(1, len(business) // max(1, listings + scarce))
    chosen = business[::step][: listings + scarce]
    plentiful_listings, scarce_listings = chosen[:listings], chosen[listings:]
    plentiful = list(
        db.session.scalars(
            text("SELECT id FROM variants WHERE listing_id = ANY(:ids) ORDER BY id"),
            {"ids": plentiful_listings},
        )
    )
    scarce_variants = list(
        db.session.scalars(
            text(
                "SELECT min(id) FROM variants WHERE listing_id = ANY(:ids)"
                " GROUP BY listing_id ORDER BY 1"
            ),
            {"ids": scarce_listings},
        )
    )
    # The run's starting stock: what a seller's restock would do, before the snapshot.
    db.session.execute(
        text("UPDATE variants SET stock = reserved + :n WHERE id = ANY(:ids)"),
        {"n": plenty, "ids": plentiful},
    )
    db.session.execute(
        text("UPDATE variants SET stock = reserved + :n WHERE id = ANY(:ids)"),
        {"n": few, "ids": scarce_variants},
    )
    db.session.commit()
    return Targets(plentiful, scarce_variants, listing_ids)


@dataclass
class Snapshot:
    stock: dict[int, tuple[int, int]]  # variant id -> (stock, reserved)
    max_order_id: int
    max_checkout_id: int


def snapshot() -> Snapshot:
    rows = db.session.execute(text("SELECT id, stock, reserved FROM variants")).all()
    result = Snapshot(
        {variant_id: (stock, reserved) for variant_id, stock, reserved in rows},
        db.session.scalar(text("SELECT coalesce(max(id), 0) FROM orders")),
        db.session.scalar(text("SELECT coalesce(max(id), 0) FROM checkouts")),
    )
    db.session.commit()
    return result


def audit(before: Snapshot, client_checkouts: int) -> tuple[list[tuple[str, bool, str]], dict]:
    """Checks after the run: (label, passed, detail) each, and the figures behind them.

    Stock: nothing but the run's checkouts changed stock after the snapshot (no cancels,
    refunds or expiry jobs run), so for every variant
        stock before = stock after + pairs in the run's paid/shipped/delivered/completed orders
        reserved after = reserved before + pairs in the run's orders still pending payment
    and no variant has negative stock or reserved, or more reserved than on hand.
    """
    db.session.expire_all()
    checks: list[tuple[str, bool, str]] = []
    balance = ledger.trial_balance()
    checks.append(
        (
            "ledger trial balance",
            bool(balance["balanced"]),
            f"debits {balance['total_debits_cents']:,} = credits "
            f"{balance['total_credits_cents']:,} cents, "
            f"{balance['unbalanced_transactions']} unbalanced transactions",
        )
    )
    negative = db.session.execute(
        text(
            "SELECT count(*) FILTER (WHERE stock < 0), count(*) FILTER (WHERE reserved < 0),"
            " count(*) FILTER (WHERE reserved > stock), count(*) FROM variants"
        )
    ).one()
    checks.append(
        (
            "no negative stock or reserved",
            negative[0] == 0 and negative[1] == 0 and negative[2] == 0,
            f"{negative[3]:,} variants: {negative[0]} stock < 0, {negative[1]} reserved < 0, "
            f"{negative[2]} reserved > stock",
        )
    )
    moved = db.session.execute(
        text(
            "SELECT l.variant_id, o.status, sum(l.quantity) FROM order_lines l"
            " JOIN orders o ON o.id = l.order_id WHERE o.id > :after"
            " GROUP BY l.variant_id, o.status"
        ),
        {"after": before.max_order_id},
    ).all()
    sold: dict[int, int] = {}
    pending: dict[int, int] = {}
    other_statuses: dict[str, int] = {}
    for variant_id, status, pairs in moved:
        if status in STARTED_STATUSES:
            sold[variant_id] = sold.get(variant_id, 0) + pairs
        elif status == "pending_payment":
            pending[variant_id] = pending.get(variant_id, 0) + pairs
        else:
            other_statuses[status] = other_statuses.get(status, 0) + pairs
    now = {
        variant_id: (stock, reserved)
        for variant_id, stock, reserved in db.session.execute(
            text("SELECT id, stock, reserved FROM variants")
        )
    }
    broken = []
    for variant_id in sorted(set(before.stock) | set(now)):
        stock_before, reserved_before = before.stock.get(variant_id, (0, 0))
        stock_after, reserved_after = now.get(variant_id, (0, 0))
        if stock_before != stock_after + sold.get(variant_id, 0) or (
            reserved_after != reserved_before + pending.get(variant_id, 0)
        ):
            broken.append(
                f"variant {variant_id}: stock {stock_before} -> {stock_after}, sold "
                f"{sold.get(variant_id, 0)}, reserved {reserved_before} -> {reserved_after}"
            )
    pairs_sold = sum(sold.values())
    checks.append(
        (
            "sold + on hand = starting stock, every variant",
            not broken,
            f"{len(now):,} variants, {len(sold):,} sold from, {pairs_sold:,} pairs sold"
            + (f"; {len(broken)} broken, e.g. {'; '.join(broken[:3])}" if broken else ""),
        )
    )
    orders = dict(
        db.session.execute(
            text("SELECT status, count(*) FROM orders WHERE id > :after GROUP BY status"),
            {"after": before.max_order_id},
        ).all()
    )
    checkouts = db.session.scalar(
        text("SELECT count(*) FROM checkouts WHERE id > :after"), {"after": before.max_checkout_id}
    )
    captures = db.session.scalar(
        text(
            "SELECT count(*) FROM ledger_transactions t JOIN orders o ON o.id = t.order_id"
            " WHERE o.id > :after AND t.reference = 'capture:order:' || o.id"
        ),
        {"after": before.max_order_id},
    )
    paid = sum(orders.get(status, 0) for status in STARTED_STATUSES)
    checks.append(
        (
            "every 201 checkout is one paid order, one pair, one capture",
            client_checkouts == checkouts == paid == pairs_sold == captures
            and not pending
            and not other_statuses,
            f"{client_checkouts:,} answered 201; database: {checkouts:,} checkouts, orders "
            f"{dict(sorted(orders.items()))}, {pairs_sold:,} pairs, {captures:,} capture postings",
        )
    )
    db.session.commit()
    return checks, {"balance": balance, "pairs_sold": pairs_sold, "orders": orders}
