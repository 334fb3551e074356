"""Payouts: managers and sellers ask to be paid from their available balance; admins approve.

A request reserves part of the available balance (never more than what is left after the
open requests), under a lock on the owner's ledger account, so concurrent requests cannot
overdraw. Approval moves the money from available to payouts in the ledger.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select, update

from marketplace import clock, mail
from marketplace.exceptions import (
    Conflict,
    Forbidden,
    InsufficientBalance,
    NotFound,
    ValidationFailed,
)
from marketplace.extensions import db
from marketplace.services import commissions, ledger
from marketplace.templating import money
from models import Account, Manager, Payout


def owner(account: Account) -> dict:
    """Whose money `account` pays out: its company's (business) or its own (person)."""
    if account.company_id is not None:
        return {"company_id": account.company_id}
    return {"account_id": account.id}


def available_codes(account: Account) -> list[str]:
    """The available-balance accounts a payout draws from, commissions first."""
    who = owner(account)
    if "company_id" in who:
        return [ledger.owner_code("seller_available", company_id=who["company_id"])]
    return [
        ledger.owner_code("manager_available", account_id=account.id),
        ledger.owner_code("seller_available", account_id=account.id),
    ]


def _requested(who: dict) -> int:
    column = Payout.company_id if "company_id" in who else Payout.account_id
    value = who.get("company_id", who.get("account_id"))
    return db.session.scalar(
        select(func.coalesce(func.sum(Payout.amount_cents), 0)).where(
            column == value, Payout.status == "requested"
        )
    )


def balance(account: Account) -> dict[str, int]:
    """The money of the account's owner (its company, or itself): `pending_cents` not yet
    released, `available_cents` a payout may still ask for (released, less open requests),
    `requested_cents` asked for and waiting for an admin."""
    who = owner(account)
    held = ledger.owner_balances(**who)
    requested = _requested(who)
    return {
        "pending_cents": held["pending_cents"],
        "available_cents": held["available_cents"] - requested,
        "requested_cents": requested,
    }


def withdrawable(account: Account) -> int:
    """Available balance less what open payout requests already claim."""
    return balance(account)["available_cents"]


def request(account: Account, amount_cents: int) -> Payout:
    """Ask to be paid `amount_cents` from the available balance; commits.

    :raise ValidationFailed: below PAYOUT_MIN_CENTS. :raise InsufficientBalance: more than
        is available and not yet requested.
    """
    minimum = current_app.config["PAYOUT_MIN_CENTS"]
    if not isinstance(amount_cents, int) or amount_cents < minimum:
        raise ValidationFailed(fields={"amount_cents": [f"Ask for at least {money(minimum)}."]})
    ledger.lock(available_codes(account)[0])  # one request at a time per owner
    left = withdrawable(account)
    if amount_cents > left:
        db.session.rollback()
        raise InsufficientBalance(
            f"You can withdraw up to {money(max(0, left))}.", available_cents=max(0, left)
        )
    payout = Payout(
        **owner(account), requested_by_id=account.id, amount_cents=amount_cents, status="requested"
    )
    db.session.add(payout)
    db.session.commit()
    return payout


def approve(payout_id: int, admin: Account) -> Payout:
    """An admin pays a requested payout: available -> payouts in the ledger; commits.

    :raise Forbidden: not an admin. :raise NotFound. :raise Conflict: not requested.
    :raise InsufficientBalance: the balance fell below the amount meanwhile (a refund).
    """
    if not admin.is_admin:
        raise Forbidden("Only admins approve payouts.")
    payout = db.session.get(Payout, payout_id)
    if payout is None:
        raise NotFound("No such payout.")
    requester = db.session.get(Account, payout.requested_by_id)
    codes = available_codes(requester)
    ledger.lock(codes[0])
    claimed = db.session.execute(
        update(Payout)
        .where(Payout.id == payout.id, Payout.status == "requested")
        .values(status="approved", decided_at=clock.now(), decided_by_id=admin.id)
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        raise Conflict("This payout is not waiting for approval.", code="illegal_transition")
    remaining, legs = payout.amount_cents, []
    for code in codes:
        take = min(remaining, max(0, ledger.owed(code)))
        if take:
            legs.append((code, take))
            remaining -= take
    if remaining:
        db.session.rollback()
        raise InsufficientBalance("The available balance no longer covers this payout.")
    legs.append((ledger.PAYOUTS, -payout.amount_cents))
    ledger.post("payout", f"payout:{payout.id}", legs, memo=f"Payout #{payout.id}")
    manager = db.session.scalar(select(Manager).where(Manager.account_id == requester.id))
    if manager is not None:
        commissions.mark_paid(manager)
    db.session.commit()
    db.session.refresh(payout)
    mail.send(
        requester.email, "Payout sent", f"{money(payout.amount_cents)} is on its way to your bank."
    )
    return payout


def reject(payout_id: int, admin: Account) -> Payout:
    """An admin refuses a requested payout; the amount is withdrawable again. Commits."""
    if not admin.is_admin:
        raise Forbidden("Only admins decide payouts.")
    claimed = db.session.execute(
        update(Payout)
        .where(Payout.id == payout_id, Payout.status == "requested")
        .values(status="rejected", decided_at=clock.now(), decided_by_id=admin.id)
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        raise NotFound("No such payout waiting for a decision.")
    db.session.commit()
    return db.session.get(Payout, payout_id)


def of_owner(account: Account) -> list[Payout]:
    who = owner(account)
    column = Payout.company_id if "company_id" in who else Payout.account_id
    return list(
        db.session.scalars(
            select(Payout)
            .where(column == who.get("company_id", who.get("account_id")))
            .order_by(Payout.id.desc())
        )
    )


def waiting() -> list[Payout]:
    return list(
        db.session.scalars(select(Payout).where(Payout.status == "requested").order_by(Payout.id))
    )
