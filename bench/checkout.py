"""Checkout throughput against gunicorn on loopback (SQLite, 2 workers x 4 threads).

Phase 1 runs BENCH_CHECKOUTS checkouts one after another; phase 2 runs as many again from
BENCH_CLIENTS concurrent clients. Each checkout is two API calls, POST /cart/items then
POST /checkout (Idempotency-Key, sandbox card 4242...). Prints checkouts per second, p50 and
p95 of the checkout request and the errors of each phase, then the ledger's trial balance,
and checks that paid orders and sold pairs match the successful checkouts.
SQLite takes one writer at a time, so the concurrent figure shows queueing, not scaling.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import percentile

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CHECKOUTS = int(os.environ.get("BENCH_CHECKOUTS", "1000"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
PHASE_SECONDS = 120
REQUEST_TIMEOUT = 30
PASSWORD = "bench-checkout-passphrase"
CARD = "4242 4242 4242 4242"
ADDRESS = {
    "name": "Bench Buyer",
    "line1": "1 Loopback Lane",
    "city": "Localhost",
    "postal_code": "12700",
    "country": "US",
}
SIZES = ["40", "41", "42", "43", "44"]
LISTINGS = 4


def seed() -> None:
    """Run inside the served app's environment: a verified seller with listings and the
    buyers; prints their ids as JSON. Called as `python -c` by `prepare`."""
    from marketplace.services import accounts, listings
    from wsgi import app

    stock = int(os.environ["BENCH_STOCK"])
    buyers = int(os.environ["BENCH_BUYERS"])
    with app.app_context():
        seller = accounts.register(
            email="seller@bench.test",
            password=PASSWORD,
            name="Bench Seller",
            account_type="business",
            company_name="Bench Footwear",
            tax_id="BENCH-1",
            sells=True,
        )
        company = accounts.verify_company(seller.company_id)
        listing_ids = []
        for n in range(LISTINGS):
            listing = listings.create_listing(
                company,
                {
                    "title": f"Bench Runner {n}",
                    "brand": "Benchmark",
                    "model": f"Runner {n}",
                    "colorway": "Grey",
                    "category": "running",
                    "gender": "unisex",
                    "description": "A pair for the checkout benchmark.",
                    "b2c": {"enabled": True},
                    "variants": [
                        {
                            "size_eu": size,
                            "sku": f"BENCH-{n}-{size}",
                            "stock": stock,
                            "price_cents": 8900 + 500 * n,
                        }
                        for size in SIZES
                    ],
                },
            )
            listing_ids.append(listing.id)
        for n in range(buyers):
            accounts.register(email=f"buyer{n}@bench.test", password=PASSWORD, name=f"Buyer {n}")
    print(json.dumps({"listings": listing_ids}))


class Api:
    """A JSON client on one keep-alive connection; not shared between threads."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.port = port
        self.token = token
        self.connection: http.client.HTTPConnection | None = None

    def call(self, method: str, path: str, body=None, headers=None) -> tuple[int, dict]:
        reused = self.connection is not None
        try:
            return self._call(method, path, body, headers)
        except (ConnectionError, http.client.RemoteDisconnected):
            # gunicorn drops idle keep-alive connections after 2 s; reads may try again
            if not (reused and method == "GET"):
                raise
            return self._call(method, path, body, headers)

    def _call(self, method: str, path: str, body, headers) -> tuple[int, dict]:
        if self.connection is None:
            self.connection = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=REQUEST_TIMEOUT
            )
        sent = {"Accept": "application/json", **(headers or {})}
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        try:
            self.connection.request(method, "/api/v1" + path, body=data, headers=sent)
            response = self.connection.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        if response.will_close:
            self.close()
        try:
            payload = json.loads(raw) if raw else {}
        except ValueError:
            payload = {"error": {"code": "not_json", "message": raw[:200].decode(errors="replace")}}
        return response.status, payload

    def ok(self, method: str, path: str, body=None, expect: int = 200) -> dict:
        status, payload = self.call(method, path, body)
        if status != expect:
            raise RuntimeError(f"{method} {path}: {status} {payload}")
        return payload

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


@dataclass
class Phase:
    """What one phase measured."""

    name: str
    clients: int
    planned: int
    done: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    elapsed: float = 0.0
    stopped_early: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


def _reason(step: str, status: int, payload: dict) -> str:
    code = (payload.get("error") or {}).get("code", "")
    return f"{step} {status} {code}".strip()


