"""The seller console: listings with sizes, stock, prices and photos, for verified sellers only."""

import io

from sqlalchemy import select

from marketplace.extensions import db
from models import Listing, Photo, Variant
from tests.helpers import count, image_bytes, login, make_company_member, make_listing, make_person


def listing_form(**overrides):
    form = {
        "title": "Aero Glide “Sunset”",
        "brand": "Aero",
        "model": "Glide 3",
        "colorway": "Sunset",
        "category": "running",
        "gender": "men",
        "description": "Light daily trainer.",
        "b2c_enabled": "y",
    }
    rows = [
        ("41", "AG-41", "3", "129.99"),
        ("42", "AG-42", "5", "129.99"),
        ("43", "AG-43", "2", "134.50"),
    ]
    for index, (size, sku, stock, price) in enumerate(rows):
        form.update(
            {
                f"variants-{index}-size_eu": size,
                f"variants-{index}-sku": sku,
                f"variants-{index}-stock": stock,
                f"variants-{index}-price": price,
            }
        )
    form.update(overrides)
    return form


def test_a_verified_seller_lists_three_sizes_and_shoppers_find_them(app, client):
    seller = make_company_member(app, "Aero Shoes")
    login(client, seller.email)
    response = client.post("/seller/listings/new", data=listing_form())
    assert response.status_code == 302
    with app.app_context():
        listing = db.session.scalar(select(Listing))
        assert [(v.size_eu, v.stock, v.price_cents) for v in listing.variants] == [
            ("41", 3, 12999),
            ("42", 5, 12999),
            ("43", 2, 13450),
        ]
        assert listing.min_price_cents == 12999
        listing_id = listing.id
    client.post("/account/logout")
    results = client.get("/catalog?q=glide+sunset").get_data(as_text=True)
    assert "Aero Glide" in results and "$129.99" in results
    page = client.get(f"/listings/{listing_id}").get_data(as_text=True)
    assert "EU 43" in page and "only 2 left" in page


