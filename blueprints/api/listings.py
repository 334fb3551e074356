"""Listings and catalog import jobs."""

from flask import request

from blueprints.api.core import current_account, endpoint, optional_account, page
from marketplace.exceptions import ValidationFailed
from marketplace.schemas.jobs import JobOut, JobQueuedOut
from marketplace.schemas.listings import (
    CatalogArgs,
    ListingDetailOut,
    ListingIn,
    ListingPage,
    ListingPatch,
    ListingSummaryOut,
    dump_listing,
)
from marketplace.services import catalog, imports, jobs, listings

CARD_SCHEMA = ListingSummaryOut()  # made once: the most asked-for answer of the API


@endpoint(
    "/listings",
    summary="Search the catalog",
    tag="listings",
    auth="optional",
    query=CatalogArgs,
    response=ListingPage,
    errors=(422,),
    public_cache=True,
)
def list_listings(args):
    result = catalog.search_cards(args)
    items = CARD_SCHEMA.dump(result.items, many=True)
    return page(items, result.total, {"page": result.page, "per_page": result.per_page})


@endpoint(
    "/listings/<int:listing_id>",
    summary="One listing with photos and sizes",
    tag="listings",
    auth="optional",
    response=ListingDetailOut,
    errors=(404,),
    public_cache=True,
)
def get_listing(listing_id):
    viewer = optional_account()
    listing = catalog.visible_listing(listing_id, viewer)
    return dump_listing(listing, viewer)


@endpoint(
    "/listings",
    "POST",
    summary="Create a business listing",
    tag="listings",
    body=ListingIn,
    response=ListingDetailOut,
    status=201,
    errors=(400, 401, 403, 422),
)
def create_listing(data):
    company = listings.seller_company(current_account())
    listing = listings.create_listing(company, data)
    return dump_listing(listing, current_account()), 201


@endpoint(
    "/listings/<int:listing_id>",
    "PATCH",
    summary="Change a listing: facts, sizes, stock, prices, status",
    tag="listings",
    body=ListingPatch,
    response=ListingDetailOut,
    errors=(400, 401, 403, 404, 422),
)
def update_listing(listing_id, data):
    company = listings.seller_company(current_account())
    listing = listings.update_listing(listing_id, company, data)
    return dump_listing(listing, current_account())


CSV_UPLOAD = {
    "type": "object",
    "properties": {"file": {"type": "string", "format": "binary"}},
    "required": ["file"],
}


@endpoint(
    "/listings/import",
    "POST",
    summary="Import a catalog CSV as a background job",
    tag="listings",
    multipart=CSV_UPLOAD,
    response=JobQueuedOut,
    status=202,
    errors=(401, 403, 422),
    description=(
        "Multipart field `file` (or a raw `text/csv` body) with the columns "
        "sku,title,brand,model,colorway,category,gender,size_eu,stock,price_cents."
    ),
)
def import_listings():
    company = listings.seller_company(current_account())
    upload = request.files.get("file")
    if upload is not None:
        data = upload.read()
    elif request.mimetype in ("text/csv", "text/plain"):
        data = request.get_data()
    else:
        raise ValidationFailed(fields={"file": ["Upload the CSV as the multipart field `file`."]})
    job = imports.start_import(current_account(), company, data)
    return {"job_id": job.id, "status": job.status}, 202


@endpoint(
    "/jobs/<int:job_id>",
    summary="Progress and per-line errors of a background job",
    tag="listings",
    response=JobOut,
    errors=(401, 404),
)
def get_job(job_id):
    job = jobs.job_for(job_id, current_account())
    return JobOut().dump(job)