def _empty_cart(api: Api) -> None:
    """After a failed checkout, so the next one buys one pair again."""
    try:
        status, cart = api.call("GET", "/cart")
        for item in cart.get("items", []) if status == 200 else []:
            api.call("DELETE", f"/cart/items/{item['id']}")
    except (OSError, http.client.HTTPException):
        pass


def checkout_once(api: Api, variant_id: int, phase: Phase) -> None:
    """Add one pair and buy the cart, recording the checkout's latency or the error."""
    try:
        status, payload = api.call("POST", "/cart/items", {"variant_id": variant_id, "quantity": 1})
    except (OSError, http.client.HTTPException) as exc:
        with phase.lock:
            phase.errors[f"cart {type(exc).__name__}"] += 1
        return
    if status != 201:
        with phase.lock:
            phase.errors[_reason("cart", status, payload)] += 1
        return
    started = time.perf_counter()
    try:
        status, payload = api.call(
            "POST",
            "/checkout",
            {"shipping_address": ADDRESS, "payment": {"card_number": CARD}},
            {"Idempotency-Key": uuid.uuid4().hex},
        )
    except (OSError, http.client.HTTPException) as exc:
        status, payload = 0, {"error": {"code": type(exc).__name__}}
    elapsed_ms = (time.perf_counter() - started) * 1000
    paid = status == 201 and all(order["status"] == "paid" for order in payload["orders"])
    with phase.lock:
        if paid:
            phase.done += 1
            phase.latencies_ms.append(elapsed_ms)
        else:
            phase.errors[_reason("checkout", status, payload)] += 1
    if not paid:
        _empty_cart(api)


