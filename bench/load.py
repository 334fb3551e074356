"""`make load`: the B2C browse-and-checkout mix against gunicorn on PostgreSQL, 50,000 listings.

1. PostgreSQL on 127.0.0.1:5432 (started if down), database LOAD_DATABASE_URL (default
   solemate_load), schema by `flask db upgrade`; the demo shop scaled to LOAD_LISTINGS
   listings (bench/load_data.py; reused while it has that many, LOAD_RESEED=1 starts over).
2. Buyers (LOAD_CHECKOUT_USERS, registered once), checkout targets restocked, a snapshot
   of every variant's stock.
3. gunicorn with the repo's gunicorn.conf.py (GUNICORN_WORKERS/GUNICORN_THREADS apply) on a
   free 127.0.0.1 port, in the production configuration (deploy/env.example), behind no
   proxy: requests carry the X-Forwarded-Proto/-For headers nginx would add.
4. Buyers' tokens from POST /api/v1/auth/token, then LOAD_SECONDS (at most 60) of locust
   load (bench/loadgen.py): anonymous catalog traffic at LOAD_CATALOG_RPS and checkouts at
   LOAD_CHECKOUT_RPS; the first LOAD_WARMUP seconds are left out of rates and latencies
   (not out of the error count). Users arrive over most of the warm-up, and Redis starts
   empty, so the warm-up is also when the visitors' cache fills; p95 by 5 s window, warm-up
   included, is printed too.
5. gunicorn stopped (also on failure), figures printed, then the ledger's trial balance and
   the stock audit (bench/load_data.audit).

Exit status 1 on any error response, an unbalanced ledger, a stock mismatch or checkouts the
database does not match; missed speed targets fail too with LOAD_STRICT=1.

Why production settings: they are what deploy/ runs (no debug logging, HTTPS-only cookies,
redirect to HTTPS unless the proxy says the request came over it). Rate limits stay on as
deployed: the load never calls a limited route (buyers are registered through the accounts
service before the server starts, and POST /auth/token only counts failed sign-ins).

Settings (environment): LOAD_SECONDS (60, at most 60), LOAD_WARMUP (15), LOAD_LISTINGS
(50000), LOAD_DATABASE_URL (loopback only), LOAD_REDIS_URL (redis://127.0.0.1:6379/11,
loopback only, emptied before the run), LOAD_RESEED=1, LOAD_CATALOG_RPS (310; 0 = no
wait), LOAD_CATALOG_USERS (64), LOAD_CHECKOUT_RPS (33; 0 = no wait), LOAD_CHECKOUT_USERS
(16, one buyer each), LOAD_TARGET_LISTINGS (200) x LOAD_TARGET_STOCK (1000 pairs a size),
LOAD_SCARCE_VARIANTS (4) x LOAD_SCARCE_STOCK (3) bought by LOAD_SCARCE_SHARE (0.05) of the
checkouts, so buyers race for the last pairs; LOAD_ZIPF (1.0) and LOAD_DISTINCT_QUERIES
(2000): how skewed the catalog traffic is (0 = uniform, every query new); LOAD_STRICT=1;
GUNICORN_WORKERS, GUNICORN_THREADS and PGOPTIONS reach gunicorn unchanged. Logs and JSON
results go to bench/results/load/.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import psutil
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results" / "load"
MAX_SECONDS = 60
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "127.0.0.1"}
TARGETS = {"catalog_rps": 300.0, "checkouts_per_second": 30.0, "p95_ms": 150.0}


def setting(name: str, default: str) -> str:
    return os.environ.get(name, default).strip() or default


SECONDS = min(MAX_SECONDS, max(1, int(float(setting("LOAD_SECONDS", "60")))))
WARMUP = min(max(0.0, float(setting("LOAD_WARMUP", "15"))), SECONDS / 2)
LISTINGS = int(setting("LOAD_LISTINGS", "50000"))
DATABASE_URL = setting("LOAD_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/solemate_load")
# Rate-limit counters and the visitors' cache, as deployed (deploy/env.example); emptied first.
REDIS_URL = setting("LOAD_REDIS_URL", "redis://127.0.0.1:6379/11")
RESEED = setting("LOAD_RESEED", "0") in ("1", "true", "yes")
# Offered just above the targets (300 catalog requests/s, 30 paid checkouts/s; a few
# checkouts end sold out by design, so checkouts are offered with 10 % to spare).
CATALOG_RPS = float(setting("LOAD_CATALOG_RPS", "310"))
CHECKOUT_RPS = float(setting("LOAD_CHECKOUT_RPS", "33"))
CATALOG_USERS = int(setting("LOAD_CATALOG_USERS", "64"))
CHECKOUT_USERS = int(setting("LOAD_CHECKOUT_USERS", "16"))
TARGET_LISTINGS = int(setting("LOAD_TARGET_LISTINGS", "200"))
TARGET_STOCK = int(setting("LOAD_TARGET_STOCK", "1000"))
SCARCE_VARIANTS = int(setting("LOAD_SCARCE_VARIANTS", "4"))
SCARCE_STOCK = int(setting("LOAD_SCARCE_STOCK", "3"))
SCARCE_SHARE = float(setting("LOAD_SCARCE_SHARE", "0.05"))
STRICT = setting("LOAD_STRICT", "0") in ("1", "true", "yes")
# Popularity of listings and catalog queries: Zipf with this exponent over every listing and
# over LOAD_DISTINCT_QUERIES queries; 0 makes every choice uniform (no two queries alike).
ZIPF = float(setting("LOAD_ZIPF", "1.0"))
DISTINCT_QUERIES = int(setting("LOAD_DISTINCT_QUERIES", "2000"))


def log(message: str) -> None:
    print(message, flush=True)


def loopback_only(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"{url} must point at the loopback interface, not {host!r}")


def app_environment(port: int) -> dict[str, str]:
    """The production settings (deploy/env.example) for this machine's loopback."""
    env = dict(os.environ)
    env.pop("TEST_DATABASE_URL", None)
    env.update(
        SOLEMATE_CONFIG="production",
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=REDIS_URL,
        SECRET_KEY=secrets.token_hex(32),
        WEBHOOK_SECRET="whsec_" + secrets.token_hex(16),
        TOTP_KEYS=Fernet.generate_key().decode(),
        UPLOAD_DIR=str(RESULTS / "uploads"),
        GUNICORN_BIND=f"127.0.0.1:{port}",
        PYTHONUNBUFFERED="1",
    )
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http(port: int, method: str, path: str, body: dict | None = None, timeout: float = 10):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={**PROXY_HEADERS, "Accept": "application/json", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, {}


def start_gunicorn(env: dict[str, str], port: int, log_path: Path) -> subprocess.Popen:
    """gunicorn -c gunicorn.conf.py wsgi:app, answering within 60 s, or an error with its log."""
    with open(log_path, "w") as out:
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            status, _ = http(port, "GET", "/api/v1/listings?per_page=1", timeout=5)
            if status == 200:
                return server
        except OSError:
            pass
        if server.poll() is not None:
            break
        time.sleep(0.3)
    stop_gunicorn(server)
    raise RuntimeError("gunicorn did not answer:\n" + log_path.read_text()[-3000:])


def stop_gunicorn(server: subprocess.Popen) -> None:
    """SIGTERM to the master (graceful), SIGKILL to its process group after 30 s."""
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


def tokens(port: int, emails: list[str], password: str) -> list[str]:
    def one(email: str) -> str:
        status, body = http(
            port, "POST", "/api/v1/auth/token", {"email": email, "password": password}
        )
        if status != 200:
            raise RuntimeError(f"POST /api/v1/auth/token for {email}: {status} {body}")
        return body["token"]

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(one, emails))


