"""B2M: applying, the managers' catalog, shop items, public shops, commissions, payouts."""

from blueprints.api.core import current_account, endpoint, listed, page
from marketplace.schemas.b2m import (
    ApplyIn,
    B2MPage,
    B2MSummaryOut,
    CommissionList,
    CommissionOut,
    ManagerList,
    ManagerOut,
    ManagerQuery,
    NetworkOut,
    PayoutIn,
    PayoutList,
    PayoutOut,
    PublicItemOut,
    ShopItemIn,
    ShopItemList,
    ShopItemOut,
    ShopItemPatch,
    ShopOut,
    UplineIn,
)
from marketplace.schemas.common import PageArgs
from marketplace.schemas.listings import CatalogArgs
from marketplace.services import commissions, managers, payouts, reports, shops


def _manager():
    return managers.approved_manager(current_account())


@endpoint(
    "/b2m/apply",
    "POST",
    summary="Apply to become a manager (free); optionally with a referral code",
    tag="b2m",
    body=ApplyIn,
    response=ManagerOut,
    status=201,
    errors=(400, 401, 403, 409, 422),
)
def apply(data):
    manager = managers.apply(current_account(), data["shop_name"], data["referral_code"])
    return ManagerOut().dump(manager), 201


@endpoint(
    "/b2m/catalog",
    summary="Listings open to B2M with base price and retail range",
    tag="b2m",
    query=CatalogArgs,
    response=B2MPage,
    errors=(401, 403, 422),
)
def b2m_catalog(args):
    _manager()
    found = shops.b2m_catalog(args)
    return page(
        B2MSummaryOut().dump(found.items, many=True),
        found.total,
        {"page": found.page, "per_page": found.per_page},
    )


@endpoint(
    "/b2m/shop/items",
    "POST",
    summary="Put a listing in my shop at my price (inside the seller's range)",
    tag="b2m",
    body=ShopItemIn,
    response=ShopItemOut,
    status=201,
    errors=(400, 401, 403, 404, 409, 422),
    description="422 price_out_of_range names the allowed range.",
)
def add_shop_item(data):
    item = shops.add_item(_manager(), data["listing_id"], data["retail_price_cents"])
    return ShopItemOut().dump(item), 201


@endpoint(
    "/b2m/shop/items",
    summary="My shop's items; `sellable` is false when the price left the range",
    tag="b2m",
    query=PageArgs,
    response=ShopItemList,
    errors=(401, 403, 422),
)
def list_shop_items(args):
    return listed(shops.items(_manager()), args, ShopItemOut())


@endpoint(
    "/b2m/shop/items/<int:item_id>",
    "PATCH",
    summary="Change an item's price",
    tag="b2m",
    body=ShopItemPatch,
    response=ShopItemOut,
    errors=(400, 401, 403, 404, 422),
)
def update_shop_item(item_id, data):
    return ShopItemOut().dump(shops.update_item(_manager(), item_id, data["retail_price_cents"]))


@endpoint(
    "/b2m/shop/items/<int:item_id>",
    "DELETE",
    summary="Take an item out of my shop",
    tag="b2m",
    errors=(401, 403, 404),
)
def remove_shop_item(item_id):
    shops.remove_item(_manager(), item_id)
    return {"id": item_id, "deleted": True}


@endpoint(
    "/b2m/shops/<slug>",
    summary="A manager's public shop",
    tag="b2m",
    auth="optional",
    response=ShopOut,
    errors=(404,),
)
def public_shop(slug):
    manager = shops.shop(slug)
    body = ShopOut(exclude=("items",)).dump(manager)
    body["items"] = PublicItemOut().dump(shops.public_items(manager), many=True)
    return body


@endpoint(
    "/b2m/commissions",
    summary="My commissions: margins and overrides, by status",
    tag="b2m",
    query=PageArgs,
    response=CommissionList,
    errors=(401, 403, 422),
)
def my_commissions(args):
    manager = _manager()
    return {
        **listed(commissions.of_manager(manager), args, CommissionOut()),
        "totals": {
            f"{status}_cents": cents
            for status, cents in commissions.totals_by_status(manager).items()
        },
    }


@endpoint(
    "/b2m/network",
    summary="My downline by level, with each manager's sales",
    tag="b2m",
    response=NetworkOut,
    errors=(401, 403),
)
def my_network():
    return reports.network(_manager())


@endpoint(
    "/b2m/payouts",
    "POST",
    summary="Ask to be paid from the available balance (managers and sellers)",
    tag="b2m",
    body=PayoutIn,
    response=PayoutOut,
    status=201,
    errors=(400, 401, 409, 422),
    idempotent=True,
    description="409 insufficient_available_balance above what is available and not yet requested.",
)
def request_payout(data):
    return PayoutOut().dump(payouts.request(current_account(), data["amount_cents"])), 201


@endpoint(
    "/b2m/payouts",
    summary="My payout requests",
    tag="b2m",
    query=PageArgs,
    response=PayoutList,
    errors=(401, 422),
)
def my_payouts(args):
    return listed(payouts.of_owner(current_account()), args, PayoutOut())


@endpoint(
    "/admin/managers",
    summary="Manager applications by status",
    tag="admin",
    auth="admin",
    query=ManagerQuery,
    response=ManagerList,
    errors=(401, 403, 422),
)
def list_managers(args):
    return listed(managers.applications(args["status"]), args, ManagerOut())


@endpoint(
    "/admin/managers/<int:account_id>/approve",
    "POST",
    summary="Approve a manager: shop slug and referral code",
    tag="admin",
    auth="admin",
    response=ManagerOut,
    errors=(401, 403, 404),
)
def approve_manager(account_id):
    return ManagerOut().dump(managers.approve(account_id))


@endpoint(
    "/admin/managers/<int:account_id>/reject",
    "POST",
    summary="Refuse a manager application",
    tag="admin",
    auth="admin",
    response=ManagerOut,
    errors=(401, 403, 404),
)
def reject_manager(account_id):
    return ManagerOut().dump(managers.reject(account_id))


@endpoint(
    "/admin/managers/<int:account_id>/upline",
    "POST",
    summary="Move a manager below the owner of a referral code (cycles refused)",
    tag="admin",
    auth="admin",
    body=UplineIn,
    response=ManagerOut,
    errors=(400, 401, 403, 404, 422),
)
def move_manager(account_id, data):
    return ManagerOut().dump(managers.move(account_id, data["referral_code"]))


@endpoint(
    "/admin/payouts",
    summary="Payout requests waiting for a decision",
    tag="admin",
    auth="admin",
    query=PageArgs,
    response=PayoutList,
    errors=(401, 403, 422),
)
def waiting_payouts(args):
    return listed(payouts.waiting(), args, PayoutOut())


@endpoint(
    "/admin/payouts/<int:payout_id>/approve",
    "POST",
    summary="Pay a payout request",
    tag="admin",
    auth="admin",
    response=PayoutOut,
    errors=(401, 403, 404, 409),
)
def approve_payout(payout_id):
    return PayoutOut().dump(payouts.approve(payout_id, current_account()))


@endpoint(
    "/admin/payouts/<int:payout_id>/reject",
    "POST",
    summary="Refuse a payout request",
    tag="admin",
    auth="admin",
    response=PayoutOut,
    errors=(401, 403, 404),
)
def reject_payout(payout_id):
    return PayoutOut().dump(payouts.reject(payout_id, current_account()))