def run_phase(phase: Phase, port: int, tokens: list[str], variants: list[int]) -> None:
    """`phase.planned` checkouts from `phase.clients` threads, each a buyer of its own."""
    deadline = time.monotonic() + PHASE_SECONDS
    issued = iter(range(phase.planned))
    issue_lock = threading.Lock()

    def client(number: int) -> None:
        api = Api(port, tokens[number])
        try:
            while time.monotonic() < deadline:
                with issue_lock:
                    n = next(issued, None)
                if n is None:
                    return
                checkout_once(api, variants[n % len(variants)], phase)
            with issue_lock:
                if next(issued, None) is not None:
                    phase.stopped_early = True
        finally:
            api.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(phase.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    phase.elapsed = time.perf_counter() - started


def print_phase(phase: Phase) -> None:
    attempted = phase.done + sum(phase.errors.values())
    rate = phase.done / phase.elapsed if phase.elapsed else 0.0
    if phase.latencies_ms:
        p50 = statistics.median(phase.latencies_ms)
        p95 = percentile(phase.latencies_ms, 0.95)
        latency = f"checkout p50 {p50:7.1f} ms   p95 {p95:7.1f} ms"
    else:
        latency = "checkout p50       - ms   p95       - ms"
    print(
        f"{phase.name:<32} {phase.done:5d} checkouts in {phase.elapsed:6.1f} s"
        f"   {rate:6.1f} checkouts/s   {latency}   errors {sum(phase.errors.values())}",
        flush=True,
    )
    for reason, count in phase.errors.most_common():
        print(f"    error: {reason} x{count}", flush=True)
    if phase.stopped_early:
        print(
            f"    stopped early at the {PHASE_SECONDS} s bound after {attempted} of "
            f"{phase.planned} checkouts",
            flush=True,
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(env: dict[str, str], *args: str, extra: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        list(args),
        cwd=ROOT,
        env={**env, **(extra or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def prepare(env: dict[str, str], buyers: int, stock: int) -> list[int]:
    """Schema, admin, seller, listings and buyers; the listings' ids."""
    flask = str(BIN / "flask")
    _run(env, flask, "--app", "wsgi", "db", "upgrade")
    _run(env, flask, "--app", "wsgi", "create-admin", "admin@bench.test", "--password", PASSWORD)
    out = _run(
        env,
        sys.executable,
        "-c",
        "from bench.checkout import seed; seed()",
        extra={"BENCH_STOCK": str(stock), "BENCH_BUYERS": str(buyers)},
    )
    return json.loads(out.strip().splitlines()[-1])["listings"]


def start_server(env: dict[str, str], port: int, log_path: Path) -> subprocess.Popen:
    """gunicorn on 127.0.0.1:`port`, answering within 60 s, or an error with its log."""
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "-w", "2", "--threads", "4"]
            + ["-b", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/listings?per_page=1", timeout=2)
            return server
        except OSError:
            if server.poll() is not None:
                break
            time.sleep(0.3)
    stop_server(server)
    raise RuntimeError("gunicorn did not answer:\n" + log_path.read_text()[-3000:])


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


def token_for(port: int, email: str) -> str:
    api = Api(port)
    try:
        return api.ok("POST", "/auth/token", {"email": email, "password": PASSWORD})["token"]
    finally:
        api.close()


def stock_of(seller: Api, listing_ids: list[int]) -> tuple[int, int]:
    """Pairs on hand and pairs reserved over the listings, as their owner sees them."""
    on_hand = reserved = 0
    for listing_id in listing_ids:
        for variant in seller.ok("GET", f"/listings/{listing_id}")["variants"]:
            on_hand += variant["stock"]
            reserved += variant["reserved"]
    return on_hand, reserved


def variant_ids(seller: Api, listing_ids: list[int]) -> list[int]:
    return [
        variant["id"]
        for listing_id in listing_ids
        for variant in seller.ok("GET", f"/listings/{listing_id}")["variants"]
    ]


def check(label: str, passed: bool, detail: str) -> bool:
    print(f"{'OK  ' if passed else 'FAIL'} {label}: {detail}", flush=True)
    return passed


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="solemate-bench-checkout-"))
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"sqlite:///{folder / 'bench.db'}",
        SOLEMATE_CONFIG="development",
        RATELIMIT_ENABLED="false",
        SECRET_KEY="bench",
        UPLOAD_DIR=str(folder / "uploads"),
        PYTHONUNBUFFERED="1",
    )
    env.pop("TEST_DATABASE_URL", None)
    clients = max(1, CLIENTS)
    buyers = clients
    # every variant could take every checkout: no run can sell out whatever the split
    stock_per_size = 2 * CHECKOUTS + 10
    started = time.monotonic()
    listing_ids = prepare(env, buyers, stock_per_size)
    port = _free_port()
    server = start_server(env, port, folder / "gunicorn.log")
    keep = False
    try:
        tokens = [token_for(port, f"buyer{n}@bench.test") for n in range(buyers)]
        seller = Api(port, token_for(port, "seller@bench.test"))
        admin = Api(port, token_for(port, "admin@bench.test"))
        variants = variant_ids(seller, listing_ids)
        stock_before, _ = stock_of(seller, listing_ids)
        print(
            f"gunicorn -w 2 --threads 4 on 127.0.0.1:{port}, SQLite; {buyers} buyers, "
            f"{len(variants)} sizes x {stock_per_size} pairs; ready in "
            f"{time.monotonic() - started:.1f}s",
            flush=True,
        )

        phases = [
            Phase("phase 1: sequential, 1 client", 1, CHECKOUTS),
            Phase(f"phase 2: {clients} concurrent clients", clients, CHECKOUTS),
        ]
        for phase in phases:
            run_phase(phase, port, tokens, variants)
            print_phase(phase)

        succeeded = sum(phase.done for phase in phases)
        balance = admin.ok("GET", "/admin/ledger/trial-balance")
        print(
            f"trial balance: debits {balance['total_debits_cents']} cents, credits "
            f"{balance['total_credits_cents']} cents, balanced {balance['balanced']}",
            flush=True,
        )
        paid = seller.ok("GET", "/orders?role=seller&status=paid&per_page=1")["total"]
        placed = seller.ok("GET", "/orders?role=seller&per_page=1")["total"]
        stock_after, reserved_after = stock_of(seller, listing_ids)
        results = [
            check("ledger balanced", balance["balanced"], json.dumps(balance)),
            check(
                "paid orders = successful checkouts",
                paid == succeeded,
                f"{paid} paid orders ({placed} orders in all), {succeeded} checkouts",
            ),
            check(
                "stock down by the pairs sold",
                stock_before - stock_after == succeeded,
                f"{stock_before} -> {stock_after} pairs ({stock_before - stock_after} sold), "
                f"{succeeded} checkouts of one pair",
            ),
            check("no pairs left reserved", reserved_after == 0, f"{reserved_after} reserved"),
        ]
        keep = not all(results)
        seller.close()
        admin.close()
    except BaseException:
        keep = True
        raise
    finally:
        stop_server(server)
        if keep:
            print(f"database and gunicorn log kept in {folder}", flush=True)
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