def cpu_seconds(process: psutil.Process | None) -> float:
    """CPU time of a process, its live children and its children already reaped."""
    if process is None:
        return 0.0
    try:
        times = process.cpu_times()
        total = times.user + times.system + times.children_user + times.children_system
        for child in process.children(recursive=True):
            try:
                child_times = child.cpu_times()
                total += child_times.user + child_times.system
            except psutil.NoSuchProcess:
                pass
        return total
    except psutil.NoSuchProcess:
        return 0.0


def python_loop_seconds() -> float:
    """Seconds this interpreter takes for ten million additions in a plain loop at module
    level (as `python -c` runs it): a rough gauge of how fast the machine runs Python at the
    moment, by which README Performance compares machines and one machine's moments."""
    loop = compile(
        "total = 0\nfor number in range(10_000_000):\n    total += number\n", "gauge", "exec"
    )
    started = time.perf_counter()
    exec(loop, {})
    return time.perf_counter() - started


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (every process, all cores)."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


ROUTES = [
    (re.compile(r'"GET /api/v1/listings\?'), "API search"),
    (re.compile(r'"GET /api/v1/listings/\d+ '), "API listing"),
    (re.compile(r'"GET /catalog[? ]'), "HTML catalog"),
    (re.compile(r'"GET /listings/\d+ '), "HTML listing"),
    (re.compile(r'"POST /api/v1/cart/items '), "cart add"),
    (re.compile(r'"POST /api/v1/checkout '), "checkout"),
]
SERVED_IN = re.compile(r'" (\d{3}) \S+ (\d+)ms "')
WORKER = re.compile(r" <(\d+)> ")


