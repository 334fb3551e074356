"""CSV catalog import: each good line imports, each bad line is reported and imports nothing.

Columns: sku,title,brand,model,colorway,category,gender,size_eu,stock,price_cents
(any order, `description` optional). Rows sharing title, brand, model and colorway become
one listing with one size per row; a SKU the company already has updates its stock and
price. Line numbers are those of the file, the header being line 1.
"""

from __future__ import annotations

import csv
import io

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from marketplace import sizes
from marketplace.csvfiles import readable_rows
from marketplace.exceptions import ValidationFailed
from marketplace.extensions import db
from marketplace.services import catalog, jobs
from marketplace.services.listings import refresh_price
from models import Account, Company, Job, Listing, Variant
from models.listings import CATEGORIES

KIND = "catalog_import"
REQUIRED = (
    "sku",
    "title",
    "brand",
    "model",
    "colorway",
    "category",
    "gender",
    "size_eu",
    "stock",
    "price_cents",
)
LIMITS = {"sku": 64, "title": 200, "brand": 80, "model": 120, "colorway": 80}
MAX_ROWS = 20000
MAX_BYTES = 10 * 1024 * 1024  # 20,000 rows of the widest allowed values fit in about 12 MB


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(
            fields={"file": ["Save the CSV as UTF-8 and upload it again."]}
        ) from exc


def start_import(account: Account, company: Company, data: bytes | str) -> Job:
    """Queue an import after checking the header; commits.

    :raise ValidationFailed: too large, not UTF-8, not readable as CSV, no data rows,
        missing columns, too many rows.
    """
    if len(data) > MAX_BYTES:
        raise ValidationFailed(
            fields={"file": [f"Upload at most {MAX_BYTES // (1024 * 1024)} MB at a time."]}
        )
    text = _decode(data)
    reader = csv.reader(io.StringIO(text))
    header = [column.strip().lower() for column in next(readable_rows(reader), [])]
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        raise ValidationFailed(
            f"The header line lacks: {', '.join(missing)}.",
            fields={
                "file": [f"Columns needed: {','.join(REQUIRED)}. Missing: {', '.join(missing)}."]
            },
        )
    rows = sum(1 for row in readable_rows(reader) if any(cell.strip() for cell in row))
    if rows == 0:
        raise ValidationFailed(fields={"file": ["The file has a header but no rows."]})
    if rows > MAX_ROWS:
        raise ValidationFailed(fields={"file": [f"Import at most {MAX_ROWS} rows at a time."]})
    job = Job(kind=KIND, account_id=account.id, company_id=company.id, payload=text, total=rows)
    return jobs.enqueue(job)


def _whole(value: str, name: str, problems: list[str], maximum: int) -> int | None:
    try:
        number = int(value)
    except ValueError:
        problems.append(f"{name} must be a whole number")
        return None
    if not 0 <= number <= maximum:
        problems.append(f"{name} must be between 0 and {maximum}")
        return None
    return number


def check_row(row: dict[str, str]) -> tuple[dict, list[str]]:
    """A row's cleaned values and what is wrong with it."""
    values = {key: (row.get(key) or "").strip() for key in (*REQUIRED, "description")}
    problems = []
    for key in ("sku", "title", "brand", "model"):
        if not values[key]:
            problems.append(f"{key} is empty")
    for key, limit in LIMITS.items():
        if len(values[key]) > limit:
            problems.append(f"{key} is longer than {limit} characters")
    values["category"] = values["category"].lower()
    if values["category"] not in CATEGORIES:
        problems.append(f"category must be one of {', '.join(CATEGORIES)}")
    values["gender"] = values["gender"].lower()
    if values["gender"] not in sizes.GENDERS:
        problems.append(f"gender must be one of {', '.join(sizes.GENDERS)}")
    try:
        values["size_eu"] = sizes.normalize_eu(values["size_eu"])
    except ValueError as exc:
        problems.append(str(exc).rstrip("."))
    values["stock"] = _whole(values["stock"], "stock", problems, 1_000_000)
    values["price_cents"] = _whole(values["price_cents"], "price_cents", problems, 100_000_000)
    return values, problems


def import_row(company_id: int, values: dict) -> None:
    """Apply one checked row: update the SKU's size or add it to its listing (new or not).

    :raise ValidationFailed: the SKU is another seller's, or the listing has the size already.
    """
    variant = db.session.scalar(
        select(Variant).options(selectinload(Variant.listing)).where(Variant.sku == values["sku"])
    )
    if variant is not None:
        if variant.listing.company_id != company_id:
            raise ValidationFailed("SKU belongs to another seller")
        if variant.size_eu != values["size_eu"]:
            raise ValidationFailed(
                f"SKU is already size {variant.size_eu} of listing {variant.listing_id}"
            )
        if values["stock"] < variant.reserved:
            raise ValidationFailed(f"stock cannot go below the {variant.reserved} reserved pairs")
        variant.stock, variant.price_cents = values["stock"], values["price_cents"]
        refresh_price(variant.listing)
        return
    listing = db.session.scalar(
        select(Listing)
        .options(selectinload(Listing.variants))
        .where(
            Listing.company_id == company_id,
            Listing.kind == "business",
            Listing.title == values["title"],
            Listing.brand == values["brand"],
            Listing.model == values["model"],
            Listing.colorway == values["colorway"],
        )
        .order_by(Listing.id)
        .limit(1)
    )
    if listing is None:
        listing = Listing(
            kind="business",
            company_id=company_id,
            condition="new",
            status="active",
            b2c_enabled=True,
            **{
                key: values[key]
                for key in (
                    "title",
                    "brand",
                    "model",
                    "colorway",
                    "category",
                    "gender",
                    "description",
                )
            },
        )
        db.session.add(listing)
    elif any(v.size_eu == values["size_eu"] for v in listing.variants):
        raise ValidationFailed(
            f"listing {listing.id} already has size {values['size_eu']} with another SKU"
        )
    listing.variants.append(
        Variant(
            size_eu=values["size_eu"],
            size_sort=sizes.sort_key(values["size_eu"]),
            sku=values["sku"],
            stock=values["stock"],
            reserved=0,
            price_cents=values["price_cents"],
        )
    )
    refresh_price(listing)


@jobs.handler(KIND)
def run_import(job: Job) -> None:
    """Import every row of the job's CSV, committing each line with the job's progress."""
    reader = csv.DictReader(io.StringIO(job.payload))
    reader.fieldnames = [name.strip().lower() for name in reader.fieldnames or []]
    job_id, company_id = job.id, job.company_id
    errors: list[dict] = []
    processed = succeeded = 0
    for row in reader:
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue
        line = reader.line_num
        values, problems = check_row(row)
        if not problems:
            try:
                import_row(company_id, values)
            except ValidationFailed as exc:
                problems.append(exc.message)
        if problems:
            db.session.rollback()
            errors.append({"line": line, "message": "; ".join(problems) + "."})
        processed += 1
        job = db.session.get(Job, job_id)
        job.processed = processed
        job.errors = list(errors)
        try:
            if not problems:
                job.succeeded = succeeded + 1
            db.session.commit()
            if not problems:
                succeeded += 1
        except IntegrityError:  # another writer took the SKU between the check and the commit
            db.session.rollback()
            errors.append({"line": line, "message": "SKU is already in use."})
            job = db.session.get(Job, job_id)
            job.processed, job.errors = processed, list(errors)
            db.session.commit()
    job = db.session.get(Job, job_id)
    job.message = f"{succeeded} of {processed} lines imported."
    catalog.forget_brands()
