"""Double-entry ledger: accounts, transactions and their entries (debit positive)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Model


class LedgerAccount(Model):
    """A named balance: `platform:clearing`, `seller_pending:company:12`, ...

    Its balance is the sum of its entries; nothing stores it. `version` is bumped to take a
    row lock before reading a balance that a write depends on (payouts).
    """

    __tablename__ = "ledger_accounts"

    code: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    version: Mapped[int] = mapped_column(default=0)


class LedgerTransaction(Model):
    """One money movement; its entries sum to zero. `reference` makes each posting unique."""

    __tablename__ = "ledger_transactions"

    kind: Mapped[str] = mapped_column(String(30))
    reference: Mapped[str] = mapped_column(String(120), unique=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    memo: Mapped[str] = mapped_column(String(300), default="")

    entries: Mapped[list[LedgerEntry]] = relationship(
        back_populates="transaction", cascade="all, delete-orphan"
    )


class LedgerEntry(Model):
    """One leg of a transaction: positive debits, negative credits, in cents."""

    __tablename__ = "ledger_entries"

    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"), index=True)
    ledger_account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    amount_cents: Mapped[int]

    transaction: Mapped[LedgerTransaction] = relationship(back_populates="entries")
    ledger_account: Mapped[LedgerAccount] = relationship()
