"""Two gunicorn processes on one PostgreSQL database and one Redis: a visitor's cart, a
buyer's cart, a sign-in and the sign-in rate limit behave the same whichever process answers.

Runs only when TEST_DATABASE_URL is a PostgreSQL URL (`make test-pg`, CI); needs Redis at
TEST_REDIS_URL (default redis://127.0.0.1:6379/13, a database number of its own that is
flushed before every test) and fails, not skips, when it is down. Both servers run the
development settings: CSRF on, rate limits on and counted in that Redis, one SECRET_KEY.
"""

from __future__ import annotations

import http.cookiejar
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
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from limits import parse

from config import Config
from tests.helpers import PASSWORD, make_listing, make_person, make_seller

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
READY_SECONDS = 60
LOGIN_ALLOWANCE = parse(Config.LOGIN_RATE_LIMIT).amount  # "10 per minute" -> 10
# Settings the test relies on: a developer's environment must not change them.
PINNED = (
    "SOLEMATE_CONFIG",
    "DATABASE_URL",
    "SECRET_KEY",
    "REDIS_URL",
    "RATELIMIT_STORAGE_URI",
    "RATELIMIT_ENABLED",
    "LOGIN_RATE_LIMIT",
    "LOGIN_LOCKOUT_THRESHOLD",
    "TEST_DATABASE_URL",
)


def _on_postgres() -> bool:
    return os.environ.get("TEST_DATABASE_URL", "").startswith(("postgres://", "postgresql"))


pytestmark = pytest.mark.skipif(
    not _on_postgres(),
    reason="two app processes need one shared server database: set TEST_DATABASE_URL to a"
    " PostgreSQL URL (make test-pg); SQLite runs skip this",
)


# ---------------------------------------------------------------------------------------
# HTTP with the standard library: a browser is a cookie jar that does not follow redirects.


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def location(self) -> str:
        return self.headers.get("location", "")

    def json(self):
        return json.loads(self.text)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _send(opener, request: urllib.request.Request) -> Reply:
    try:
        with opener.open(request, timeout=30) as response:
            status, headers, body = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:  # 3xx (not followed), 4xx and 5xx
        status, headers, body = error.code, error.headers, error.read()
    return Reply(status, {k.lower(): v for k, v in headers.items()}, body.decode())


class Browser:
    """One visitor: one cookie jar for both servers, as a browser behind a load balancer has
    (cookies are per host, not per port, so 127.0.0.1:A and 127.0.0.1:B share them)."""

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def get(self, url: str, headers: dict | None = None) -> Reply:
        return _send(self.opener, urllib.request.Request(url, headers=headers or {}))

    def post(self, url: str, form: dict | None = None, json_body=None, headers=None) -> Reply:
        headers = dict(headers or {})
        if json_body is not None:
            data = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        else:
            data = urllib.parse.urlencode(form or {}).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(url, data=data, headers=headers, method="POST")
        return _send(self.opener, request)

    def delete(self, url: str, headers: dict | None = None) -> Reply:
        request = urllib.request.Request(url, headers=headers or {}, method="DELETE")
        return _send(self.opener, request)

    def cookie(self, name: str = "session") -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)


def replay(url: str, session_cookie: str) -> Reply:
    """GET `url` with exactly this session cookie (no jar), as a stolen or old copy would."""
    opener = urllib.request.build_opener(_NoRedirect())
    request = urllib.request.Request(url, headers={"Cookie": f"session={session_cookie}"})
    return _send(opener, request)


CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(reply: Reply) -> str:
    assert reply.status == 200, (reply.status, reply.text[:300])
    match = CSRF_INPUT.search(reply.text)
    assert match, "no csrf_token field on the page"
    return match.group(1)


