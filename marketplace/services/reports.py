"""Sales figures for sellers' and managers' pages."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from marketplace import clock
from marketplace.extensions import db
from models import Order

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


def sales_by_day(condition, days: int = 30) -> list[tuple[date, int, int]]:
    """(day, money in cents, orders) for each of the last `days` days of sold orders."""
    today = clock.now().date()
    start = today - timedelta(days=days - 1)
    rows = db.session.execute(
        select(Order.created_at, Order.subtotal_cents).where(
            condition, Order.status.in_(SOLD), Order.created_at >= start
        )
    ).all()
    totals = {start + timedelta(days=n): [0, 0] for n in range(days)}
    for created_at, amount in rows:
        day = created_at.date()
        if day in totals:
            totals[day][0] += amount
            totals[day][1] += 1
    return [(day, money, count) for day, (money, count) in sorted(totals.items())]


def seller_summary(company_id: int | None, account_id: int | None, days: int = 30) -> dict:
    """Revenue and order counts of a seller over `days`, by trade mode, and per day."""
    condition = (
        Order.seller_company_id == company_id
        if company_id is not None
        else Order.seller_account_id == account_id
    )
    daily = sales_by_day(condition, days)
    since = clock.now() - timedelta(days=days)
    by_mode: dict[str, dict[str, int]] = {}
    for mode, amount in db.session.execute(
        select(Order.mode, Order.subtotal_cents).where(
            condition, Order.status.in_(SOLD), Order.created_at >= since
        )
    ):
        entry = by_mode.setdefault(mode, {"revenue_cents": 0, "orders": 0})
        entry["revenue_cents"] += amount
        entry["orders"] += 1
    return {
        "daily": daily,
        "revenue_cents": sum(money for _, money, _ in daily),
        "orders": sum(count for _, _, count in daily),
        "by_mode": by_mode,
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
