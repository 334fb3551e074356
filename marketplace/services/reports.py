"""Sales figures for sellers' and managers' pages."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

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
