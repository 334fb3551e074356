"""The double-entry ledger: every money movement is one transaction whose legs sum to zero.

Amounts are signed cents, debits positive. Platform accounts are assets (clearing money at
the payment provider, receivables, escrow held) or income (fees); seller and manager
accounts are what the platform owes them, so their balance is the negated sum of entries.
Balances are always derived from entries.

Order postings follow one shape: a mode-specific *capture* posting when money comes in;
a *release* that moves each pending leg of that capture to its available twin when the
order completes; a *refund* that posts the exact negation of the capture.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, case, func, insert, select, update

from marketplace.exceptions import NotFound
from marketplace.extensions import db, execute, insert_for_dialect
from marketplace.pagination import Page
from models import Account, Company, LedgerAccount, LedgerEntry, LedgerTransaction, Order

CLEARING = "platform:clearing"
FEES = "platform:fees"
ESCROW = "platform:escrow"
RECEIVABLES = "platform:receivables"
PAYOUTS = "platform:payouts"


class LedgerImbalance(ValueError):
    """A posting whose legs do not sum to zero: a programming error, never user input."""


def owner_code(kind: str, *, company_id: int | None = None, account_id: int | None = None) -> str:
    """The code of an owner's account of `kind` (seller_pending, manager_available, ...)."""
    if company_id is not None:
        return f"{kind}:company:{company_id}"
    if account_id is not None:
        return f"{kind}:person:{account_id}"
    raise ValueError("an owner account needs a company or a person")


def seller_code(order: Order, state: str) -> str:
    """The seller's `pending` or `available` account for an order."""
    return owner_code(
        f"seller_{state}", company_id=order.seller_company_id, account_id=order.seller_account_id
    )


def twin(code: str, state: str) -> str:
    """The same owner's account in another state: seller_pending:x -> seller_available:x."""
    kind, _, owner = code.partition(":")
    base = kind.rsplit("_", 1)[0]
    return f"{base}_{state}:{owner}"


def _parse(code: str) -> dict:
    kind, _, owner = code.partition(":")
    values: dict = {"code": code, "kind": kind}
    owner_type, _, owner_id = owner.partition(":")
    if owner_type == "company":
        values["company_id"] = int(owner_id)
    elif owner_type == "person":
        values["account_id"] = int(owner_id)
    return values


ACCOUNTS_BY_CODE = select(LedgerAccount.code, LedgerAccount.id).where(
    LedgerAccount.code.in_(bindparam("codes", expanding=True))
)
NEW_ENTRY = insert(LedgerEntry)


def account_ids(codes: Iterable[str]) -> dict[str, int]:
    """The ids of the ledger accounts with these codes, creating the new ones (race-safe)."""
    codes = set(codes)
    found = dict(execute(ACCOUNTS_BY_CODE, {"codes": list(codes)}).all())
    if missing := codes - found.keys():
        db.session.execute(
            insert_for_dialect(LedgerAccount)
            .values(
                [
                    {"company_id": None, "account_id": None, **_parse(code), "version": 0}
                    for code in sorted(missing)
                ]
            )
            .on_conflict_do_nothing()
        )
        found.update(execute(ACCOUNTS_BY_CODE, {"codes": list(missing)}).all())
    return found


def account_id_for(code: str) -> int:
    """The id of the ledger account with `code`, creating it if it is new (race-safe)."""
    return account_ids([code])[code]


def post(
    kind: str,
    reference: str,
    legs: Iterable[tuple[str, int]],
    *,
    order_id: int | None = None,
    memo: str = "",
) -> int | None:
    """Record one balanced transaction in the caller's database transaction; its id.

    Posting the same `reference` twice records it once (the second call returns None, and
    on PostgreSQL waits for the first to commit or roll back rather than failing).
    :raise LedgerImbalance: the legs do not sum to zero.
    """
    merged: dict[str, int] = {}
    for code, amount in legs:
        merged[code] = merged.get(code, 0) + int(amount)
    legs = [(code, amount) for code, amount in merged.items() if amount]
    if sum(amount for _, amount in legs) != 0:
        raise LedgerImbalance(f"{reference}: legs sum to {sum(a for _, a in legs)}")
    transaction_id = execute(
        insert_for_dialect(LedgerTransaction)
        .values(kind=kind, reference=reference, order_id=order_id, memo=memo)
        .on_conflict_do_nothing(index_elements=["reference"])
        .returning(LedgerTransaction.id)
    ).scalar()
    if transaction_id is None:
        return None
    ids = account_ids(code for code, _ in legs)
    execute(
        NEW_ENTRY,
        [
            dict(transaction_id=transaction_id, ledger_account_id=ids[code], amount_cents=amount)
            for code, amount in legs
        ],
    )
    return transaction_id


def legs_of(reference: str) -> list[tuple[str, int]]:
    """The (code, amount) legs of a posted transaction. :raise NotFound: none posted."""
    rows = db.session.execute(
        select(LedgerAccount.code, LedgerEntry.amount_cents)
        .join(LedgerEntry.ledger_account)
        .join(LedgerEntry.transaction)
        .where(LedgerTransaction.reference == reference)
        .order_by(LedgerEntry.id)
    ).all()
    if not rows:
        raise NotFound(f"No ledger transaction {reference}.")
    return [(code, amount) for code, amount in rows]


def is_posted(reference: str) -> bool:
    return (
        db.session.scalar(
            select(LedgerTransaction.id).where(LedgerTransaction.reference == reference)
        )
        is not None
    )


def capture_reference(order: Order) -> str:
    return f"capture:order:{order.id}"


