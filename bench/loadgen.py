"""The load of `make load`: locust users browsing the catalog and checking out, headless.

Run by bench/load.py as `python -m bench.loadgen PLAN.json RESULT.json` (its own process:
locust patches the standard library with gevent, which the database side must not see).
The plan names the server, the run's length, the users and their pace, the buyers' tokens
and what they may buy; the result holds counts, rates and exact latency percentiles per
kind of request, computed from every request (not locust's rounded histogram).

Catalog users (anonymous) search the API and the HTML catalog with random words, filters,
sorts and pages, and open listings; checkout users (one buyer each, bearer token) put one
pair in the cart (POST /api/v1/cart/items) and buy it (POST /api/v1/checkout with an
Idempotency-Key and the sandbox card). A 409 `out_of_stock` is counted apart from errors;
the pair is then taken out of the cart. Users keep a constant pace (locust's
constant_throughput); a pace of 0 means no wait at all.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import random
import sys
import time
import uuid
from collections import Counter, defaultdict
from urllib.parse import urlencode

import gevent
from locust import FastHttpUser, constant, constant_throughput, events, task
from locust.env import Environment

PLAN: dict = {}
CARD = "4242424242424242"
ADDRESS = {
    "name": "Load Buyer",
    "line1": "1 Loopback Lane",
    "city": "Localhost",
    "postal_code": "12700",
    "country": "US",
}
CATALOG_KINDS = ("API search", "API listing", "HTML catalog", "HTML listing")
CHECKOUT_KINDS = ("cart add", "checkout", "cart cleanup")
# Sent as nginx does in front of gunicorn (deploy/nginx-solemate.conf): production trusts one
# proxy hop (PROXY_HOPS=1) and redirects plain HTTP to HTTPS.
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "127.0.0.1"}


WINDOW_SECONDS = 5


class Recorder:
    """Every request's start, latency and outcome, by kind."""

    def __init__(self) -> None:
        self.started = 0.0
        self.measure_from = 0.0
        self.stopped_at = 0.0
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.counts: dict[str, Counter] = defaultdict(Counter)
        self.reasons: Counter = Counter()
        self.checkouts_paid = 0
        self.checkouts_paid_measured = 0
        # Latencies by the 5 s window their request started in, warm-up included: a cache
        # gone cold or a stall shows as a bad window that one p95 for the run would hide.
        self.windows: dict[int, list[float]] = defaultdict(list)

    def request(
        self,
        name: str,
        response_time: float,
        response=None,
        context: dict | None = None,
        exception: Exception | None = None,
        start_time: float | None = None,
        **_ignored,
    ) -> None:
        """The listener of locust's `request` event."""
        status = getattr(response, "status_code", 0) or 0
        if exception is None and 200 <= status < 300:
            outcome = "ok"
        elif status == 409 and (context or {}).get("out_of_stock"):
            outcome = "out_of_stock"
        else:
            outcome = "error"
            code = ""
            with contextlib.suppress(ValueError, KeyError, TypeError, AttributeError):
                code = json.loads(response.text)["error"]["code"] if response is not None else ""
            detail = code or (type(exception).__name__ if exception else "")
            if exception is not None and not status:
                detail = f"{type(exception).__name__}: {exception}"[:120]
            self.reasons[f"{name}: {status or 'no answer'} {detail}".strip()] += 1
        self.counts[name][outcome] += 1
        measured = (start_time or time.time()) >= self.measure_from
        self.counts[name]["measured" if measured else "warm-up"] += 1
        if measured and outcome != "error":
            self.latencies[name].append(float(response_time))
        if outcome != "error":
            started = (start_time or time.time()) - self.started
            self.windows[int(started // WINDOW_SECONDS)].append(float(response_time))


RECORDER = Recorder()


@events.request.add_listener
def _on_request(**kwargs) -> None:
    RECORDER.request(**kwargs)


def pace(per_second: float):
    return constant_throughput(per_second) if per_second > 0 else constant(0)


def catalog_args(rng: random.Random, html: bool) -> dict:
    """A shopper's catalog request: words, filters, a sort and a page, in random mixes."""
    vocab = PLAN["vocabulary"]
    args: dict = {}
    if rng.random() < 0.45:
        args["q"] = rng.choice(vocab["searches"])
    if rng.random() < 0.2:
        args["brand"] = rng.choice(vocab["brands"])
    if rng.random() < 0.2:
        args["category"] = rng.choice(vocab["categories"])
    if rng.random() < 0.25:
        args["gender"] = rng.choice(("men", "women", "unisex", "kids"))
    if rng.random() < 0.15:
        args["size_eu"] = rng.choice(vocab["sizes"])
    if rng.random() < 0.1:
        low = rng.choice((40, 60, 80, 100, 120))
        high = low + rng.choice((20, 40, 80))
        if html:
            args["min_price"], args["max_price"] = str(low), str(high)
        else:
            args["min_price_cents"], args["max_price_cents"] = low * 100, high * 100
    if rng.random() < 0.4:
        args["sort"] = rng.choice(("price_asc", "price_desc", "newest"))
    roll = rng.random()
    if roll < 0.22:
        args["page"] = rng.randint(2, 5)
    elif roll < 0.3:
        args["page"] = rng.randint(6, 50)
    return args


class Popularity:
    """Which listings and catalog queries shoppers ask for. Shop traffic is skewed: a few
    pairs and searches draw most visits and a long tail the rest, which is what a Zipf law
    (weight 1/rank, exponent PLAN["zipf"]) models; with PLAN["zipf"] == 0 every listing is
    as likely as any other and every catalog query is freshly random (the worst case for
    caches)."""

    def __init__(self) -> None:
        rng = random.Random(2026)
        self.exponent = float(PLAN.get("zipf", 0))
        self.listing_ids = list(PLAN["listing_ids"])
        rng.shuffle(self.listing_ids)
        self.queries = {
            html: [catalog_args(rng, html) for _ in range(int(PLAN.get("distinct_queries", 2000)))]
            for html in (False, True)
        }
        self.listing_weights = self._cumulative(len(self.listing_ids))
        self.query_weights = self._cumulative(len(self.queries[False]))

    def _cumulative(self, count: int) -> list[float]:
        return list(itertools.accumulate(1 / rank**self.exponent for rank in range(1, count + 1)))

    def listing(self, rng: random.Random) -> int:
        if not self.exponent:
            return rng.choice(self.listing_ids)
        return rng.choices(self.listing_ids, cum_weights=self.listing_weights)[0]

    def query(self, rng: random.Random, html: bool) -> dict:
        if not self.exponent:
            return catalog_args(rng, html)
        return rng.choices(self.queries[html], cum_weights=self.query_weights)[0]


POPULAR: list[Popularity] = []


class CatalogUser(FastHttpUser):
    """An anonymous shopper: searches and listing pages, API and HTML."""

    default_headers = PROXY_HEADERS
    network_timeout = 10.0
    connection_timeout = 10.0

    def on_start(self) -> None:
        self.rng = random.Random()
        self.popular = POPULAR[0]

    @task(35)
    def api_search(self) -> None:
        query = urlencode(self.popular.query(self.rng, html=False))
        self.client.get(f"/api/v1/listings?{query}", name="API search")

    @task(25)
    def api_listing(self) -> None:
        listing_id = self.popular.listing(self.rng)
        self.client.get(f"/api/v1/listings/{listing_id}", name="API listing")

    @task(20)
    def html_catalog(self) -> None:
        query = urlencode(self.popular.query(self.rng, html=True))
        self.client.get(f"/catalog?{query}", name="HTML catalog")

    @task(20)
    def html_listing(self) -> None:
        listing_id = self.popular.listing(self.rng)
        self.client.get(f"/listings/{listing_id}", name="HTML listing")


TOKENS: itertools.count = itertools.count()


class CheckoutUser(FastHttpUser):
    """A buyer (one account, one cart): one pair into the cart, then checkout."""

    default_headers = PROXY_HEADERS
    network_timeout = 10.0
    connection_timeout = 10.0

    def on_start(self) -> None:
        self.rng = random.Random()
        token = PLAN["tokens"][next(TOKENS) % len(PLAN["tokens"])]
        self.auth = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self.clean_cart()

    def clean_cart(self, item_ids: list[int] | None = None) -> None:
        """Take lines out of the cart (all of them when not named), so it holds one pair."""
        if item_ids is None:
            with self.client.get(
                "/api/v1/cart", headers=self.auth, name="cart cleanup", catch_response=True
            ) as response:
                try:
                    item_ids = [item["id"] for item in response.json()["items"]]
                except (ValueError, KeyError, TypeError):
                    response.failure(f"cart {response.status_code}")
                    return
        for item_id in item_ids:
            self.client.delete(
                f"/api/v1/cart/items/{item_id}", headers=self.auth, name="cart cleanup"
            )

    @task
    def buy_one_pair(self) -> None:
        scarce = PLAN["scarce"] and self.rng.random() < PLAN["scarce_share"]
        variant_id = self.rng.choice(PLAN["scarce"] if scarce else PLAN["plentiful"])
        with self.client.post(
            "/api/v1/cart/items",
            json={"variant_id": variant_id, "quantity": 1},
            headers=self.auth,
            name="cart add",
            catch_response=True,
        ) as response:
            if response.status_code != 201:
                response.failure(f"cart add {response.status_code}")
                self.clean_cart()
                return
            items = response.json()["items"]
            if len(items) != 1 or items[0]["quantity"] != 1:
                response.failure(f"cart holds {len(items)} lines")
                self.clean_cart()
                return
        out_of_stock = False
        with self.client.post(
            "/api/v1/checkout",
            json={"shipping_address": ADDRESS, "payment": {"card_number": CARD}},
            headers={**self.auth, "Idempotency-Key": str(uuid.uuid4())},
            name="checkout",
            catch_response=True,
        ) as response:
            if response.status_code == 201:
                orders = response.json().get("orders") or []
                if [order["status"] for order in orders] != ["paid"]:
                    response.failure(f"checkout answered orders {orders}")
                    return
                RECORDER.checkouts_paid += 1
                if time.time() >= RECORDER.measure_from:
                    RECORDER.checkouts_paid_measured += 1
                return
            code = ""
            with contextlib.suppress(ValueError, KeyError, TypeError):
                code = response.json()["error"]["code"]
            if response.status_code == 409 and code == "out_of_stock":
                out_of_stock = True
                response.request_meta["context"]["out_of_stock"] = True
                response.success()
            else:
                response.failure(f"checkout {response.status_code} {code}")
        # the cart was kept: take the pair out (just it after out_of_stock, else everything)
        self.clean_cart([items[0]["id"]] if out_of_stock else None)


def percentile(ordered: list[float], share: float) -> float | None:
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def figures(names: tuple[str, ...], window: float) -> dict:
    latencies = sorted(x for name in names for x in RECORDER.latencies.get(name, []))
    counts = Counter()
    for name in names:
        counts.update(RECORDER.counts.get(name, Counter()))
    measured = counts["measured"]
    return {
        "requests": counts["ok"] + counts["out_of_stock"] + counts["error"],
        "measured": measured,
        "rps": measured / window if window > 0 else 0.0,
        "p50": percentile(latencies, 0.50),
        "p95": percentile(latencies, 0.95),
        "p99": percentile(latencies, 0.99),
        "max": latencies[-1] if latencies else None,
        "errors": counts["error"],
        "out_of_stock": counts["out_of_stock"],
    }


def main(plan_path: str, result_path: str) -> None:
    with open(plan_path) as plan:
        PLAN.update(json.load(plan))
    POPULAR.append(Popularity())
    CatalogUser.fixed_count = PLAN["catalog_users"]
    CatalogUser.wait_time = pace(PLAN["catalog_rate_per_user"])
    CheckoutUser.fixed_count = PLAN["checkout_users"]
    CheckoutUser.wait_time = pace(PLAN["checkout_rate_per_user"])
    classes = [cls for cls in (CatalogUser, CheckoutUser) if cls.fixed_count]
    env = Environment(user_classes=classes, host=PLAN["host"], events=events, stop_timeout=15)
    runner = env.create_local_runner()
    users = PLAN["catalog_users"] + PLAN["checkout_users"]
    seconds = float(PLAN["seconds"])
    RECORDER.started = time.time()
    RECORDER.measure_from = RECORDER.started + float(PLAN["warmup"])
    # Shoppers arrive over most of the warm-up rather than all in one instant: a burst of
    # new connections is accepted by whichever worker wakes first, which then keeps them all
    # (keep-alive), an imbalance that real arrivals do not have.
    spawn_seconds = max(1.0, 0.8 * float(PLAN["warmup"]))
    runner.start(users, spawn_rate=max(users / spawn_seconds, 1))
    gevent.sleep(seconds)
    RECORDER.stopped_at = time.time()
    runner.quit()  # users finish the task in hand (stop_timeout), then stop
    finished_at = time.time()
    window = RECORDER.stopped_at - RECORDER.measure_from
    groups = {kind: figures((kind,), window) for kind in CATALOG_KINDS + CHECKOUT_KINDS}
    groups["catalog (all)"] = figures(CATALOG_KINDS, window)
    groups["overall"] = figures(CATALOG_KINDS + CHECKOUT_KINDS, window)
    result = {
        "window_seconds": window,
        "warmup_seconds": float(PLAN["warmup"]),
        "load_seconds": RECORDER.stopped_at - RECORDER.started,
        "drain_seconds": finished_at - RECORDER.stopped_at,
        "groups": groups,
        "checkouts_paid": RECORDER.checkouts_paid,
        "checkouts_paid_measured": RECORDER.checkouts_paid_measured,
        "checkouts_per_second": RECORDER.checkouts_paid_measured / window if window > 0 else 0,
        "windows": [
            {
                "from_second": index * WINDOW_SECONDS,
                "requests": len(values),
                "p95": percentile(sorted(values), 0.95),
            }
            for index, values in sorted(RECORDER.windows.items())
        ],
        "error_reasons": dict(RECORDER.reasons.most_common()),
        "locust_exceptions": [row["msg"] for row in runner.exceptions.values()],
    }
    with open(result_path, "w") as out:
        json.dump(result, out, indent=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