# ---------------------------------------------------------------------------------------
# Two servers, one database, one Redis.


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen
    log_path: Path

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace").splitlines()
        return f"--- last lines of {self.name}'s log {self.log_path} ---\n" + "\n".join(
            text[-lines:]
        )

    def stop(self) -> None:
        """SIGTERM to the process group this fixture started (master and its worker)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(name: str, env: dict[str, str], log_path: Path) -> Server:
    """`gunicorn -w 1 --threads 2` on a free loopback port, waited on until it answers."""
    port = _free_port()
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")),
                *("-w", "1", "--threads", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stop() reaches the worker
        )
    server = Server(name, f"http://127.0.0.1:{port}", process, log_path)
    deadline = time.monotonic() + READY_SECONDS
    while True:
        if process.poll() is not None:
            raise RuntimeError(
                f"server {name} exited with {process.returncode}\n{server.log_tail()}"
            )
        try:
            with urllib.request.urlopen(server.url + "/account/login", timeout=2) as reply:
                if reply.status == 200:
                    return server
        except OSError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"server {name} not ready in {READY_SECONDS} s\n{server.log_tail()}")
        time.sleep(0.25)


@pytest.fixture(scope="module")
def redis_client():
    """The Redis the rate-limit counters live in; unreachable is a failure on PostgreSQL."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.fail(
            f"Redis at {REDIS_URL} is unreachable ({error}); the PostgreSQL suite needs it"
            " for the shared rate-limit counters (CI starts it; locally: redis-server"
            " --daemonize yes --bind 127.0.0.1, or set TEST_REDIS_URL)",
            pytrace=False,
        )
    yield client
    client.flushdb()
    client.close()


@pytest.fixture(scope="module")
def servers(database, redis_client, tmp_path_factory):
    """Processes A and B: development settings, one database, one Redis, one SECRET_KEY."""
    folder = tmp_path_factory.mktemp("two-processes")
    env = {key: value for key, value in os.environ.items() if key not in PINNED}
    env.update(
        SOLEMATE_CONFIG="development",
        DATABASE_URL=database,
        SECRET_KEY=secrets.token_hex(32),
        REDIS_URL=REDIS_URL,  # config.py routes it into RATELIMIT_STORAGE_URI
        RATELIMIT_ENABLED="true",
        UPLOAD_DIR=str(folder / "uploads"),
        PYTHONUNBUFFERED="1",
    )
    started: list[Server] = []
    try:
        for name in ("A", "B"):
            started.append(start_server(name, env, folder / f"gunicorn-{name}.log"))
        yield tuple(started)
    finally:
        for server in started:
            server.stop()


@pytest.fixture(autouse=True)
def _fresh_counters(redis_client):
    redis_client.flushdb()


@pytest.fixture
def shop(make_app):
    """A seller's listing with two sizes and a buyer, committed before the servers look."""
    app = make_app()
    seller = make_seller(app)
    listing = make_listing(
        app, seller.company_id, {"42": 5, "43": 5}, title="Crossprocess Runner", brand="Twinline"
    )
    buyer = make_person(app, name="Bo Buyer")
    return listing, buyer


def _fail_with_logs(servers, message: str) -> str:
    return message + "\n" + "\n".join(server.log_tail() for server in servers)


# ---------------------------------------------------------------------------------------
# The behaviours.


def test_visitor_cart_added_on_one_process_shows_on_the_other(servers, shop):
    a, b = servers
    listing, _buyer = shop
    visitor = Browser()

    token = csrf_token(visitor.get(f"{a.url}/listings/{listing.id}"))
    added = visitor.post(
        f"{a.url}/cart/add",
        {"csrf_token": token, "variant_id": listing.variants["43"], "quantity": "2"},
    )
    assert added.status == 302 and added.location.endswith("/cart"), _fail_with_logs(
        servers, f"add on A answered {added.status} {added.location}"
    )

    on_b = visitor.get(f"{b.url}/cart")
    assert on_b.status == 200
    assert "Crossprocess Runner" in on_b.text, _fail_with_logs(servers, on_b.text[:2000])
    assert 'value="2"' in on_b.text  # two pairs

    # Removed through B (with B's page's token), gone on A.
    token = csrf_token(on_b)
    removed = visitor.post(f"{b.url}/cart/1", {"csrf_token": token, "quantity": "0"})
    assert removed.status == 302, removed.text[:500]
    on_a = visitor.get(f"{a.url}/cart")
    assert "Your cart is empty" in on_a.text
    assert "Crossprocess Runner" not in on_a.text