def test_a_listing_with_a_repeated_size_shows_the_error_on_that_row_and_saves_nothing(app, client):
    seller = make_company_member(app)
    login(client, seller.email)
    response = client.post(
        "/seller/listings/new",
        data=listing_form(**{"variants-2-size_eu": "42", "variants-1-price": "12.345"}),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Use at most two decimals." in page
    assert count(app, Listing) == 0 and count(app, Variant) == 0
    response = client.post(
        "/seller/listings/new", data=listing_form(**{"variants-2-size_eu": "42"})
    )
    assert "Size 42 is listed twice." in response.get_data(as_text=True)
    assert count(app, Listing) == 0


def test_skus_are_unique_across_sellers(app, client):
    other = make_company_member(app)
    make_listing(app, other.company_id, sizes={"40": 1}, title="Other")
    with app.app_context():
        taken = db.session.scalar(select(Variant.sku))
    seller = make_company_member(app)
    login(client, seller.email)
    response = client.post("/seller/listings/new", data=listing_form(**{"variants-0-sku": taken}))
    assert "This SKU is already in use." in response.get_data(as_text=True)
    assert count(app, Listing) == 1


def test_the_seller_edits_stock_and_price_and_archives(app, client):
    seller = make_company_member(app)
    listing = make_listing(app, seller.company_id, sizes={"42": 5}, title="Court Classic")
    login(client, seller.email)
    page = client.get(f"/seller/listings/{listing.id}/edit").get_data(as_text=True)
    assert "Court Classic" in page
    form = listing_form(title="Court Classic")
    form.update(
        {
            "variants-0-id": str(listing.variants["42"]),
            "variants-0-size_eu": "42",
            "variants-0-sku": "NEW-SKU-42",
            "variants-0-stock": "9",
            "variants-0-price": "99.00",
            "variants-1-size_eu": "",
            "variants-1-sku": "",
            "variants-1-stock": "",
            "variants-1-price": "",
            "variants-2-size_eu": "",
            "variants-2-sku": "",
            "variants-2-stock": "",
            "variants-2-price": "",
        }
    )
    assert client.post(f"/seller/listings/{listing.id}/edit", data=form).status_code == 302
    with app.app_context():
        variant = db.session.get(Variant, listing.variants["42"])
        assert (variant.sku, variant.stock, variant.price_cents) == ("NEW-SKU-42", 9, 9900)
    client.post(f"/seller/listings/{listing.id}/archive")
    assert client.get("/api/v1/listings").get_json()["total"] == 0
    assert client.get(f"/api/v1/listings/{listing.id}").status_code == 404
    client.post(f"/seller/listings/{listing.id}/restore")
    assert client.get("/api/v1/listings").get_json()["items"][0]["title"] == "Court Classic"


def test_photos_are_uploaded_re_encoded_and_removable(app, client):
    seller = make_company_member(app)
    listing = make_listing(app, seller.company_id)
    login(client, seller.email)
    response = client.post(
        f"/seller/listings/{listing.id}/photos",
        data={"photos": [(io.BytesIO(image_bytes("PNG")), "side.png")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with app.app_context():
        photo = db.session.scalar(select(Photo))
        name, photo_id = photo.filename, photo.id
    served = client.get(f"/media/{name}")
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    refused = client.post(
        f"/seller/listings/{listing.id}/photos",
        data={"photos": [(io.BytesIO(b"<script>alert(1)</script>"), "evil.jpg")]},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Upload a JPEG, PNG or WebP image." in refused.get_data(as_text=True)
    assert count(app, Photo) == 1
    client.post(f"/seller/listings/{listing.id}/photos/{photo_id}/delete")
    assert count(app, Photo) == 0
    assert client.get(f"/media/{name}").status_code == 404


class ObjectStore:
    """Another store behind the storage interface: files in memory, served from a CDN."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def save(self, data: bytes, name: str) -> None:
        self.files[name] = data

    def read(self, name: str) -> bytes:
        return self.files[name]

    def delete(self, name: str) -> None:
        self.files.pop(name, None)

    def url(self, name: str) -> str:
        return f"https://cdn.example.com/shoes/{name}"


def test_photos_live_in_whichever_store_is_plugged_in(app, client):
    app.extensions["solemate_storage"] = store = ObjectStore()
    seller = make_company_member(app)
    listing = make_listing(app, seller.company_id)
    login(client, seller.email)
    client.post(
        f"/seller/listings/{listing.id}/photos",
        data={"photos": [(io.BytesIO(image_bytes("PNG")), "side.png")]},
        content_type="multipart/form-data",
    )
    with app.app_context():
        photo = db.session.scalar(select(Photo))
        name, thumb = photo.filename, photo.thumb_filename
    assert set(store.files) == {name, thumb}
    client.post("/account/logout")

    assert f"https://cdn.example.com/shoes/{name}" in client.get(f"/listings/{listing.id}").text
    assert f"https://cdn.example.com/shoes/{thumb}" in client.get("/catalog").text
    detail = client.get(f"/api/v1/listings/{listing.id}").get_json()
    assert detail["photos"][0]["url"] == f"https://cdn.example.com/shoes/{name}"
    assert detail["photos"][0]["thumb_url"] == f"https://cdn.example.com/shoes/{thumb}"
    card = client.get("/api/v1/listings").get_json()["items"][0]
    assert card["photo_url"] == f"https://cdn.example.com/shoes/{thumb}"


def test_selling_needs_a_verified_selling_company(app, client):
    pending = make_company_member(app, verified=False)
    buyer_only = make_company_member(app, sells=False, buys_wholesale=True)
    person = make_person(app)
    for account in (pending, buyer_only, person):
        login(client, account.email)
        assert client.get("/seller/listings/new").status_code == 403
        assert client.post("/seller/listings/new", data=listing_form()).status_code == 403
        client.post("/account/logout")
    assert count(app, Listing) == 0


def test_another_sellers_listing_is_not_found(app, client):
    owner = make_company_member(app)
    listing = make_listing(app, owner.company_id)
    intruder = make_company_member(app)
    login(client, intruder.email)
    assert client.get(f"/seller/listings/{listing.id}/edit").status_code == 404
    assert client.post(f"/seller/listings/{listing.id}/archive").status_code == 404
    assert (
        client.post(f"/seller/listings/{listing.id}/edit", data=listing_form()).status_code == 404
    )
    assert client.get("/seller/listings/999999/edit").status_code == 404
