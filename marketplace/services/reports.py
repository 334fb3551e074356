"""Sales figures for sellers' and managers' pages."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from marketplace import clock
from marketplace.extensions import db
from marketplace.services import ledger, orders
from models import LedgerAccount, LedgerEntry, LedgerTransaction, Order

SOLD = (
    "paid",
    "invoiced",
    "shipped",
    "delivered",
    "completed",
    "return_requested",
    "returned",
    "disputed",
)


def _first_day(days: int) -> date:
    """The first of the last `days` days, today included."""
    return clock.now().date() - timedelta(days=days - 1)


def _per_day(
    placed: Iterable[tuple[datetime, int]], start: date, days: int
) -> list[tuple[date, int, int]]:
    """(day, money in cents, orders) for each of `days` days from `start`, of (placed at,
    amount) pairs; pairs outside those days (after today: the clock was moved back) are
    left out."""
    totals = {start + timedelta(days=n): [0, 0] for n in range(days)}
    for created_at, amount in placed:
        day = created_at.date()
        if day in totals:
            totals[day][0] += amount
            totals[day][1] += 1
    return [(day, money, count) for day, (money, count) in sorted(totals.items())]


def sales_by_day(condition, days: int = 30) -> list[tuple[date, int, int]]:
    """(day, money in cents, orders) for each of the last `days` days of sold orders."""
    start = _first_day(days)
    rows = db.session.execute(
        select(Order.created_at, Order.subtotal_cents).where(
            condition, Order.status.in_(SOLD), Order.created_at >= start
        )
    ).all()
    return _per_day(rows, start, days)


def _captured(code: str, since: date):
    """Per order captured since `since`, what its capture posting credited the ledger
    account `code`."""
    return (
        select(
            LedgerTransaction.order_id.label("order_id"),
            (-func.sum(LedgerEntry.amount_cents)).label("amount_cents"),
        )
        .join(LedgerEntry.transaction)
        .join(LedgerEntry.ledger_account)
        .where(
            LedgerTransaction.kind == "capture",
            LedgerAccount.code == code,
            LedgerTransaction.created_at >= since,
        )
        .group_by(LedgerTransaction.order_id)
        .subquery()
    )


def seller_summary(company_id: int | None, account_id: int | None, days: int = 30) -> dict:
    """A seller's sold orders of the last `days` days, per day and by trade mode.

    Two figures each: `sales_cents`, what buyers paid for the pairs (at the manager's shop
    price on B2M orders), and `proceeds_cents`, what the seller is paid: the seller's credit
    in each order's capture posting (the total less the platform fee, and on B2M less the
    manager's margin). `daily` is (day, proceeds in cents, orders).
    """
    condition = (
        Order.seller_company_id == company_id
        if company_id is not None
        else Order.seller_account_id == account_id
    )
    start = _first_day(days)
    end = start + timedelta(days=days)  # after today only when the clock was moved back
    credited = _captured(  # an order is captured when paid, never before it was placed
        ledger.owner_code("seller_pending", company_id=company_id, account_id=account_id), start
    )
    rows = db.session.execute(
        select(
            Order.created_at,
            Order.mode,
            Order.subtotal_cents,
            func.coalesce(credited.c.amount_cents, 0),
        )
        .outerjoin(credited, credited.c.order_id == Order.id)
        .where(
            condition,
            Order.status.in_(SOLD),
            Order.created_at >= start,
            Order.created_at < end,
        )
    ).all()
    by_mode: dict[str, dict[str, int]] = {}
    for _, mode, sales, proceeds in rows:
        entry = by_mode.setdefault(mode, {"orders": 0, "sales_cents": 0, "proceeds_cents": 0})
        entry["orders"] += 1
        entry["sales_cents"] += sales
        entry["proceeds_cents"] += proceeds
    return {
        "daily": _per_day(((placed, proceeds) for placed, _, _, proceeds in rows), start, days),
        "orders": sum(entry["orders"] for entry in by_mode.values()),
        "sales_cents": sum(entry["sales_cents"] for entry in by_mode.values()),
        "proceeds_cents": sum(entry["proceeds_cents"] for entry in by_mode.values()),
        "by_mode": by_mode,
    }


def order_proceeds(order: Order) -> dict:
    """Who gets the money of one of a seller's orders, read from its capture posting (as
    booked, or as it will be booked while the order waits for payment), so the figures are
    the ones the seller's ledger shows.

    `proceeds_cents` is the seller's credit, `margin_cents` the shop manager's margin (B2M),
    `fee_cents` the platform fee; `total_cents - fee_cents - margin_cents == proceeds_cents`.
    `state` says whether that money is `booked`, `expected` (unpaid yet), `reversed` (the
    order was refunded) or `none` (it was never paid).
    """
    reference = ledger.capture_reference(order)
    booked = ledger.is_posted(reference)
    legs = ledger.legs_of(reference) if booked else orders.CAPTURE_LEGS[order.mode](order)

    def credit(code: str) -> int:
        return -sum(amount for leg, amount in legs if leg == code)

    margin = 0
    if order.manager_id is not None:
        margin = credit(ledger.owner_code("manager_pending", account_id=order.manager_id))
    if booked:
        state = "reversed" if ledger.is_posted(ledger.refund_reference(order)) else "booked"
    else:
        state = "expected" if order.status == "pending_payment" else "none"
    return {
        "total_cents": order.total_cents,
        "fee_cents": order.fee_cents,
        "margin_cents": margin,
        "proceeds_cents": credit(ledger.seller_code(order, "pending")),
        "state": state,
    }


def _through_shop(account_id: int):
    return Order.manager_id == account_id


def network(manager) -> dict:
    """The manager's downline by level, each with the sales made through their shop."""
    from marketplace.services import managers

    rows = []
    counts: dict[str, int] = {}
    for level, member in managers.downline(manager):
        sales, orders = db.session.execute(
            select(func.coalesce(func.sum(Order.subtotal_cents), 0), func.count(Order.id)).where(
                _through_shop(member.account_id), Order.status.in_(SOLD)
            )
        ).one()
        rows.append(
            {
                "level": level,
                "account_id": member.account_id,
                "name": member.account.name,
                "shop_name": member.shop_name,
                "shop_slug": member.shop_slug,
                "status": member.status,
                "sales_cents": int(sales),
                "orders": int(orders),
            }
        )
        counts[str(level)] = counts.get(str(level), 0) + 1
    return {"items": rows, "levels": counts}


