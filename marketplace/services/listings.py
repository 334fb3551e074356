"""Business listings from the seller's side: create, edit, archive, photos."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from marketplace import sizes
from marketplace.exceptions import Forbidden, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.services import catalog, shops, wholesale
from marketplace.services.storage import new_name, storage
from marketplace.services.uploads import process_image
from models import Account, Company, Listing, Photo, Variant

MAX_PHOTOS = 8
PRODUCT_FIELDS = ("title", "brand", "model", "colorway", "category", "gender", "description")


def seller_company(account: Account) -> Company:
    """The verified selling company `account` acts for.

    :raise Forbidden: not a member of a company verified to sell.
    """
    company = account.company
    if company is None or not company.sells:
        raise Forbidden("Only members of a selling company can manage listings.")
    if not company.is_verified:
        raise Forbidden("Your company is waiting for verification before it can sell.")
    return company


def owned_listing(listing_id: int, company_id: int) -> Listing:
    """A business listing of the company. :raise NotFound: absent or another company's."""
    listing = db.session.get(
        Listing, listing_id, options=[selectinload(Listing.variants), selectinload(Listing.photos)]
    )
    if listing is None or listing.kind != "business" or listing.company_id != company_id:
        raise NotFound("No such listing.")
    return listing


def company_listings(company_id: int, status: str | None = None) -> list[Listing]:
    """The company's listings, newest first, with variants loaded."""
    query = (
        select(Listing)
        .where(Listing.company_id == company_id, Listing.kind == "business")
        .options(selectinload(Listing.variants), selectinload(Listing.photos))
        .order_by(Listing.created_at.desc(), Listing.id.desc())
    )
    if status:
        query = query.where(Listing.status == status)
    return list(db.session.scalars(query))


def refresh_price(listing: Listing) -> None:
    """Keep the listing's lowest retail price in step with its variants."""
    prices = [variant.price_cents for variant in listing.variants]
    listing.min_price_cents = min(prices) if prices else None


def _sku_taken(sku: str, except_variant_id: int | None) -> bool:
    query = select(func.count(Variant.id)).where(Variant.sku == sku)
    if except_variant_id is not None:
        query = query.where(Variant.id != except_variant_id)
    return bool(db.session.scalar(query))


def apply_variants(listing: Listing, rows: list[dict], fields: dict[str, list[str]]) -> None:
    """Update the listing's sizes from `rows` (matched by id, then SKU, then size), adding
    new ones; problems are recorded in `fields` under `variants.<i>.<field>`."""
    by_id = {variant.id: variant for variant in listing.variants if variant.id}
    by_sku = {variant.sku: variant for variant in listing.variants}
    by_size = {variant.size_eu: variant for variant in listing.variants}
    seen_sizes: dict[str, int] = {}
    seen_skus: dict[str, int] = {}
    for index, row in enumerate(rows):
        prefix = f"variants.{index}"
        variant = None
        if row.get("id") is not None:
            variant = by_id.get(row["id"])
            if variant is None:
                fields[f"{prefix}.id"] = ["This size does not belong to the listing."]
                continue
        elif row.get("sku") in by_sku:
            variant = by_sku[row["sku"]]
        elif row.get("size_eu") is not None:
            try:
                variant = by_size.get(sizes.normalize_eu(row["size_eu"]))
            except ValueError:
                variant = None

        size = row.get("size_eu", variant.size_eu if variant else None)
        if size is None:
            fields[f"{prefix}.size_eu"] = ["Enter the EU size."]
            continue
        try:
            size = sizes.normalize_eu(size)
        except ValueError as exc:
            fields[f"{prefix}.size_eu"] = [str(exc)]
            continue
        if size in seen_sizes:
            fields[f"{prefix}.size_eu"] = [f"Size {size} is listed twice."]
        seen_sizes[size] = index
        other = by_size.get(size)
        if other is not None and variant is not None and other is not variant:
            fields[f"{prefix}.size_eu"] = [f"Size {size} is already another row of this listing."]

        sku = (row.get("sku") or (variant.sku if variant else "")).strip()
        if not sku:
            fields[f"{prefix}.sku"] = ["Enter a SKU."]
        elif sku in seen_skus:
            fields[f"{prefix}.sku"] = ["This SKU is used twice."]
        elif _sku_taken(sku, variant.id if variant else None):
            fields[f"{prefix}.sku"] = ["This SKU is already in use."]
        seen_skus[sku] = index

        stock = row.get("stock", variant.stock if variant else 0)
        if variant is not None and stock < variant.reserved:
            fields[f"{prefix}.stock"] = [
                f"{variant.reserved} pairs are held for unpaid orders; stock cannot go below that."
            ]
        price = row.get("price_cents", variant.price_cents if variant else None)
        if price is None:
            fields[f"{prefix}.price_cents"] = ["Enter the retail price."]
        if any(key.startswith(prefix + ".") for key in fields):
            continue
        if variant is None:
            variant = Variant(size_eu=size, sku=sku, stock=stock, reserved=0, price_cents=price)
            listing.variants.append(variant)
            by_size[size] = variant
        else:
            variant.size_eu, variant.sku, variant.stock, variant.price_cents = (
                size,
                sku,
                stock,
                price,
            )
        variant.size_sort = sizes.sort_key(size)


