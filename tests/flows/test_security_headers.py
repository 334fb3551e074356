"""What every response tells the browser (CSP, HSTS, nosniff, referrer), production cookies
and HTTPS, and how uploaded photos are served."""

import io
import re

import pytest

from marketplace import create_app
from tests.helpers import (
    PASSWORD,
    image_bytes,
    login,
    make_company_member,
    make_listing,
    make_person,
)


@pytest.fixture
def production_app(make_app, database, monkeypatch, tmp_path):
    """The production settings, on the test database."""
    monkeypatch.setenv("SECRET_KEY", "production-test-secret-" + "x" * 40)
    monkeypatch.setenv("DATABASE_URL", database)
    monkeypatch.setenv("WEBHOOK_SECRET", "whsec_production_test")
    monkeypatch.setenv("TOTP_KEYS", "cHJvZHVjdGlvbi10ZXN0LXRvdHAta2V5LTMyLWJ5dGU=")
    make_app()  # empties the tables
    return create_app("production", {"UPLOAD_DIR": str(tmp_path / "uploads")})


def csp_of(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return dict(part.strip().partition(" ")[::2] for part in policy.split(";") if part.strip())


@pytest.mark.parametrize("path", ["/", "/catalog?q=boot", "/account/login", "/api/v1/listings"])
def test_every_answer_carries_the_browser_protections(client, path):
    response = client.get(path, base_url="https://localhost")
    csp = csp_of(response)
    assert csp["default-src"] == "'self'"
    assert csp["object-src"] == "'none'"
    assert csp["base-uri"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_pages_have_no_inline_styles_or_scripts_the_policy_would_block(app, client):
    seller = make_company_member(app)
    listing = make_listing(app, seller.company_id, {"42": 3}, 9999)
    for path in ("/", "/catalog", f"/listings/{listing.id}", "/account/login"):
        page = client.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), path
        assert " style=" not in page and "<style" not in page, path
        assert not re.search(r"\son[a-z]+=", page), path


def test_production_cookies_are_host_only_secure_and_http_only(production_app):
    client = production_app.test_client()
    person = make_person(production_app)
    page = client.get("/account/login", base_url="https://shop.example").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/account/login",
        base_url="https://shop.example",
        headers={"Referer": "https://shop.example/account/login"},
        data={"csrf_token": token, "email": person.email, "password": PASSWORD, "remember": "y"},
    )
    assert response.status_code == 302
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    for name in ("__Host-session", "__Host-remember"):
        cookie = cookies[name]
        for attribute in ("Secure", "HttpOnly", "Path=/", "SameSite=Lax"):
            assert attribute in cookie, (name, cookie)
        assert "Domain=" not in cookie
    assert client.get("/account/", base_url="https://shop.example").status_code == 200


def test_production_sends_plain_http_to_https(production_app):
    response = production_app.test_client().get("/catalog?q=boot", base_url="http://shop.example")
    assert response.status_code in (301, 302)
    assert response.headers["Location"] == "https://shop.example/catalog?q=boot"


def test_uploaded_photos_are_served_as_images_that_cannot_run(app, client):
    seller = make_company_member(app)
    listing = make_listing(app, seller.company_id, {"42": 3}, 9999)
    login(client, seller.email)
    client.post(
        f"/seller/listings/{listing.id}/photos",
        data={"photos": [(io.BytesIO(image_bytes("PNG")), "shoe.png")]},
        content_type="multipart/form-data",
    )
    page = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    name = re.search(r"/media/([0-9a-f]{32}\.jpg)", page).group(1)
    photo = client.get(f"/media/{name}")
    assert photo.mimetype == "image/jpeg" and photo.data.startswith(b"\xff\xd8")
    assert photo.headers["X-Content-Type-Options"] == "nosniff"
    assert csp_of(photo)["default-src"] == "'none'" and "sandbox" in csp_of(photo)
    for probe in ("../config.py", "x.html", name.replace(".jpg", ".svg"), "..%2Fwsgi.py"):
        assert client.get(f"/media/{probe}").status_code == 404