def test_api_cart_filled_on_one_process_is_read_on_the_other(servers, shop):
    a, b = servers
    listing, buyer = shop
    client = Browser()

    issued = client.post(
        f"{b.url}/api/v1/auth/token", json_body={"email": buyer.email, "password": PASSWORD}
    )
    assert issued.status == 200, issued.text
    bearer = {"Authorization": f"Bearer {issued.json()['token']}"}

    added = client.post(
        f"{a.url}/api/v1/cart/items",
        json_body={"variant_id": listing.variants["42"], "quantity": 3},
        headers=bearer,
    )
    assert added.status == 201, added.text

    cart = client.get(f"{b.url}/api/v1/cart", headers=bearer)
    assert cart.status == 200, cart.text
    items = cart.json()["items"]
    assert [(i["variant_id"], i["quantity"]) for i in items] == [(listing.variants["42"], 3)]
    assert cart.json()["subtotal_cents"] == 3 * 10000

    removed = client.delete(f"{b.url}/api/v1/cart/items/{items[0]['id']}", headers=bearer)
    assert removed.status == 200, removed.text
    assert client.get(f"{a.url}/api/v1/cart", headers=bearer).json()["items"] == []


def test_sign_in_on_one_process_and_sign_out_on_the_other(servers, shop):
    a, b = servers
    _listing, buyer = shop
    person = Browser()

    token = csrf_token(person.get(f"{a.url}/account/login"))
    signed_in = person.post(
        f"{a.url}/account/login",
        {"csrf_token": token, "email": buyer.email, "password": PASSWORD},
    )
    assert signed_in.status == 302 and "/account/login" not in signed_in.location, _fail_with_logs(
        servers, f"sign-in on A: {signed_in.status} {signed_in.text[:1000]}"
    )

    account_on_b = person.get(f"{b.url}/account/")
    assert account_on_b.status == 200, (account_on_b.status, account_on_b.location)
    assert buyer.email in account_on_b.text
    old_cookie = person.cookie()
    assert old_cookie, "no session cookie after signing in"
    assert replay(f"{a.url}/account/", old_cookie).status == 200  # the copy works, for now

    token = csrf_token(person.get(f"{b.url}/"))
    signed_out = person.post(f"{b.url}/account/logout", {"csrf_token": token})
    assert signed_out.status == 302, signed_out.text[:500]

    after = person.get(f"{a.url}/account/")
    assert after.status == 302 and "/account/login" in after.location
    # The cookie from before signing out is refused by A too: the session version moved on
    # in the database, not only in B's answer.
    for server in (a, b):
        stale = replay(f"{server.url}/account/", old_cookie)
        assert stale.status == 302 and "/account/login" in stale.location, (
            server.name,
            stale.status,
            stale.location,
        )


@pytest.mark.parametrize("last", ["A", "B"])
def test_failed_sign_ins_alternating_between_processes_share_one_limit(servers, redis_client, last):
    """LOGIN_RATE_LIMIT failures from one address, alternating A/B, end with 429 on either.

    Each attempt uses a different unknown email, so the per-email lockout in the database
    (LOGIN_LOCKOUT_THRESHOLD, left at its default) never trips: only Redis's counter can.
    With per-process counters each process would have seen only half the failures.
    """
    by_name = {server.name: server for server in servers}
    first = by_name["B" if last == "A" else "A"]
    order = [first, by_name[last]]
    guesser = Browser()
    token = csrf_token(guesser.get(f"{first.url}/account/login"))

    def attempt(server: Server, number: int) -> Reply:
        return guesser.post(
            f"{server.url}/account/login",
            {
                "csrf_token": token,
                "email": f"guess{number}-{secrets.token_hex(4)}@example.test",
                "password": "not-the-password",
            },
        )

    for number in range(LOGIN_ALLOWANCE):
        server = order[number % 2]
        reply = attempt(server, number)
        assert reply.status == 200, (server.name, number, reply.status, reply.text[:500])
        assert "Sign in" in reply.text and "Too many failed" not in reply.text

    assert any(b"auth.login" in key for key in redis_client.keys("*")), (
        "no sign-in counter in Redis",
        redis_client.keys("*"),
    )

    blocked = attempt(by_name[last], LOGIN_ALLOWANCE)
    assert blocked.status == 429, _fail_with_logs(
        servers, f"failure {LOGIN_ALLOWANCE + 1} on {last}: {blocked.status}"
    )
    assert "Too many failed sign-in attempts" in blocked.text
    again = attempt(first, LOGIN_ALLOWANCE + 1)
    assert again.status == 429, (first.name, again.status)

    # The limit is on sign-in attempts only; the rest of the shop still answers.
    assert guesser.get(f"{first.url}/catalog").status == 200
