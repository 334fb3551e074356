"""A 500-line CSV order priced and placed, printing seconds.

In-process on a fresh migrated SQLite file: one verified selling company with wholesale
listings (10 sizes each, tiers 1+/20+/100+, MOQ 1, plenty of stock), one verified buying
company with a large credit limit. For each file size (500 lines, then 1,000 and 2,000 while
the whole run stays within BENCH_CSV_BUDGET seconds) it times:

  (a) parse + price: wholesale.lines_from_csv and wholesale.plan, nothing written;
  (b) place: wholesale.order_from_csv(buyer, csv, payment_terms="net30", po_number="BENCH");
  (c) HTTP: POST /api/v1/b2b/orders/import through the Flask test client (multipart file).

Every line is a distinct SKU (quantities 1-4, so each listing reaches the 20+ tier); the
bench checks the order lines created and the order total against its own pricing of the
file, and the ledger's trial balance. BENCH_CSV_LINES=500,5000 picks other file sizes.
"""

from __future__ import annotations

import io
import os
import shutil
import time
from collections import defaultdict
from pathlib import Path

from sqlalchemy import func, select

from bench.common import counting_queries, fresh_app
from marketplace import sizes
from marketplace.extensions import db
from marketplace.services import accounts, ledger, listings, wholesale
from models import Account, OrderLine

LINE_COUNTS = [int(n) for n in os.environ.get("BENCH_CSV_LINES", "500,1000,2000").split(",")]
BUDGET_SECONDS = float(os.environ.get("BENCH_CSV_BUDGET", "30"))
PASSWORD = "bench-csv-order-passphrase"
SIZES_PER_LISTING = 10
STOCK = 1_000
RETAIL_CENTS = 11_999
TIERS = [(1, 6_000), (20, 5_500), (100, 5_000)]  # (min pairs, unit price in cents)
CREDIT_LIMIT_CENTS = 1_000_000_000  # $10M: every order of the run fits on net-30


def quantity_of(index: int) -> int:
    return 1 + index % 4


def sku_of(listing: int, size: int) -> str:
    return f"CSV-{listing:04d}-{size:02d}"