def release_order(order: Order) -> LedgerTransaction | None:
    """Move every pending leg of the order's capture to the matching available account."""
    moves = []
    for code, amount in legs_of(capture_reference(order)):
        if code.split(":", 1)[0].endswith("_pending"):
            moves += [(code, -amount), (twin(code, "available"), amount)]
    return post("release", f"release:order:{order.id}", moves, order_id=order.id)


def settle_reference(order: Order) -> str:
    """The posting of money that settled an order after its capture (a paid invoice)."""
    return f"settle:order:{order.id}"


def refund_reference(order: Order) -> str:
    return f"refund:order:{order.id}"


def refund_order(order: Order) -> LedgerTransaction | None:
    """Post the exact negation of what brought the order's money in: its capture, and the
    settlement of its invoice if it was paid (money back to where it came from)."""
    legs = [(code, -amount) for code, amount in legs_of(capture_reference(order))]
    if is_posted(settle_reference(order)):
        legs += [(code, -amount) for code, amount in legs_of(settle_reference(order))]
    return post("refund", refund_reference(order), legs, order_id=order.id)


def balance(code: str) -> int:
    """Signed sum of the account's entries (debits positive); 0 for an unknown account."""
    return (
        db.session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
            .join(LedgerEntry.ledger_account)
            .where(LedgerAccount.code == code)
        )
        or 0
    )


def owed(code: str) -> int:
    """What the platform owes on a seller or manager account (its credit balance)."""
    return -balance(code)


def owner_balances(*, company_id: int | None = None, account_id: int | None = None) -> dict:
    """Pending and available money of an owner, seller proceeds and commissions together."""
    kinds = {
        "pending": ("seller_pending", "manager_pending"),
        "available": ("seller_available", "manager_available"),
    }
    result = {}
    for state, names in kinds.items():
        codes = []
        for name in names:
            if company_id is not None:
                codes.append(owner_code(name, company_id=company_id))
            if account_id is not None:
                codes.append(owner_code(name, account_id=account_id))
        result[f"{state}_cents"] = -(
            db.session.scalar(
                select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
                .join(LedgerEntry.ledger_account)
                .where(LedgerAccount.code.in_(codes))
            )
            or 0
        )
    return result


def lock(code: str) -> None:
    """Take a write lock on an account row before reading a balance a write depends on.

    An UPDATE locks the row on PostgreSQL and starts the write transaction on SQLite, so
    two payouts from one balance run one after the other.
    """
    account_id = account_id_for(code)
    db.session.execute(
        update(LedgerAccount)
        .where(LedgerAccount.id == account_id)
        .values(version=LedgerAccount.version + 1)
    )


def trial_balance() -> dict:
    """Sum of all debits and credits; balanced when every transaction sums to zero."""
    debits, credits = db.session.execute(
        select(
            func.coalesce(
                func.sum(case((LedgerEntry.amount_cents > 0, LedgerEntry.amount_cents), else_=0)), 0
            ),
            func.coalesce(
                func.sum(case((LedgerEntry.amount_cents < 0, -LedgerEntry.amount_cents), else_=0)),
                0,
            ),
        )
    ).one()
    unbalanced = db.session.scalar(
        select(func.count()).select_from(
            select(LedgerEntry.transaction_id)
            .group_by(LedgerEntry.transaction_id)
            .having(func.sum(LedgerEntry.amount_cents) != 0)
            .subquery()
        )
    )
    return {
        "balanced": debits == credits and unbalanced == 0,
        "total_debits_cents": int(debits),
        "total_credits_cents": int(credits),
        "unbalanced_transactions": int(unbalanced),
    }


def account_balances() -> list[dict]:
    """Every ledger account with its signed balance and, for a seller's or a manager's
    account, the name of its owner (company or person), for the admin page."""
    rows = db.session.execute(
        select(
            LedgerAccount.code,
            LedgerAccount.kind,
            func.coalesce(Company.name, Account.name, ""),
            func.coalesce(func.sum(LedgerEntry.amount_cents), 0),
        )
        .outerjoin(LedgerEntry, LedgerEntry.ledger_account_id == LedgerAccount.id)
        .outerjoin(Company, Company.id == LedgerAccount.company_id)
        .outerjoin(Account, Account.id == LedgerAccount.account_id)
        .group_by(
            LedgerAccount.id, LedgerAccount.code, LedgerAccount.kind, Company.name, Account.name
        )
        .order_by(LedgerAccount.code)
    ).all()
    return [
        {"code": code, "kind": kind, "owner": owner, "balance_cents": int(total)}
        for code, kind, owner, total in rows
    ]


def entries_for(codes: list[str], page: int = 1, per_page: int = 30) -> Page:
    """One page of the entries on the given accounts, for statements: newest first by the
    time of their transaction, entries of the same moment by id, newest first."""
    on_accounts = (
        select(LedgerEntry.id).join(LedgerEntry.ledger_account).where(LedgerAccount.code.in_(codes))
    )
    total = db.session.scalar(select(func.count()).select_from(on_accounts.subquery())) or 0
    rows = db.session.execute(
        select(
            LedgerTransaction.created_at,
            LedgerTransaction.kind,
            LedgerTransaction.order_id,
            LedgerTransaction.memo,
            LedgerAccount.code,
            LedgerEntry.amount_cents,
        )
        .join(LedgerEntry.transaction)
        .join(LedgerEntry.ledger_account)
        .where(LedgerAccount.code.in_(codes))
        .order_by(LedgerTransaction.created_at.desc(), LedgerEntry.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    items = [
        {
            "at": at,
            "kind": kind,
            "order_id": order_id,
            "memo": memo,
            "code": code,
            "amount_cents": -amount,
        }
        for at, kind, order_id, memo, code, amount in rows
    ]
    return Page(items, total, page, per_page)