def _apply_product(listing: Listing, data: dict) -> None:
    for name in PRODUCT_FIELDS:
        if name in data:
            value = data[name]
            setattr(listing, name, value.strip() if isinstance(value, str) else value)
    if "b2c" in data and data["b2c"] is not None:
        listing.b2c_enabled = bool(data["b2c"].get("enabled", listing.b2c_enabled))


def _commit_or_sku_clash() -> None:
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise ValidationFailed(
            "Another listing took one of these SKUs a moment ago.",
            fields={"variants": ["A SKU is already in use."]},
        ) from exc


def create_listing(company: Company, data: dict) -> Listing:
    """A new active business listing with its sizes; commits.

    :raise ValidationFailed: no sizes, a repeated size or SKU, a SKU in use elsewhere.
    """
    listing = Listing(kind="business", company_id=company.id, condition="new", status="active")
    _apply_product(listing, data)
    fields: dict[str, list[str]] = {}
    if not data.get("variants"):
        fields["variants"] = ["Add at least one size."]
    else:
        apply_variants(listing, data["variants"], fields)
        wholesale.apply_terms(listing, data.get("b2b"), fields)
        shops.apply_terms(listing, data.get("b2m"), fields)
    if fields:
        db.session.rollback()
        raise ValidationFailed(fields=fields)
    refresh_price(listing)
    db.session.add(listing)
    _commit_or_sku_clash()
    catalog.forget_brands()
    return listing


def update_listing(listing_id: int, company: Company, data: dict) -> Listing:
    """Change a listing's product facts, sizes, stock, prices or status; commits.

    :raise NotFound: not the company's listing.
    :raise ValidationFailed: as for create, or stock below what unpaid orders hold.
    """
    listing = owned_listing(listing_id, company.id)
    with db.session.no_autoflush:
        _apply_product(listing, data)
        fields: dict[str, list[str]] = {}
        if data.get("variants") is not None:
            apply_variants(listing, data["variants"], fields)
        wholesale.apply_terms(listing, data.get("b2b"), fields)
        shops.apply_terms(listing, data.get("b2m"), fields)
        if "status" in data and data["status"] is not None:
            listing.status = data["status"]
    if fields:
        db.session.rollback()
        raise ValidationFailed(fields=fields)
    refresh_price(listing)
    _commit_or_sku_clash()
    catalog.forget_brands()
    return listing


def set_status(listing_id: int, company: Company, status: str) -> Listing:
    """Archive (`archived`) or restore (`active`) a listing; commits."""
    listing = owned_listing(listing_id, company.id)
    listing.status = status
    db.session.commit()
    return listing


def add_photos(listing: Listing, uploads: list[bytes]) -> list[Photo]:
    """Re-encode and attach photos to a listing, up to MAX_PHOTOS in all; commits.

    :raise ValidationFailed: too many photos, or any upload is not an acceptable image
        (then none is attached).
    """
    if len(listing.photos) + len(uploads) > MAX_PHOTOS:
        raise ValidationFailed(fields={"photos": [f"A listing has at most {MAX_PHOTOS} photos."]})
    processed = [process_image(data) for data in uploads]
    photos = []
    position = max((photo.position for photo in listing.photos), default=-1)
    for image in processed:
        position += 1
        name = new_name()
        thumb = name.replace(".jpg", "_thumb.jpg")
        storage().save(image.full, name)
        storage().save(image.thumb, thumb)
        photo = Photo(
            position=position,
            filename=name,
            thumb_filename=thumb,
            width=image.width,
            height=image.height,
        )
        listing.photos.append(photo)
        photos.append(photo)
    db.session.commit()
    return photos


def remove_photo(listing: Listing, photo_id: int) -> None:
    """Delete one photo of the listing and its files; commits. :raise NotFound: not its photo."""
    photo = next((p for p in listing.photos if p.id == photo_id), None)
    if photo is None:
        raise NotFound("No such photo.")
    listing.photos.remove(photo)
    db.session.delete(photo)
    db.session.commit()
    storage().delete(photo.filename)
    storage().delete(photo.thumb_filename)
