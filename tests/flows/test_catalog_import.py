"""CSV catalog import: good lines import, bad lines are reported by line number."""

import io
import time

from sqlalchemy import select

from marketplace.extensions import db
from models import Job, Listing, Variant
from tests.helpers import count, login, make_company_member, make_listing, token_for

HEADER = "sku,title,brand,model,colorway,category,gender,size_eu,stock,price_cents\n"
GOOD_AND_BAD = HEADER + (
    "TR-40,Trail Racer,Peak,Racer,Red,running,men,40,5,11000\n"  # line 2: good
    "TR-41,Trail Racer,Peak,Racer,Red,running,men,41,3,11000\n"  # line 3: good, same listing
    "TR-42,Trail Racer,Peak,Racer,Red,running,men,42.3,3,11000\n"  # line 4: bad size
    "TR-43,Trail Racer,Peak,Racer,Red,running,men,43,-1,11000\n"  # line 5: negative stock
    ",Nameless,Peak,Racer,Red,running,men,44,1,11000\n"  # line 6: no sku
    "CB-38,City Boot,Peak,Urban,Brown,boots,women,38,2,15000\n"  # line 7: good, new listing
    "CB-39,City Boot,Peak,Urban,Brown,boots,women,39,2,cheap\n"  # line 8: bad price
    "SL-1,Slide,Peak,Slide,Black,slippers,men,42,1,3000\n"  # line 9: bad category
)


def upload(client, text: str):
    return client.post(
        "/seller/import",
        data={"file": (io.BytesIO(text.encode()), "catalog.csv")},
        content_type="multipart/form-data",
    )


def test_good_lines_import_and_bad_lines_are_reported(app, client):
    seller = make_company_member(app)
    login(client, seller.email)
    response = upload(client, GOOD_AND_BAD)
    assert response.status_code == 302
    job_page = client.get(response.location).get_data(as_text=True)
    assert "3</span> imported" in job_page and "5 refused" in job_page
    assert "lines imported." not in job_page  # the summary once, not twice in other words
    with app.app_context():
        job = db.session.scalar(select(Job))
        assert (job.status, job.total, job.processed, job.succeeded) == ("done", 8, 8, 3)
        assert [error["line"] for error in job.errors] == [4, 5, 6, 8, 9]
        messages = {error["line"]: error["message"] for error in job.errors}
        assert "whole or half size" in messages[4]
        assert "stock must be between 0" in messages[5]
        assert "sku is empty" in messages[6]
        assert "price_cents must be a whole number" in messages[8]
        assert "category must be one of" in messages[9]
        listings = db.session.scalars(select(Listing).order_by(Listing.id)).all()
        assert [(li.title, [v.size_eu for v in li.variants]) for li in listings] == [
            ("Trail Racer", ["40", "41"]),
            ("City Boot", ["38"]),
        ]
    for line in ("4", "5", "6", "8", "9"):
        assert f'<td class="num">{line}</td>' in job_page


def test_reimporting_a_sku_updates_its_stock_and_price(app, client):
    seller = make_company_member(app)
    listing = make_listing(app, seller.company_id, sizes={"42": 1}, title="Court")
    sku = listing.skus["42"]
    login(client, seller.email)
    upload(client, HEADER + f"{sku},Court,Acme,Runner 1,Black,running,men,42,17,9900\n")
    with app.app_context():
        variant = db.session.get(Variant, listing.variants["42"])
        assert (variant.stock, variant.price_cents) == (17, 9900)
    assert count(app, Listing) == 1


def test_another_sellers_sku_is_refused(app, client):
    owner = make_company_member(app)
    listing = make_listing(app, owner.company_id, sizes={"42": 1})
    seller = make_company_member(app)
    login(client, seller.email)
    upload(client, HEADER + f"{listing.skus['42']},Copy,Acme,Runner 1,Black,running,men,42,99,1\n")
    with app.app_context():
        job = db.session.scalar(select(Job))
        assert job.errors == [{"line": 2, "message": "SKU belongs to another seller."}]
        assert db.session.get(Variant, listing.variants["42"]).stock == 1


def test_a_file_without_the_needed_columns_is_refused_at_once(app, client):
    seller = make_company_member(app)
    login(client, seller.email)
    response = upload(client, "sku,title\nA,B\n")
    assert response.status_code == 200
    assert "Missing: brand, model" in response.get_data(as_text=True)
    assert count(app, Job) == 0


def test_the_api_imports_and_reports_progress(app, client):
    seller = make_company_member(app)
    headers = token_for(client, seller.email)
    response = client.post(
        "/api/v1/listings/import",
        data={"file": (io.BytesIO(GOOD_AND_BAD.encode()), "catalog.csv")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 202
    job_id = response.get_json()["job_id"]
    status = client.get(f"/api/v1/jobs/{job_id}", headers=headers).get_json()
    assert (status["status"], status["processed"], status["total"]) == ("done", 8, 8)
    assert [error["line"] for error in status["errors"]] == [4, 5, 6, 8, 9]
    other = make_company_member(app)
    assert (
        client.get(f"/api/v1/jobs/{job_id}", headers=token_for(client, other.email)).status_code
        == 404
    )


def test_imports_run_in_the_background_with_progress(make_app):
    app = make_app(JOB_EXECUTOR="thread")
    client = app.test_client()
    seller = make_company_member(app)
    login(client, seller.email)
    rows = "".join(
        f"BG-{n},Bulk {n // 5},Peak,Bulk,Grey,training,men,{40 + n % 5},1,5000\n"
        for n in range(200)
    )
    response = upload(client, HEADER + rows)
    job_url = response.location
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = client.get(job_url + ".json").get_json()
        if status["status"] == "done":
            break
        time.sleep(0.05)
    assert (status["status"], status["succeeded"], status["errors"]) == ("done", 200, [])
    assert count(app, Variant) == 200


def test_a_file_the_csv_reader_cannot_read_or_too_large_is_refused_whole(app, client):
    seller = make_company_member(app)
    headers = token_for(client, seller.email)

    def api_upload(data: bytes):
        return client.post(
            "/api/v1/listings/import",
            data={"file": (io.BytesIO(data), "catalog.csv")},
            headers=headers,
            content_type="multipart/form-data",
        )

    long_title = "x" * 140_000  # beyond the csv module's field limit (128 KiB)
    row = f"SKU-1,{long_title},Brand,Model,Black,running,men,42,5,9900\n"
    unreadable = api_upload((HEADER + row).encode())
    assert unreadable.status_code == 422
    assert unreadable.get_json()["error"]["fields"]["file"][0].startswith("Line 2 cannot be read")
    too_large = api_upload(HEADER.encode() + b"a,b\n" * (3 * 1024 * 1024))
    assert too_large.status_code == 422
    assert "at most 10 MB" in too_large.get_json()["error"]["fields"]["file"][0]
    assert count(app, Job) == 0 and count(app, Listing) == 0
