"""Accounts, companies and API tokens."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Model

ACCOUNT_TYPES = ("person", "business")
COMPANY_STATUSES = ("pending", "verified", "rejected")


class Company(Model):
    """A business: it sells, buys wholesale, or both, once an admin has verified it."""

    __tablename__ = "companies"
    __table_args__ = (
        CheckConstraint("credit_limit_cents >= 0", name="credit_limit_not_negative"),
        CheckConstraint("status IN ('pending', 'verified', 'rejected')", name="status_known"),
    )

    name: Mapped[str] = mapped_column(String(160))
    tax_id: Mapped[str] = mapped_column(String(40))
    sells: Mapped[bool] = mapped_column(default=False)
    buys_wholesale: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    credit_limit_cents: Mapped[int] = mapped_column(default=0)
    verified_at: Mapped[datetime | None]
    # A seller's smallest wholesale order (first order from a buyer, and reorders).
    min_order_first_cents: Mapped[int] = mapped_column(default=0, server_default="0")
    min_order_reorder_cents: Mapped[int] = mapped_column(default=0, server_default="0")

    members: Mapped[list[Account]] = relationship(back_populates="company")

    @property
    def is_verified(self) -> bool:
        return self.status == "verified"

    @property
    def can_sell(self) -> bool:
        return self.is_verified and self.sells

    @property
    def can_buy_wholesale(self) -> bool:
        return self.is_verified and self.buys_wholesale


class Account(UserMixin, Model):
    """A person, or a member of a company; capabilities come from the company and flags."""

    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint("account_type IN ('person', 'business')", name="account_type_known"),
        CheckConstraint(
            "(account_type = 'business') = (company_id IS NOT NULL)", name="business_has_company"
        ),
    )

    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(120))
    account_type: Mapped[str] = mapped_column(String(10), default="person")
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    is_admin: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped to end every session of the account (logout everywhere, password change).
    session_version: Mapped[int] = mapped_column(default=1)
    # Failed sign-ins since the last successful one (the owner is told at the next sign-in).
    failed_logins: Mapped[int] = mapped_column(default=0)
    last_login_at: Mapped[datetime | None]
    # TOTP two-factor sign-in: the base32 secret once enrolled, sealed under TOTP_KEYS
    # (services.twofactor), and the last time step a code was accepted for, so a code
    # cannot be used twice.
    totp_sealed: Mapped[str | None] = mapped_column(String(255))
    totp_last_step: Mapped[int | None]
    # The manager whose referral link or code brought this person (B2M upline-to-be).
    referred_by_id: Mapped[int | None] = mapped_column(ForeignKey("managers.id", use_alter=True))

    company: Mapped[Company | None] = relationship(back_populates="members")
    manager = relationship(
        "Manager", back_populates="account", uselist=False, foreign_keys="Manager.account_id"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    def get_id(self) -> str:
        return f"{self.id}.{self.session_version}"

    @property
    def has_two_factor(self) -> bool:
        return self.totp_sealed is not None

    @property
    def is_person(self) -> bool:
        return self.account_type == "person"

    @property
    def is_seller(self) -> bool:
        return self.company is not None and self.company.can_sell

    @property
    def is_wholesale_buyer(self) -> bool:
        return self.company is not None and self.company.can_buy_wholesale


class ApiToken(Model):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]

    account: Mapped[Account] = relationship()


class LoginFailure(Model):
    """Failed sign-ins for one email address (known or not, so lockout reveals nothing),
    keyed by a keyed hash of the address rather than the address itself."""

    __tablename__ = "login_failures"

    email_digest: Mapped[str] = mapped_column(String(64), unique=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