def manager_dashboard(manager, days: int = 30) -> dict:
    """What a manager's dashboard shows: sales and commission this week and month,
    commission by status, the network, the top items and sales per day."""
    from marketplace.services import commissions
    from models import Commission, OrderLine

    now = clock.now()
    condition = _through_shop(manager.account_id)

    def sales_since(start) -> int:
        return int(
            db.session.scalar(
                select(func.coalesce(func.sum(Order.subtotal_cents), 0)).where(
                    condition, Order.status.in_(SOLD), Order.created_at >= start
                )
            )
        )

    def earned_since(start) -> int:
        return int(
            db.session.scalar(
                select(func.coalesce(func.sum(Commission.amount_cents), 0)).where(
                    Commission.manager_id == manager.id,
                    Commission.status != "reversed",
                    Commission.created_at >= start,
                )
            )
        )

    week, month = now - timedelta(days=7), now - timedelta(days=30)
    top = db.session.execute(
        select(
            OrderLine.title,
            func.sum(OrderLine.quantity),
            func.sum(OrderLine.quantity * OrderLine.unit_price_cents),
        )
        .join(Order, Order.id == OrderLine.order_id)
        .where(condition, Order.status.in_(SOLD))
        .group_by(OrderLine.title)
        .order_by(func.sum(OrderLine.quantity).desc())
        .limit(5)
    ).all()
    return {
        "sales_week_cents": sales_since(week),
        "sales_month_cents": sales_since(month),
        "commission_week_cents": earned_since(week),
        "commission_month_cents": earned_since(month),
        "by_status": commissions.totals_by_status(manager),
        "daily": sales_by_day(condition, days),
        "top_items": [
            {"title": title, "pairs": int(pairs), "revenue_cents": int(revenue)}
            for title, pairs, revenue in top
        ],
        "network": network(manager),
    }
