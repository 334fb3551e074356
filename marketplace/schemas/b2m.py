"""B2M schemas: applications, shop items, shops, commissions, network, payouts."""

from marshmallow import Schema, fields, validate

from marketplace import clock
from marketplace.schemas.common import Cents, Input, PageArgs, page_schema
from marketplace.schemas.listings import ListingSummaryOut, ShopTermsIn, VariantOut

ID = validate.Range(min=1, max=2**31 - 1)


class ApplyIn(Input):
    shop_name = fields.String(required=True, validate=validate.Length(max=200))
    referral_code = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=40)
    )


class ManagerOut(Schema):
    account_id = fields.Integer()
    status = fields.String()
    shop_name = fields.String()
    shop_slug = fields.String(allow_none=True)
    referral_code = fields.String(allow_none=True)
    upline_account_id = fields.Method("get_upline", allow_none=True)

    def get_upline(self, manager):
        return manager.upline.account_id if manager.upline else None


class ShopItemIn(Input):
    listing_id = fields.Integer(strict=True, required=True, validate=ID)
    retail_price_cents = Cents(required=True)


class ShopItemPatch(Input):
    retail_price_cents = Cents(required=True)


class ShopItemOut(Schema):
    id = fields.Integer()
    listing_id = fields.Integer()
    title = fields.String(attribute="listing.title")
    retail_price_cents = fields.Integer()
    base_price_cents = fields.Integer(attribute="listing.b2m_base_price_cents")
    margin_cents = fields.Method("get_margin")
    sellable = fields.Boolean()
    min_retail_cents = fields.Integer(attribute="listing.b2m_min_retail_cents")
    max_retail_cents = fields.Integer(attribute="listing.b2m_max_retail_cents")

    def get_margin(self, item) -> int:
        return item.retail_price_cents - item.listing.b2m_base_price_cents


ShopItemList = page_schema(ShopItemOut, "ShopItemList")


# Made once, not per shop item (building a schema copies every field).
SHOP_VARIANTS = VariantOut(only=("id", "size_eu", "in_stock", "available"), many=True)
CARD = ListingSummaryOut()


class PublicItemOut(Schema):
    id = fields.Integer()
    listing_id = fields.Integer()
    title = fields.String(attribute="listing.title")
    brand = fields.String(attribute="listing.brand")
    retail_price_cents = fields.Integer()
    photo_url = fields.Method("get_photo")
    variants = fields.Method("get_variants")

    def get_photo(self, item):
        return CARD.get_photo_url(item.listing)

    def get_variants(self, item):
        variants = SHOP_VARIANTS.dump(item.listing.variants)
        for variant in variants:
            variant["price_cents"] = item.retail_price_cents
        return variants


class ShopOut(Schema):
    name = fields.String(attribute="shop_name")
    slug = fields.String(attribute="shop_slug")
    manager_name = fields.String(attribute="account.name")
    items = fields.List(fields.Nested(PublicItemOut))


class B2MSummaryOut(ListingSummaryOut):
    # API.md lists the four prices on each item; `b2m` holds them too, as on GET /listings/{id}.
    base_price_cents = fields.Integer(attribute="b2m_base_price_cents")
    min_retail_cents = fields.Integer(attribute="b2m_min_retail_cents")
    max_retail_cents = fields.Integer(attribute="b2m_max_retail_cents")
    suggested_retail_cents = fields.Integer(attribute="b2m_suggested_retail_cents")
    b2m = fields.Method("get_terms")
    margin_at_suggested_cents = fields.Method("get_margin")

    def get_terms(self, listing):
        return ShopTermsIn().dump(
            {
                "enabled": listing.b2m_enabled,
                "base_price_cents": listing.b2m_base_price_cents,
                "min_retail_cents": listing.b2m_min_retail_cents,
                "max_retail_cents": listing.b2m_max_retail_cents,
                "suggested_retail_cents": listing.b2m_suggested_retail_cents,
            }
        )

    def get_margin(self, listing):
        return listing.b2m_suggested_retail_cents - listing.b2m_base_price_cents


B2MPage = page_schema(B2MSummaryOut, "B2MPage")


class CommissionOut(Schema):
    id = fields.Integer()
    order_id = fields.Integer()
    kind = fields.String()
    level = fields.Integer()
    amount_cents = fields.Integer()
    status = fields.String()
    available_at = fields.Method("get_available_at", allow_none=True)
    created_at = fields.Method("get_created_at")

    def get_available_at(self, commission):
        return clock.isoformat(commission.available_at)

    def get_created_at(self, commission):
        return clock.isoformat(commission.created_at)


class CommissionList(page_schema(CommissionOut, "CommissionPage")):
    # {pending_cents, available_cents, paid_cents, reversed_cents}, of every commission
    totals = fields.Dict(keys=fields.String(), values=fields.Integer())


class DownlineOut(Schema):
    level = fields.Integer()
    account_id = fields.Integer()
    name = fields.String()
    shop_name = fields.String()
    shop_slug = fields.String(allow_none=True)
    status = fields.String()
    sales_cents = fields.Integer()
    orders = fields.Integer()


class NetworkOut(Schema):
    items = fields.List(fields.Nested(DownlineOut))
    levels = fields.Dict(keys=fields.String(), values=fields.Integer())


class PayoutIn(Input):
    amount_cents = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=1, max=10**11)
    )


class PayoutOut(Schema):
    id = fields.Integer()
    status = fields.String()
    amount_cents = fields.Integer()
    company_id = fields.Integer(allow_none=True)
    account_id = fields.Integer(allow_none=True)
    created_at = fields.Method("get_created_at")
    decided_at = fields.Method("get_decided_at", allow_none=True)

    def get_created_at(self, payout):
        return clock.isoformat(payout.created_at)

    def get_decided_at(self, payout):
        return clock.isoformat(payout.decided_at)


PayoutList = page_schema(PayoutOut, "PayoutList")


class ManagerQuery(PageArgs):
    status = fields.String(
        load_default="pending", validate=validate.OneOf(["pending", "approved", "rejected"])
    )


ManagerList = page_schema(ManagerOut, "ManagerList")


class UplineIn(Input):
    referral_code = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=40)
    )


ManagerPage = page_schema(ManagerOut, "ManagerPage")