def seed(skus: int) -> tuple[int, list[str]]:
    """Seller, listings and buyer; the buyer's id and the SKUs in listing order."""
    seller = accounts.register(
        email="seller@csv.bench.test",
        password=PASSWORD,
        name="CSV Seller",
        account_type="business",
        company_name="CSV Wholesale Footwear",
        tax_id="CSV-SELL-1",
        sells=True,
    )
    company = accounts.verify_company(seller.company_id)
    run = list(sizes.MEN)[:SIZES_PER_LISTING]
    all_skus = []
    for n in range((skus + SIZES_PER_LISTING - 1) // SIZES_PER_LISTING):
        variants = [
            {"size_eu": size, "sku": sku_of(n, i), "stock": STOCK, "price_cents": RETAIL_CENTS}
            for i, size in enumerate(run)
        ]
        listings.create_listing(
            company,
            {
                "title": f"CSV Trainer {n}",
                "brand": "Benchmark",
                "model": f"Trainer {n}",
                "colorway": "Grey",
                "category": "running",
                "gender": "men",
                "description": "A pair for the CSV order benchmark.",
                "b2c": {"enabled": False},
                "b2b": {
                    "enabled": True,
                    "moq": 1,
                    "order_multiple": 1,
                    "tiers": [{"min_qty": q, "unit_price_cents": p} for q, p in TIERS],
                },
                "variants": variants,
            },
        )
        all_skus += [variant["sku"] for variant in variants]
    buyer = accounts.register(
        email="buyer@csv.bench.test",
        password=PASSWORD,
        name="CSV Buyer",
        account_type="business",
        company_name="CSV Retail Chain",
        tax_id="CSV-BUY-1",
        buys_wholesale=True,
    )
    accounts.verify_company(buyer.company_id, credit_limit_cents=CREDIT_LIMIT_CENTS)
    return buyer.id, all_skus


def csv_file(skus: list[str]) -> bytes:
    rows = ["sku,quantity"] + [f"{sku},{quantity_of(i)}" for i, sku in enumerate(skus)]
    return ("\n".join(rows) + "\n").encode()


def expected_total(skus: list[str]) -> int:
    """The file priced independently: each listing's pairs at the tier its total reaches."""
    pairs: dict[str, int] = defaultdict(int)
    for i, sku in enumerate(skus):
        pairs[sku.rsplit("-", 1)[0]] += quantity_of(i)
    total = 0
    for count in pairs.values():
        unit = [price for min_qty, price in TIERS if min_qty <= count][-1]
        total += unit * count
    return total


def lines_of(order_ids: list[int]) -> int:
    return db.session.scalar(
        select(func.count(OrderLine.id)).where(OrderLine.order_id.in_(order_ids))
    )


def check(label: str, passed: bool, detail: str) -> bool:
    print(f"    {'OK  ' if passed else 'FAIL'} {label}: {detail}", flush=True)
    return passed


def run_size(app, buyer_id: int, skus: list[str], token: str, tag: str) -> tuple[float, bool]:
    """Time (a), (b) and (c) on a file of len(skus) lines; seconds taken and all checks."""
    data = csv_file(skus)
    want = expected_total(skus)
    n = len(skus)
    results = []
    started = time.perf_counter()

    with app.app_context():
        buyer = db.session.get(Account, buyer_id)
        with counting_queries(db.engine) as queries:
            t0 = time.perf_counter()
            lines = wholesale.lines_from_csv(data)
            planned = wholesale.plan(buyer, lines)
            parse_s = time.perf_counter() - t0
        priced = sum(order.subtotal_cents for order in planned)
        db.session.rollback()
    print(
        f"  {n:5d} lines (a) parse + price  {parse_s:7.3f} s   {queries[0]:6d} queries"
        f"   {len(lines)} lines, {len(planned)} order(s), {priced / 100:,.2f} USD",
        flush=True,
    )
    results.append(check("priced total", priced == want, f"{priced} cents, expected {want}"))

    with app.app_context():
        buyer = db.session.get(Account, buyer_id)
        with counting_queries(db.engine) as queries:
            t0 = time.perf_counter()
            placed = wholesale.order_from_csv(
                buyer, data, payment_terms="net30", po_number=f"BENCH-{tag}"
            )
            place_s = time.perf_counter() - t0
        ids = [order.id for order in placed]
        total = sum(order.total_cents for order in placed)
        created = lines_of(ids)
        statuses = sorted({order.status for order in placed})
    print(
        f"  {n:5d} lines (b) order_from_csv {place_s:7.3f} s   {queries[0]:6d} queries"
        f"   {created} order lines in {len(ids)} order(s), total {total / 100:,.2f} USD"
        f" ({', '.join(statuses)})",
        flush=True,
    )
    results.append(check("order lines", created == n, f"{created} created for {n} CSV lines"))
    results.append(check("order total", total == want, f"{total} cents, expected {want}"))

    client = app.test_client()
    with app.app_context():
        engine = db.engine
    with counting_queries(engine) as queries:
        t0 = time.perf_counter()
        response = client.post(
            "/api/v1/b2b/orders/import",
            data={
                "file": (io.BytesIO(data), "order.csv", "text/csv"),
                "payment_terms": "net30",
                "po_number": f"BENCH-HTTP-{tag}",
            },
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            content_type="multipart/form-data",
        )
        http_s = time.perf_counter() - t0
    body = response.get_json(silent=True) or {}
    http_orders = body.get("orders", [])
    http_total = sum(order["total_cents"] for order in http_orders)
    with app.app_context():
        http_lines = lines_of([order["id"] for order in http_orders])
    print(
        f"  {n:5d} lines (c) HTTP import    {http_s:7.3f} s   {queries[0]:6d} queries"
        f"   {response.status_code}, {http_lines} order lines in {len(http_orders)} order(s),"
        f" total {http_total / 100:,.2f} USD",
        flush=True,
    )
    if response.status_code != 201:
        print(f"    response: {response.get_data(as_text=True)[:500]}", flush=True)
    results.append(check("HTTP status", response.status_code == 201, str(response.status_code)))
    results.append(check("HTTP order lines", http_lines == n, f"{http_lines} created for {n}"))
    results.append(check("HTTP order total", http_total == want, f"{http_total}, expected {want}"))

    with app.app_context():
        balance = ledger.trial_balance()
    results.append(
        check(
            "trial balance",
            balance["balanced"],
            f"debits {balance['total_debits_cents']} cents, credits "
            f"{balance['total_credits_cents']} cents, "
            f"{balance['unbalanced_transactions']} unbalanced transactions",
        )
    )
    return time.perf_counter() - started, all(results)


def main() -> None:
    started = time.perf_counter()
    app = fresh_app()
    with app.app_context():
        buyer_id, skus = seed(max(LINE_COUNTS))
    client = app.test_client()
    response = client.post(
        "/api/v1/auth/token", json={"email": "buyer@csv.bench.test", "password": PASSWORD}
    )
    token = response.get_json()["token"]
    print(
        f"SQLite in-process; {len(skus)} SKUs on {len(skus) // SIZES_PER_LISTING} listings, "
        f"net-30 credit {CREDIT_LIMIT_CENTS / 100:,.0f} USD; ready in "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )
    verdicts = []
    previous: tuple[int, float] | None = None
    for n in LINE_COUNTS:
        spent = time.perf_counter() - started
        if previous is not None:
            # project from the last size, assuming time grows at least in proportion
            projected = previous[1] * n / previous[0]
            if spent + projected > BUDGET_SECONDS:
                print(
                    f"  {n:5d} lines skipped: about {projected:.0f} s more would pass the "
                    f"{BUDGET_SECONDS:.0f} s budget ({spent:.0f} s spent)",
                    flush=True,
                )
                break
        seconds, ok = run_size(app, buyer_id, skus[:n], token, str(n))
        verdicts.append(ok)
        previous = (n, seconds)
    passed = bool(verdicts) and all(verdicts)
    print(
        f"{'OK' if passed else 'FAIL'}: csv_order in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    folder = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")).parent
    with app.app_context():
        db.engine.dispose()
    if passed:
        shutil.rmtree(folder, ignore_errors=True)
    else:
        print(f"database kept in {folder}", flush=True)


if __name__ == "__main__":
    main()
