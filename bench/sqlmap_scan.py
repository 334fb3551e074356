"""SQL injection scan: Debian's sqlmap at --level 2 --risk 1 against a throwaway seeded shop.

`python -m bench.sqlmap_scan [--db sqlite|postgresql] [--budget SECONDS] [--only NAME ...]`

Seeds a new database (`flask db upgrade`, `flask seed-demo --listings 60`), serves it with
gunicorn on a free 127.0.0.1 port under the development settings (CSRF on), then runs
/usr/bin/sqlmap, loopback only, against five targets:

  catalog   GET /catalog: q and every filter (HTML page)
  login     POST /account/login: email, password; the CSRF token is fetched by sqlmap
            itself (--csrf-token/--csrf-url), CSRF stays on
  listings  GET /api/v1/listings: q and every filter (JSON)
  token     POST /api/v1/auth/token: JSON body email, password, otp
  b2b       GET /api/v1/b2b/catalog: q and filters, with a wholesale buyer's bearer token

So that nothing but the code answers the payloads, the server runs with
RATELIMIT_ENABLED=false, LOGIN_LOCKOUT_THRESHOLD=1000000000 (no per-email sign-in pause) and
cheap argon2 settings (ARGON2_TIME_COST=1, ARGON2_MEMORY_KIB=1024: hashing cost is not what
is tested, and it keeps thousands of sign-in attempts fast). Base values come from a real
listing, so every filter combination starts with results and a TRUE/FALSE payload shows.

sqlmap's "heuristic (basic) test shows that GET parameter 'page' might be injectable" (and
'min_price') on the catalog page is its arithmetic probe: page=5-4 answers like page=1
because the page drops a value it cannot read ("Ignored page: ...") and still lists pairs.
It is printed as a hint; only what sqlmap confirms counts as a finding.

Per target it prints the parameters sqlmap tested, the requests the server saw (from
gunicorn's access log, by method and status), sqlmap's time and the verdict. Exit status:
0 clean; 1 an injection point, or a 5xx answer (DESIGN.md: never a 500); 2 a run that did
not finish (timeout, crash, sqlmap refused the target) so nothing can be claimed.
The whole run stays inside --budget (default 540 s); each sqlmap run gets at most 240 s.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SQLMAP = os.environ.get("SQLMAP", "/usr/bin/sqlmap")
DEMO_PASSWORD = "solemate-demo"  # marketplace.services.demo.PASSWORD
SHOPPER = "shopper@solemate.test"
WHOLESALE_BUYER = "buyer@solemate.test"
SEED_LISTINGS = 60  # seed-demo fails below 52 listings (IndexError in seed_trades)
RUN_CAP_SECONDS = 240
READY_SECONDS = 60
PG_ADMIN_URL = os.environ.get(
    "SQLMAP_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
# Every sqlmap run: detection only, never enumeration; bounded waits; no prompts.
SQLMAP_COMMON = [
    "--batch",
    "--level=2",
    "--risk=1",
    "--timeout=10",
    "--time-sec=2",
    "--retries=1",
    "--flush-session",
    "--skip-waf",
    "--disable-coloring",
]
ACCESS_FORMAT = "ACCESS %(m)s %(U)s %(s)s"


# ---------------------------------------------------------------------------------------
# The shop under test.


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Shop:
    url: str
    process: subprocess.Popen
    access_log: Path
    server_log: Path

    def access_offset(self) -> int:
        return self.access_log.stat().st_size if self.access_log.exists() else 0

    def requests_since(self, offset: int) -> Counter:
        """(method, status) of every request logged after `offset`."""
        time.sleep(0.5)  # let the worker write its last lines
        with open(self.access_log, "rb") as log:
            log.seek(offset)
            lines = log.read().decode(errors="replace").splitlines()
        seen: Counter = Counter()
        for line in lines:
            parts = line.split()
            if len(parts) >= 4 and parts[0] == "ACCESS":
                seen[(parts[1], parts[-1])] += 1
        return seen

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def server_env(database_url: str, folder: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "RATELIMIT_STORAGE_URI", "TEST_DATABASE_URL"}
    }
    env.update(
        SOLEMATE_CONFIG="development",
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_hex(32),
        UPLOAD_DIR=str(folder / "uploads"),
        RATELIMIT_ENABLED="false",
        LOGIN_LOCKOUT_THRESHOLD="1000000000",
        ARGON2_TIME_COST="1",
        ARGON2_MEMORY_KIB="1024",
        PYTHONUNBUFFERED="1",
    )
    return env


def flask_cli(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{result.stdout}{result.stderr}")


def start_shop(env: dict[str, str], folder: Path) -> Shop:
    port = _free_port()
    access_log, server_log = folder / "access.log", folder / "server.log"
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")),
            *("-w", "2", "--threads", "4", "-b", f"127.0.0.1:{port}"),
            *("--access-logfile", str(access_log), "--access-logformat", ACCESS_FORMAT),
            *("--error-logfile", str(server_log), "wsgi:app"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # stop() signals master and workers as one group
    )
    shop = Shop(f"http://127.0.0.1:{port}", process, access_log, server_log)
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited; see {server_log}")
        try:
            with urllib.request.urlopen(shop.url + "/catalog", timeout=2):
                return shop
        except OSError:
            time.sleep(0.25)
    shop.stop()
    raise SystemExit(f"gunicorn not ready in {READY_SECONDS} s; see {server_log}")


def api(shop: Shop, path: str, body: dict | None = None, token: str | None = None) -> dict:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(shop.url + path, data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.loads(reply.read())


# ---------------------------------------------------------------------------------------
# Databases.


@dataclass
class Database:
    url: str
    label: str
    drop: Callable[[], None] = lambda: None


def sqlite_database(folder: Path) -> Database:
    return Database(f"sqlite:///{folder / 'shop.db'}", "SQLite (throwaway file)")


def postgres_database() -> Database:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from config import database_url

    name = f"solemate_sqlmap_{os.getpid()}_{int(time.time())}"
    admin = create_engine(database_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    url = make_url(database_url(PG_ADMIN_URL)).set(database=name)
    return Database(url.render_as_string(hide_password=False), f"PostgreSQL ({name})", drop)


# ---------------------------------------------------------------------------------------
# Targets.


@dataclass
class Target:
    name: str
    what: str
    args: list[str]
    threads: int = 4


@dataclass
class Outcome:
    target: Target
    seconds: float
    exit_code: int | None
    tested: list[str] = field(default_factory=list)
    clean: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    requests: Counter = field(default_factory=Counter)
    hints: list[str] = field(default_factory=list)
    problem: str = ""

    @property
    def server_errors(self) -> int:
        return sum(n for (_method, status), n in self.requests.items() if status.startswith("5"))

    @property
    def verdict(self) -> str:
        if self.findings:
            return "INJECTION FOUND"
        if self.problem:
            return f"INCONCLUSIVE: {self.problem}"
        return "no injection found"


def _first_word(text: str) -> str:
    words = re.findall(r"[A-Za-z]+", text)
    return (max(words, key=len) if words else "shoe").lower()


def _base_values(listing: dict, item: dict) -> dict[str, str]:
    """Filters that the given listing matches, so the base page has at least one result."""
    price = item["price_cents"]
    return {
        "q": _first_word(listing["model"]),
        "brand": listing["brand"],
        "category": listing["category"],
        "gender": listing["gender"],
        "size_eu": item["sizes_in_stock"][0],
        "min_price_cents": str(max(0, price - 100)),
        "max_price_cents": str(price + 100),
        "condition": listing["condition"],
    }


def build_targets(shop: Shop) -> list[Target]:
    item = api(shop, "/api/v1/listings?mode=b2c&sort=price_desc&per_page=1")["items"][0]
    base = _base_values(api(shop, f"/api/v1/listings/{item['id']}"), item)
    page = {
        **{k: v for k, v in base.items() if not k.endswith("_cents")},
        "min_price": f"{int(base['min_price_cents']) // 100}",
        "max_price": f"{int(base['max_price_cents']) // 100 + 1}",
        "mode": "b2c",
        "sort": "relevance",
        "page": "1",
        "per_page": "24",
    }
    listings = {**base, "mode": "b2c", "sort": "relevance", "page": "1", "per_page": "20"}

    buyer_token = api(
        shop, "/api/v1/auth/token", {"email": WHOLESALE_BUYER, "password": DEMO_PASSWORD}
    )["token"]
    wholesale = api(shop, "/api/v1/b2b/catalog?sort=price_desc&per_page=1", token=buyer_token)
    b2b_item = wholesale["items"][0]
    b2b = {
        **_base_values(api(shop, f"/api/v1/listings/{b2b_item['id']}"), b2b_item),
        "sort": "relevance",
        "page": "1",
        "per_page": "20",
    }
    # The base requests must find something, or TRUE and FALSE payloads look alike.
    query = urllib.parse.urlencode
    with urllib.request.urlopen(f"{shop.url}/catalog?{query(page)}", timeout=30) as reply:
        page_empty = "No pairs match" in reply.read().decode()
    listings_total = api(shop, f"/api/v1/listings?{query(listings)}")["total"]
    b2b_total = api(shop, f"/api/v1/b2b/catalog?{query(b2b)}", token=buyer_token)["total"]
    if page_empty or not listings_total or not b2b_total:
        raise SystemExit(f"a base request finds nothing: {page} {listings} {b2b}")

    login_form = urllib.parse.urlencode(
        {"email": SHOPPER, "password": DEMO_PASSWORD, "csrf_token": "fetched-by-sqlmap"}
    )
    token_body = json.dumps({"email": SHOPPER, "password": DEMO_PASSWORD, "otp": "123456"})
    return [
        Target(
            "catalog",
            "GET /catalog (HTML search page, every filter)",
            [f"--url={shop.url}/catalog?{query(page)}", "--not-string=No pairs match"],
        ),
        Target(
            "login",
            "POST /account/login (form, CSRF on: token fetched by sqlmap)",
            [
                f"--url={shop.url}/account/login",
                f"--data={login_form}",
                "--csrf-token=csrf_token",
                f"--csrf-url={shop.url}/account/login",
                # Valid credentials: TRUE is the 302 of a sign-in, FALSE the form again.
                "--code=302",
                "--answers=follow=N",
            ],
            threads=1,  # sqlmap refuses --threads with --csrf-url
        ),
        Target(
            "listings",
            "GET /api/v1/listings (JSON, every filter)",
            [f"--url={shop.url}/api/v1/listings?{query(listings)}", '--not-string="total":0}'],
        ),
        Target(
            "token",
            "POST /api/v1/auth/token (JSON body)",
            [
                f"--url={shop.url}/api/v1/auth/token",
                f"--data={token_body}",
                "--headers=Content-Type: application/json",
                # Valid credentials: TRUE is 200 with a token, FALSE 401.
                "--code=200",
                "--ignore-code=401,422",
            ],
        ),
        Target(
            "b2b",
            "GET /api/v1/b2b/catalog (JSON, bearer token of a wholesale buyer)",
            [
                f"--url={shop.url}/api/v1/b2b/catalog?{query(b2b)}",
                f"--headers=Authorization: Bearer {buyer_token}",
                '--not-string="total":0}',
            ],
        ),
    ]


# ---------------------------------------------------------------------------------------
# Running sqlmap and reading what it says.

PLACE = r"((?:\(custom\) )?[\w-]+ parameter '[^']+')"
TESTING = re.compile(r"testing for SQL injection on " + PLACE)
NOT_INJECTABLE = re.compile(PLACE + r" does not seem to be injectable")
INJECTABLE = re.compile(PLACE + r" (is vulnerable|appears to be .*injectable)")
HINT = re.compile(r"heuristic \(basic\) test shows that " + PLACE + r" might be injectable.*")
ALL_CLEAN = "all tested parameters do not appear to be injectable"


def run_sqlmap(target: Target, shop: Shop, folder: Path, seconds: float) -> Outcome:
    output_dir = folder / target.name
    output_dir.mkdir(parents=True, exist_ok=True)
    log_path = folder / f"{target.name}.sqlmap.txt"
    command = [SQLMAP, *target.args, *SQLMAP_COMMON, f"--output-dir={output_dir}"]
    if target.threads > 1:
        command.append(f"--threads={target.threads}")
    offset = shop.access_offset()
    started = time.monotonic()
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "TERM": "dumb"},
        )
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    outcome = Outcome(target, time.monotonic() - started, process.returncode)
    outcome.requests = shop.requests_since(offset)
    text = log_path.read_text(errors="replace")
    outcome.tested = list(dict.fromkeys(TESTING.findall(text)))
    outcome.clean = list(dict.fromkeys(NOT_INJECTABLE.findall(text)))
    outcome.findings = [f"{place} {how}" for place, how in INJECTABLE.findall(text)]
    outcome.hints = [match.group(0) for match in HINT.finditer(text)]
    if "identified the following injection point" in text:
        outcome.findings.append(_injection_points(text))
    outcome.findings += _recorded_findings(output_dir)
    if outcome.seconds >= seconds:
        outcome.problem = f"sqlmap stopped after {seconds:.0f} s"
    elif ALL_CLEAN not in text:
        critical = [line for line in text.splitlines() if "[CRITICAL]" in line or "[ERROR]" in line]
        outcome.problem = (critical or ["sqlmap did not report a finished test"])[-1].strip()
    elif not outcome.tested or set(outcome.tested) - set(outcome.clean):
        outcome.problem = "a tested parameter has no verdict"
    return outcome


def _injection_points(text: str) -> str:
    """sqlmap's own account of the injection points: the block between its two '---'."""
    start = text.index("identified the following injection point")
    first = text.find("---", start)
    end = text.find("---", first + 3) if first != -1 else -1
    return text[start : end + 3 if end != -1 else start + 1500]


