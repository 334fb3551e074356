"""Commissions: what managers earn on orders through shops, booked when the order is paid.

The manager whose shop sold the pairs earns the margin (retail less base). Their uplines
earn an override: a share of the platform's fee on that order (OVERRIDE_PERCENTS, by
level, down to OVERRIDE_DEPTH levels, never more than 3), so it comes from neither buyer,
seller nor downline, and the platform never pays out more than it earned. An upline earns
nothing on an order they bought themselves. Commissions are pending until the order's
return window closes, available after, and reversed if it is refunded or cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import func, select, update

from marketplace import clock
from marketplace.extensions import db
from marketplace.money import percent_of
from marketplace.services import ledger, managers, orders
from models import Commission, LedgerAccount, LedgerEntry, LedgerTransaction, Manager, Order

HARD_MAX_DEPTH = managers.MAX_DEPTH_HARD


@dataclass(frozen=True)
class Share:
    manager: Manager
    kind: str
    level: int
    amount_cents: int


def override_percents() -> list[Decimal]:
    """The override percentage of each upline level, as deep as configured (at most 3)."""
    depth = max(0, min(int(current_app.config["OVERRIDE_DEPTH"]), HARD_MAX_DEPTH))
    percents = [
        Decimal(part.strip())
        for part in str(current_app.config["OVERRIDE_PERCENTS"]).split(",")
        if part.strip()
    ]
    return percents[:depth]


def shares(order: Order) -> list[Share]:
    """Who earns what on a B2M order: the margin, then each upline's override."""
    manager = db.session.scalar(select(Manager).where(Manager.account_id == order.manager_id))
    base = sum((line.base_price_cents or 0) * line.quantity for line in order.lines)
    found = [Share(manager, "margin", 0, order.subtotal_cents - base)]
    percents = override_percents()
    for level, upline in enumerate(managers.chain(manager, len(percents)), start=1):
        if upline.account_id == order.buyer_id or not upline.is_approved:
            continue  # no override on your own purchase
        found.append(
            Share(upline, "override", level, percent_of(order.fee_cents, percents[level - 1]))
        )
    return [share for share in found if share.amount_cents > 0]


def code(manager: Manager, state: str) -> str:
    return ledger.owner_code(f"manager_{state}", account_id=manager.account_id)


def capture_legs(order: Order) -> list[tuple[str, int]]:
    """Paid through a shop: the seller is owed base plus shipping less the fee, managers
    their shares (pending), the platform the fee less the overrides."""
    earned = shares(order)
    margin = sum(s.amount_cents for s in earned if s.kind == "margin")
    overrides = sum(s.amount_cents for s in earned if s.kind == "override")
    legs = [
        (ledger.CLEARING, order.total_cents),
        (ledger.seller_code(order, "pending"), -(order.total_cents - margin - order.fee_cents)),
        (ledger.FEES, -(order.fee_cents - overrides)),
    ]
    return legs + [(code(s.manager, "pending"), -s.amount_cents) for s in earned]


orders.CAPTURE_LEGS["b2m"] = capture_legs


@orders.on("b2m", "paid")
def _record(order: Order) -> None:
    window = timedelta(days=current_app.config["RETURN_WINDOW_DAYS"])
    for share in shares(order):
        db.session.add(
            Commission(
                order_id=order.id,
                manager_id=share.manager.id,
                kind=share.kind,
                level=share.level,
                amount_cents=share.amount_cents,
                status="pending",
                available_at=None if order.delivered_at is None else order.delivered_at + window,
            )
        )


@orders.on("b2m", "completed")
def _make_available(order: Order) -> None:
    db.session.execute(
        update(Commission)
        .where(Commission.order_id == order.id, Commission.status == "pending")
        .values(status="available", available_at=clock.now())
    )


@orders.on("b2m", "delivered")
def _expected_date(order: Order) -> None:
    window = timedelta(days=current_app.config["RETURN_WINDOW_DAYS"])
    db.session.execute(
        update(Commission)
        .where(Commission.order_id == order.id, Commission.status == "pending")
        .values(available_at=clock.now() + window)
    )


def _reverse(order: Order) -> None:
    db.session.execute(
        update(Commission)
        .where(Commission.order_id == order.id, Commission.status == "pending")
        .values(status="reversed")
    )


orders.on("b2m", "refunded")(_reverse)
orders.on("b2m", "cancelled")(_reverse)


def of_manager(manager: Manager) -> list[Commission]:
    return list(
        db.session.scalars(
            select(Commission)
            .where(Commission.manager_id == manager.id)
            .order_by(Commission.created_at.desc(), Commission.id.desc())
        )
    )


def totals_by_status(manager: Manager) -> dict[str, int]:
    rows = db.session.execute(
        select(Commission.status, func.coalesce(func.sum(Commission.amount_cents), 0))
        .where(Commission.manager_id == manager.id)
        .group_by(Commission.status)
    ).all()
    result = {status: 0 for status in ("pending", "available", "paid", "reversed")}
    result.update({status: int(total) for status, total in rows})
    return result


def mark_paid(manager: Manager) -> None:
    """Mark the oldest available commissions paid, as far as this manager's approved
    payouts from their commission balance cover them (in the caller's transaction)."""
    paid_out = db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
        .join(LedgerEntry.transaction)
        .join(LedgerEntry.ledger_account)
        .where(LedgerAccount.code == code(manager, "available"), LedgerTransaction.kind == "payout")
    )
    already = db.session.scalar(
        select(func.coalesce(func.sum(Commission.amount_cents), 0)).where(
            Commission.manager_id == manager.id, Commission.status == "paid"
        )
    )
    budget = paid_out - already
    for commission in db.session.scalars(
        select(Commission)
        .where(Commission.manager_id == manager.id, Commission.status == "available")
        .order_by(Commission.available_at, Commission.id)
    ):
        if commission.amount_cents > budget:
            break
        commission.status = "paid"
        budget -= commission.amount_cents
