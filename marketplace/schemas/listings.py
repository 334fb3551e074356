"""Listing schemas: create/update bodies, catalog arguments, and views by who is looking."""

from __future__ import annotations

from marshmallow import Schema, fields, post_load, validate

from marketplace import clock, sizes
from marketplace.schemas.common import Cents, Input, PageArgs, SizeEU, page_schema
from marketplace.services import catalog, wholesale
from marketplace.services.storage import absolute_url
from models.listings import CATEGORIES, CONDITIONS


class VariantIn(Input):
    size_eu = SizeEU(required=True)
    sku = fields.String(required=True, validate=validate.Length(min=1, max=64))
    stock = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=0, max=1_000_000)
    )
    price_cents = Cents(required=True)


class VariantPatch(Input):
    id = fields.Integer(strict=True)
    size_eu = SizeEU()
    sku = fields.String(validate=validate.Length(min=1, max=64))
    stock = fields.Integer(strict=True, validate=validate.Range(min=0, max=1_000_000))
    price_cents = Cents()


class ModeSwitch(Input):
    enabled = fields.Boolean(required=True)


class TierIn(Input):
    min_qty = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=1, max=1_000_000)
    )
    unit_price_cents = Cents(required=True)


class PrepackIn(Input):
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    sizes = fields.Dict(
        keys=fields.String(validate=validate.Length(max=5)),
        values=fields.Integer(
            strict=True, validate=validate.Range(min=1, max=wholesale.MAX_PREPACK_SIZE_PAIRS)
        ),
        required=True,
        validate=validate.Length(min=1, max=30),
    )


class WholesaleTermsIn(Input):
    enabled = fields.Boolean(load_default=True)
    moq = fields.Integer(strict=True, load_default=1, validate=validate.Range(min=1, max=1_000_000))
    order_multiple = fields.Integer(
        strict=True, load_default=1, validate=validate.Range(min=1, max=1000)
    )
    tiers = fields.List(fields.Nested(TierIn), validate=validate.Length(max=20))
    prepacks = fields.List(fields.Nested(PrepackIn), validate=validate.Length(max=20))


PRODUCT_LIMITS = {
    "title": validate.Length(min=1, max=200),
    "brand": validate.Length(min=1, max=80),
    "model": validate.Length(min=1, max=120),
    "colorway": validate.Length(max=80),
    "description": validate.Length(max=5000),
}


class WholesaleTermsPatch(Input):
    """A change of wholesale terms: what is left out stays as it is."""

    enabled = fields.Boolean()
    moq = fields.Integer(strict=True, validate=validate.Range(min=1, max=1_000_000))
    order_multiple = fields.Integer(strict=True, validate=validate.Range(min=1, max=1000))
    tiers = fields.List(fields.Nested(TierIn), validate=validate.Length(max=20))
    prepacks = fields.List(fields.Nested(PrepackIn), validate=validate.Length(max=20))


class ShopTermsPatch(Input):
    enabled = fields.Boolean()
    base_price_cents = Cents()
    min_retail_cents = Cents()
    max_retail_cents = Cents()
    suggested_retail_cents = Cents()


class ShopTermsIn(Input):
    enabled = fields.Boolean(load_default=True)
    base_price_cents = Cents()
    min_retail_cents = Cents()
    max_retail_cents = Cents()
    suggested_retail_cents = Cents()


class ListingIn(Input):
    title = fields.String(required=True, validate=PRODUCT_LIMITS["title"])
    brand = fields.String(required=True, validate=PRODUCT_LIMITS["brand"])
    model = fields.String(required=True, validate=PRODUCT_LIMITS["model"])
    colorway = fields.String(load_default="", validate=PRODUCT_LIMITS["colorway"])
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    gender = fields.String(required=True, validate=validate.OneOf(sizes.GENDERS))
    description = fields.String(load_default="", validate=PRODUCT_LIMITS["description"])
    variants = fields.List(
        fields.Nested(VariantIn), required=True, validate=validate.Length(min=1, max=60)
    )
    b2c = fields.Nested(ModeSwitch, load_default=None, allow_none=True)
    b2b = fields.Nested(WholesaleTermsIn, load_default=None, allow_none=True)
    b2m = fields.Nested(ShopTermsIn, load_default=None, allow_none=True)


class ListingPatch(Input):
    title = fields.String(validate=PRODUCT_LIMITS["title"])
    brand = fields.String(validate=PRODUCT_LIMITS["brand"])
    model = fields.String(validate=PRODUCT_LIMITS["model"])
    colorway = fields.String(validate=PRODUCT_LIMITS["colorway"])
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    gender = fields.String(validate=validate.OneOf(sizes.GENDERS))
    description = fields.String(validate=PRODUCT_LIMITS["description"])
    status = fields.String(validate=validate.OneOf(["active", "archived"]))
    variants = fields.List(fields.Nested(VariantPatch), validate=validate.Length(min=1, max=60))
    b2c = fields.Nested(ModeSwitch, allow_none=True)
    b2b = fields.Nested(WholesaleTermsPatch, allow_none=True)
    b2m = fields.Nested(ShopTermsPatch, allow_none=True)