def server_times(log_path: Path, start: int, end: int) -> tuple[dict[str, dict], list[dict]]:
    """Time spent inside gunicorn per kind of request (its access log, %(M)s), between two
    offsets of the log: what the client waited beyond it was queueing before a thread. And
    each worker's share: requests served and milliseconds spent serving them."""
    with open(log_path, "rb") as log_file:
        log_file.seek(start)
        text = log_file.read(end - start).decode(errors="replace")
    times: dict[str, list[int]] = {}
    workers: dict[str, dict] = {}
    for line in text.splitlines():
        served = SERVED_IN.search(line)
        if not served:
            continue
        if worker := WORKER.search(line):
            share = workers.setdefault(worker.group(1), {"requests": 0, "busy_ms": 0})
            share["requests"] += 1
            share["busy_ms"] += int(served.group(2))
        for pattern, kind in ROUTES:
            if pattern.search(line):
                times.setdefault(kind, []).append(int(served.group(2)))
                break
    figures = {}
    for kind, values in times.items():
        values.sort()
        figures[kind] = {
            "count": len(values),
            "mean": sum(values) / len(values),
            "p50": values[len(values) // 2],
            "p95": values[min(len(values) - 1, int(0.95 * (len(values) - 1) + 0.5))],
        }
    return figures, sorted(workers.values(), key=lambda share: -share["requests"])


def postmaster() -> psutil.Process | None:
    for process in psutil.process_iter(["name", "ppid"]):
        if process.info["name"] == "postgres" and process.info["ppid"] == 1:
            return process
    for process in psutil.process_iter(["name"]):
        if process.info["name"] == "postgres":
            parent = process.parent()
            if parent is None or parent.name() != "postgres":
                return process
    return None


def vocabulary() -> dict:
    """Words shoppers search for, and the filter values, in the demo's vocabulary."""
    from marketplace.services import demo

    brands = list(demo.CATALOG)
    models = [
        m for _, categories in demo.CATALOG.values() for ms in categories.values() for m in ms
    ]
    colorways = [name for name, *_ in demo.COLORWAYS]
    searches = (
        [b.split()[0].lower() for b in brands]
        + [m.lower().replace('"', "") for m in models]
        + [m.split()[0].lower() for m in models]
        + [c.lower() for c in colorways]
        + [m.split()[0][:4].lower() for m in models[::3]]  # typing: a prefix
        + ["running", "boots", "sandals", "trail", "court", "knit"]
    )
    sizes_eu = sorted({s for run in demo.SIZE_RUNS.values() for s in run}, key=float)
    categories = sorted({c for _, cats in demo.CATALOG.values() for c in cats})
    return {"brands": brands, "categories": categories, "searches": searches, "sizes": sizes_eu}


def fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def print_table(result: dict) -> None:
    rows = [
        "API search",
        "API listing",
        "HTML catalog",
        "HTML listing",
        "catalog (all)",
        "cart add",
        "checkout",
        "cart cleanup",
        "overall",
    ]
    header = (
        f"{'requests':<16}{'count':>8}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'max ms':>9}{'errors':>8}{'409 oos':>9}"
    )
    log(header)
    log("-" * len(header))
    for name in rows:
        g = result["groups"][name]
        if name in ("catalog (all)", "cart add", "overall"):
            log("-" * len(header))
        log(
            f"{name:<16}{g['requests']:>8,}{g['rps']:>9.1f}{fmt(g['p50']):>9}{fmt(g['p95']):>9}"
            f"{fmt(g['p99']):>9}{fmt(g['max'], 0):>9}{g['errors']:>8}{g['out_of_stock']:>9}"
        )
    log("-" * len(header))


def offered(rps: float) -> str:
    return "no wait between requests" if rps == 0 else f"{rps:g}/s offered"


def verdict(ok: bool) -> str:
    return "OK  " if ok else "FAIL"


def empty_redis() -> None:
    """A clean Redis database for the run's counters and cache (fails clearly when down)."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).flushdb()
    except redis.RedisError as error:
        raise SystemExit(f"Redis at {REDIS_URL} is not reachable ({error}); start it") from None


def main() -> int:
    # stopped from outside (kill, a CI timeout): unwind like Ctrl-C, so gunicorn and the
    # load generator are stopped too rather than left serving
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    loopback_only(DATABASE_URL)
    loopback_only(REDIS_URL)
    empty_redis()
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    port = free_port()
    env = app_environment(port)
    for name in (
        "SOLEMATE_CONFIG",
        "DATABASE_URL",
        "SECRET_KEY",
        "WEBHOOK_SECRET",
        "TOTP_KEYS",
        "UPLOAD_DIR",
    ):
        os.environ[name] = env[name]
    os.environ.pop("TEST_DATABASE_URL", None)

    from bench import load_data
    from marketplace import create_app
    from marketplace.extensions import db

    started = time.monotonic()
    load_data.ensure_postgres(DATABASE_URL)
    created = load_data.ensure_database(DATABASE_URL, RESEED)
    load_data.upgrade(env)
    app = create_app()
    with app.app_context():
        have = load_data.listing_count()
        seed_seconds = None
        if have < LISTINGS:
            log(f"seeding {load_data.database_name(DATABASE_URL)}: {have} -> {LISTINGS} listings")
            seed_seconds = load_data.seed(LISTINGS)
            log(f"seeded in {seed_seconds:.1f} s")
        else:
            log(
                f"reusing {load_data.database_name(DATABASE_URL)} ({have:,} listings; "
                "LOAD_RESEED=1 rebuilds it)"
            )
        buyers = load_data.ensure_buyers(CHECKOUT_USERS)
        targets = load_data.prepare_targets(
            TARGET_LISTINGS, TARGET_STOCK, SCARCE_VARIANTS, SCARCE_STOCK
        )
        listing_total = load_data.listing_count()
        server_version = db.session.scalar(db.text("SHOW server_version"))
        db.session.commit()
        db.session.remove()
    load_data.tune(DATABASE_URL)
    log(
        f"database ready in {time.monotonic() - started:.1f} s"
        f"{' (new)' if created else ''}: {listing_total:,} listings, {len(buyers)} buyers, "
        f"{len(targets.plentiful)} sizes x {TARGET_STOCK} pairs to buy, "
        f"{len(targets.scarce)} scarce sizes x {SCARCE_STOCK} pairs "
        f"({SCARCE_SHARE:.0%} of checkouts)"
    )

    log_path = RESULTS / f"gunicorn-{stamp}.log"
    server = start_gunicorn(env, port, log_path)
    result: dict = {}
    try:
        workers = len(psutil.Process(server.pid).children())
        threads = int(env.get("GUNICORN_THREADS", "1"))
        buyer_tokens = tokens(port, buyers, load_data.BUYER_PASSWORD)
        with app.app_context():
            before = load_data.snapshot()
        plan = {
            "host": f"http://127.0.0.1:{port}",
            "seconds": SECONDS,
            "warmup": WARMUP,
            "catalog_users": CATALOG_USERS,
            "catalog_rate_per_user": CATALOG_RPS / CATALOG_USERS if CATALOG_USERS else 0,
            "checkout_users": CHECKOUT_USERS,
            "checkout_rate_per_user": CHECKOUT_RPS / CHECKOUT_USERS if CHECKOUT_USERS else 0,
            "tokens": buyer_tokens,
            "plentiful": targets.plentiful,
            "scarce": targets.scarce,
            "scarce_share": SCARCE_SHARE,
            "listing_ids": targets.listing_ids,
            "vocabulary": vocabulary(),
            "zipf": ZIPF,
            "distinct_queries": DISTINCT_QUERIES,
        }
        plan_path = RESULTS / f"plan-{stamp}.json"
        result_path = RESULTS / f"result-{stamp}.json"
        plan_path.write_text(json.dumps(plan))
        gauge_before = python_loop_seconds()
        log(
            f"gunicorn {workers} workers x {threads} threads on 127.0.0.1:{port} "
            f"(SOLEMATE_CONFIG=production, PostgreSQL {server_version}); load {SECONDS} s "
            f"(first {WARMUP:g} s warm-up): {CATALOG_USERS} catalog users "
            f"({offered(CATALOG_RPS)}), {CHECKOUT_USERS} checkout users "
            f"({offered(CHECKOUT_RPS)}); catalog popularity "
            + (
                f"Zipf {ZIPF:g} over {len(targets.listing_ids):,} listings and "
                f"{DISTINCT_QUERIES:,} queries"
                if ZIPF
                else "uniform"
            )
            + (f"; PGOPTIONS={env['PGOPTIONS']!r}" if env.get("PGOPTIONS") else "")
            + "; load average "
            f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
            f"; Python loop gauge {gauge_before:.2f} s"
        )
        pg = postmaster()
        gunicorn_process = psutil.Process(server.pid)
        cpu_before = (cpu_seconds(gunicorn_process), cpu_seconds(pg), machine_busy_seconds())
        log_start = log_path.stat().st_size
        wall = time.monotonic()
        loadgen = subprocess.Popen(
            [sys.executable, "-m", "bench.loadgen", str(plan_path), str(result_path)],
            cwd=ROOT,
            start_new_session=True,
        )
        try:
            loadgen.wait(timeout=SECONDS + 60)
        except BaseException as error:  # overran its bound, or Ctrl-C: it stops too
            os.killpg(loadgen.pid, signal.SIGKILL)
            loadgen.wait()
            if isinstance(error, subprocess.TimeoutExpired):
                raise RuntimeError("the load generator overran its time bound") from None
            raise
        wall = time.monotonic() - wall
        load_cpu = psutil.Process().cpu_times()
        cpu = {
            "gunicorn": cpu_seconds(gunicorn_process) - cpu_before[0],
            "postgres": cpu_seconds(pg) - cpu_before[1],
            "locust": load_cpu.children_user + load_cpu.children_system,
        }
        busy = machine_busy_seconds() - cpu_before[2]
        cpu["other processes"] = max(0.0, busy - sum(cpu.values()))
        cpu["idle"] = max(0.0, (psutil.cpu_count() or 2) * wall - busy)
        if loadgen.returncode != 0 or not result_path.exists():
            raise RuntimeError(f"the load generator failed (exit {loadgen.returncode})")
        result = json.loads(result_path.read_text())
    finally:
        stop_gunicorn(server)
    inside, workers = server_times(log_path, log_start, log_path.stat().st_size)
    gauge_after = python_loop_seconds()

    # Figures.
    log("")
    log(
        f"== {result['window_seconds']:.1f} s measured (after {result['warmup_seconds']:g} s "
        f"warm-up; load ran {result['load_seconds']:.1f} s, in-flight requests drained in "
        f"{result['drain_seconds']:.1f} s) =="
    )
    print_table(result)
    log(
        "count, errors and 409 out_of_stock: whole run; req/s and latencies: measured window "
        "(client side, answer fully read; 409s are timed, errors are not)"
    )
    log(
        "p95 ms of every request by when it started (s; warm-up included): "
        + ", ".join(
            f"{w['from_second']}-{w['from_second'] + 5}: {fmt(w['p95'], 0)}"
            for w in result["windows"]
        )
    )
    groups = result["groups"]
    log(
        f"checkouts paid: {result['checkouts_paid_measured']:,} in the measured window = "
        f"{result['checkouts_per_second']:.1f}/s ({result['checkouts_paid']:,} in the whole run); "
        f"409 out_of_stock: {groups['checkout']['out_of_stock']}"
    )
    cores = psutil.cpu_count() or 2
    log(
        f"CPU during the load ({cores} cores x {wall:.0f} s = {cores * wall:.0f} core-s): "
        + ", ".join(f"{name} {s:.0f} s ({s / wall:.2f} cores)" for name, s in cpu.items())
    )
    log(
        f"Python loop gauge (ten million additions; lower is faster): {gauge_before:.2f} s "
        f"before the load, {gauge_after:.2f} s after"
    )
    served = groups["overall"]["requests"]
    if served:
        per_request = {name: cpu[name] * 1000 / served for name in ("gunicorn", "postgres")}
        app_ms = sum(per_request.values())
        log(
            f"CPU per request served ({served:,}): gunicorn {per_request['gunicorn']:.1f} ms + "
            f"postgres {per_request['postgres']:.1f} ms = {app_ms:.1f} ms, so {cores} idle cores "
            f"serve at most about {cores * 1000 / app_ms:.0f} requests/s of this mix"
        )
    log(
        "time inside gunicorn per request (access log, whole run), mean / p50 / p95 ms: "
        + "; ".join(
            f"{kind} {f['mean']:.0f} / {f['p50']} / {f['p95']}" for kind, f in inside.items()
        )
    )
    if workers:
        log(
            f"the {len(workers)} workers' shares (requests served / seconds serving them): "
            + ", ".join(f"{w['requests']:,} / {w['busy_ms'] / 1000:.0f} s" for w in workers)
        )
    for reason, count in list(result["error_reasons"].items())[:10]:
        log(f"  error: {reason} x{count}")
    for message in result["locust_exceptions"][:5]:
        log(f"  locust exception: {message}")

    # Audit.
    with app.app_context():
        checks, facts = load_data.audit(before, result["checkouts_paid"])
    log("")
    log("== ledger and stock ==")
    for label, passed, detail in checks:
        log(f"{verdict(passed)} {label}: {detail}")

    # Targets.
    catalog, checkout = groups["catalog (all)"], groups["checkout"]
    overall = groups["overall"]
    target_checks = [
        (
            f"catalog >= {TARGETS['catalog_rps']:.0f} req/s",
            catalog["rps"] >= TARGETS["catalog_rps"],
            f"{catalog['rps']:.1f} req/s",
        ),
        (
            f"checkouts >= {TARGETS['checkouts_per_second']:.0f}/s",
            result["checkouts_per_second"] >= TARGETS["checkouts_per_second"],
            f"{result['checkouts_per_second']:.1f}/s",
        ),
    ]
    for name, group in (("catalog", catalog), ("checkout", checkout), ("overall", overall)):
        p95 = group["p95"]
        target_checks.append(
            (
                f"{name} p95 < {TARGETS['p95_ms']:.0f} ms",
                p95 is not None and p95 < TARGETS["p95_ms"],
                f"{fmt(p95)} ms",
            )
        )
    errors = overall["errors"]
    target_checks.append(("zero errors", errors == 0, f"{errors} errors"))
    log("")
    log("== targets ==")
    for label, passed, detail in target_checks:
        log(f"{verdict(passed)} {label}: {detail}")

    summary = {
        "stamp": stamp,
        "seed_seconds": seed_seconds,
        "listings": listing_total,
        "gunicorn": {"workers": workers, "threads": threads},
        "cpu_seconds": cpu,
        "server_times": inside,
        "workers": workers,
        "wall_seconds": wall,
        "result": result,
        "audit": [list(check) for check in checks],
        "facts": facts,
        "targets": [list(check) for check in target_checks],
    }
    (RESULTS / f"summary-{stamp}.json").write_text(json.dumps(summary, indent=1, default=str))
    plan_path.unlink(missing_ok=True)  # it holds the buyers' tokens

    failed = errors > 0 or not all(passed for _, passed, _ in checks)
    speed_missed = not all(passed for _, passed, _ in target_checks)
    log("")
    if failed:
        log("LOAD TEST FAILED: errors, an unbalanced ledger or a stock mismatch (see above)")
        return 1
    if speed_missed:
        log(
            "correct under load (no errors, ledger balanced, nothing oversold), but speed "
            "targets missed" + (" (LOAD_STRICT=1: failing)" if STRICT else "")
        )
        return 1 if STRICT else 0
    log("load test passed: targets met, no errors, ledger balanced, nothing oversold")
    return 0


if __name__ == "__main__":
    sys.exit(main())