def _recorded_findings(output_dir: Path) -> list[str]:
    """Injection points sqlmap wrote to its output folder (CSV rows, per-host log)."""
    found = []
    for results in output_dir.glob("results-*.csv"):
        with open(results, newline="") as rows:
            found += ["csv: " + ", ".join(row) for row in list(csv.reader(rows))[1:] if any(row)]
    for host_log in output_dir.glob("*/log"):
        if host_log.stat().st_size:
            found.append(f"injection points recorded in {host_log}")
    return found


def _short_parameter(place: str) -> str:
    name = re.search(r"'([^']+)'", place)
    return name.group(1) if name else place


def report(outcome: Outcome) -> None:
    target = outcome.target
    requests = sum(outcome.requests.values())
    by_method = Counter()
    by_status = Counter()
    for (method, status), count in outcome.requests.items():
        by_method[method] += count
        by_status[status] += count
    print(f"\n[{target.name}] {target.what}", flush=True)
    names = [_short_parameter(p) for p in outcome.tested]
    places = sorted({p.rsplit(" parameter", 1)[0] for p in outcome.tested})
    print(f"  parameters tested ({len(names)}, {', '.join(places)}): {', '.join(names)}")
    methods = ", ".join(f"{m} {n}" for m, n in sorted(by_method.items()))
    statuses = ", ".join(f"{s}x{n}" for s, n in sorted(by_status.items()))
    print(f"  requests seen by the server: {requests} ({methods}); statuses {statuses}")
    print(f"  sqlmap: {outcome.seconds:.1f} s, exit {outcome.exit_code}")
    print(f"  result: {outcome.verdict}")
    for finding in outcome.findings:
        print("    " + finding.replace("\n", "\n    "))
    for hint in outcome.hints:
        print(f"  heuristic hint (not confirmed): {hint}")
    if outcome.server_errors:
        print(f"  SERVER ERRORS: {outcome.server_errors} answers with a 5xx status")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sqlmap_scan", description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--budget", type=float, default=540, help="seconds for all sqlmap runs")
    parser.add_argument("--only", nargs="*", help="target names (catalog login listings ...)")
    options = parser.parse_args(argv)
    if not Path(SQLMAP).exists():
        print(f"{SQLMAP} is missing: apt-get install -y sqlmap", file=sys.stderr)
        return 2

    began = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="solemate-sqlmap-"))
    database = postgres_database() if options.db == "postgresql" else sqlite_database(folder)
    shop = None
    outcomes: list[Outcome] = []
    try:
        env = server_env(database.url, folder)
        flask_cli(env, "db", "upgrade")
        flask_cli(env, "seed-demo", "--listings", str(SEED_LISTINGS))
        shop = start_shop(env, folder)
        print(
            f"Solemate under gunicorn at {shop.url} on {database.label}, seeded with"
            f" seed-demo --listings {SEED_LISTINGS} ({time.monotonic() - began:.1f} s)\n"
            "server settings: SOLEMATE_CONFIG=development (CSRF on), RATELIMIT_ENABLED=false,"
            " LOGIN_LOCKOUT_THRESHOLD=1000000000, ARGON2_TIME_COST=1, ARGON2_MEMORY_KIB=1024\n"
            f"sqlmap: {' '.join(SQLMAP_COMMON)} (--threads=4 except the CSRF form)\n"
            f"logs: {folder}",
            flush=True,
        )
        targets = build_targets(shop)
        if options.only:
            targets = [t for t in targets if t.name in options.only]
        deadline = began + options.budget
        for target in targets:
            remaining = deadline - time.monotonic()
            if remaining < 10:
                outcome = Outcome(target, 0.0, None, problem="out of time budget, not run")
            else:
                outcome = run_sqlmap(target, shop, folder, min(RUN_CAP_SECONDS, remaining))
            outcomes.append(outcome)
            report(outcome)
    finally:
        if shop is not None:
            shop.stop()
        database.drop()
        for name in ("shop.db", "shop.db-wal", "shop.db-shm", "uploads"):
            path = folder / name
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            elif path.exists():
                path.unlink()

    found = [o for o in outcomes if o.findings or o.server_errors]
    unfinished = [o for o in outcomes if o.problem and not o.findings]
    requests = sum(sum(o.requests.values()) for o in outcomes)
    print(
        f"\n{len(outcomes)} targets, {requests} requests, {len(found)} with findings,"
        f" {len(unfinished)} inconclusive; total {time.monotonic() - began:.1f} s"
        f" (sqlmap logs in {folder})",
        flush=True,
    )
    if found:
        return 1
    return 2 if unfinished else 0


if __name__ == "__main__":
    sys.exit(main())
