"""Browser journeys: gunicorn serving a freshly seeded shop, Playwright driving Debian's chromium.

Screenshots land in tests/e2e/artifacts/ (ignored by git).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def server_env(tmp_path_factory) -> dict[str, str]:
    """Environment of the served shop: development settings on a throwaway database."""
    root = tmp_path_factory.mktemp("shop")
    env = dict(os.environ)
    env.update(
        SOLEMATE_CONFIG="development",
        DATABASE_URL=f"sqlite:///{root / 'shop.db'}",
        UPLOAD_DIR=str(root / "uploads"),
        SECRET_KEY="e2e-secret",
        PYTHONUNBUFFERED="1",
    )
    env.pop("TEST_DATABASE_URL", None)
    return env


def flask_cli(env: dict[str, str], *args: str) -> str:
    """Run `flask --app wsgi ...` against the served shop's database."""
    result = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="session")
def base_url(server_env):
    flask_cli(server_env, "db", "upgrade")
    flask_cli(server_env, "seed-demo", "--listings", "80")
    port = _free_port()
    log_path = Path(server_env["UPLOAD_DIR"]).parent / "gunicorn.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "-w",
                "2",
                "--threads",
                "4",
                "-b",
                f"127.0.0.1:{port}",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=server_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(url + "/", timeout=2)
                break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError(f"gunicorn exited; see {log_path}") from None
                time.sleep(0.3)
        yield url
        server.terminate()
        server.wait(timeout=20)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, base_url):
    """Open a page in a fresh browser profile (one per person in a journey).

    The page says yes to every confirm dialog (Playwright would say no, cancelling the
    form) and keeps each question it answered in `page.confirmed`, so journeys can check
    that a destructive button asked first."""
    contexts = []

    def open_page():
        context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15000)
        contexts.append(context)
        page = context.new_page()
        page.confirmed = []

        def accept(dialog):
            page.confirmed.append(dialog.message)
            dialog.accept()

        page.on("dialog", accept)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def shot(request):
    """Save a numbered screenshot of a page under artifacts/<test name>/."""
    folder = ARTIFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 1000))

    def take(page, name: str) -> Path:
        path = folder / f"{next(counter):02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


# Two-factor secrets of the accounts that set it up during the journeys (the admin must).
TOTP_SECRETS: dict[str, str] = {}
_LAST_STEP: dict[str, int] = {}


def totp_code(email: str) -> str:
    """A code for the account's authenticator that the shop has not seen yet."""
    # The shop accepts the codes of the step before, the current and the next one. The
    # current step's code stays good if a step boundary passes before the form is sent;
    # the step before's would not.
    now_step = int(time.time()) // 30
    step = max(now_step, _LAST_STEP.get(email, now_step - 1) + 1)
    if step > now_step + 1:  # a third sign-in within 30 s: wait for the next code
        time.sleep((step - 1) * 30 - time.time() + 0.5)
    _LAST_STEP[email] = step
    return pyotp.TOTP(TOTP_SECRETS[email]).at(step * 30)


NEW_PASSWORD = "new-soles-in-the-shop-42"


def register(page, name: str, email: str, password: str = NEW_PASSWORD) -> None:
    """Join as a person through the sign-up form the page shows (the sign-up page itself,
    or where an invitation lands)."""
    page.fill("#name", name)
    page.fill("#email", email)
    page.fill("#password", password)
    page.fill("#confirm", password)
    expect(page.locator("input[name=account_type][value=person]")).to_be_checked()
    page.click("form.stack button[type=submit]")
    expect(page.locator(".flash.success")).to_contain_text(f"Welcome to Solemate, {name}")


def sign_in(page, email: str, password: str = "solemate-demo") -> None:
    """Sign in through the form, and its second step: a code, or an admin's set-up that
    reads the key shown beside the QR code the way a person would type it in an app."""
    page.goto("/account/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(lambda url: not url.split("?")[0].endswith("/account/login"))
    if "/account/login/enroll" in page.url:
        TOTP_SECRETS[email] = page.inner_text("#totp-secret").strip()
    if "/account/login/" in page.url:
        page.fill("#code", totp_code(email))
        page.click("form.stack button[type=submit]")
    page.wait_for_url(lambda url: "/account/login" not in url)