class CatalogArgs(PageArgs):
    q = fields.String(load_default="", validate=validate.Length(max=200))
    brand = fields.String(validate=validate.Length(max=80))
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    gender = fields.String(validate=validate.OneOf(sizes.GENDERS))
    size_eu = SizeEU()
    min_price_cents = fields.Integer(validate=validate.Range(min=0, max=100_000_000))
    max_price_cents = fields.Integer(validate=validate.Range(min=0, max=100_000_000))
    mode = fields.String(validate=validate.OneOf(catalog.MODES))
    condition = fields.String(validate=validate.OneOf(CONDITIONS))
    sort = fields.String(load_default="relevance", validate=validate.OneOf(catalog.SORTS))

    @post_load
    def to_query(self, data, **kwargs) -> catalog.CatalogQuery:
        return catalog.CatalogQuery(**data)


class PhotoOut(Schema):
    url = fields.Method("get_url")
    thumb_url = fields.Method("get_thumb_url")

    def get_url(self, photo) -> str:
        return absolute_url(photo.filename)

    def get_thumb_url(self, photo) -> str:
        return absolute_url(photo.thumb_filename)


class VariantOut(Schema):
    id = fields.Integer()
    size_eu = fields.String()
    sku = fields.String()
    in_stock = fields.Method(
        "get_in_stock", metadata={"description": "Whether a pair can be bought"}
    )
    available = fields.Integer(metadata={"description": "Pairs that can be bought now"})
    price_cents = fields.Integer()
    stock = fields.Integer(metadata={"description": "Owner only: pairs on hand"})
    reserved = fields.Integer(metadata={"description": "Owner only: pairs held by unpaid orders"})

    def get_in_stock(self, variant) -> bool:
        return variant.available > 0


class ListingOut(Schema):
    id = fields.Integer()
    title = fields.String()
    brand = fields.String()
    model = fields.String()
    colorway = fields.String()
    category = fields.String()
    gender = fields.String()
    description = fields.String()
    condition = fields.String()
    status = fields.String()
    mode = fields.String()
    price_cents = fields.Integer(attribute="min_price_cents", allow_none=True)
    photos = fields.List(fields.Nested(PhotoOut))
    variants = fields.List(fields.Nested(VariantOut))
    b2c = fields.Method("get_b2c")
    seller = fields.Method("get_seller")
    created_at = fields.Method("get_created_at")

    def get_b2c(self, listing) -> dict:
        return {"enabled": listing.kind == "business" and listing.b2c_enabled}

    def get_seller(self, listing) -> dict:
        if listing.kind == "business":
            return {"type": "company", "id": listing.company_id, "name": listing.company.name}
        return {"type": "person", "id": listing.account_id, "name": listing.owner.name}

    def get_created_at(self, listing) -> str:
        return clock.isoformat(listing.created_at)


class ListingSummaryOut(Schema):
    id = fields.Integer()
    title = fields.String()
    brand = fields.String()
    model = fields.String()
    colorway = fields.String()
    category = fields.String()
    gender = fields.String()
    mode = fields.String()
    price_cents = fields.Integer(attribute="min_price_cents", allow_none=True)
    condition = fields.String()
    sizes_in_stock = fields.List(fields.String())
    photo_url = fields.Method("get_photo_url", allow_none=True)

    def get_photo_url(self, listing) -> str | None:
        """`listing`: a Listing or a catalog.Card."""
        if listing.thumb_filename is None:
            return None
        return absolute_url(listing.thumb_filename)


ListingPage = page_schema(ListingSummaryOut, "ListingPage")


class PrepackOut(Schema):
    id = fields.Integer()
    name = fields.String()
    sizes = fields.Dict(keys=fields.String(), values=fields.Integer())
    pairs = fields.Integer()


class WholesaleTermsOut(Schema):
    enabled = fields.Boolean()
    moq = fields.Integer()
    order_multiple = fields.Integer()
    tiers = fields.List(fields.Nested(TierIn))
    prepacks = fields.List(fields.Nested(PrepackOut))


class ListingDetailOut(ListingOut):
    """The listing as GET /listings/{id} answers: `b2b` only for wholesale buyers and the
    owner, `b2m` only for approved managers and the owner; variants' `stock` and
    `reserved` only for the owner."""

    b2b = fields.Nested(WholesaleTermsOut)
    b2m = fields.Nested(ShopTermsIn)


PUBLIC_VARIANT = ("id", "size_eu", "sku", "in_stock", "available", "price_cents")
OWNER_VARIANT = (*PUBLIC_VARIANT, "stock", "reserved")
# Made once (building a schema copies every field): the API's listing answer is asked for often.
LISTING_SCHEMA = ListingOut(exclude=("variants",))
VARIANTS_SCHEMA = {
    False: VariantOut(only=PUBLIC_VARIANT, many=True),
    True: VariantOut(only=OWNER_VARIANT, many=True),
}


def dump_listing(listing, viewer=None) -> dict:
    """A listing as `viewer` may see it (anyone, a wholesale buyer, a manager, the owner)."""
    from marketplace.services import shops, wholesale

    owner = catalog.can_manage(listing, viewer)
    data = LISTING_SCHEMA.dump(listing)
    data["variants"] = VARIANTS_SCHEMA[owner].dump(listing.variants)
    if listing.kind == "business" and wholesale.can_see_terms(listing, viewer):
        data["b2b"] = wholesale.terms_view(listing)
    if listing.kind == "business" and shops.can_see_terms(listing, viewer):
        data["b2m"] = shops.terms_view(listing)
    return data
