"""Accounts: registration, password checks, sign-in, API tokens and company verification."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from marketplace import clock
from marketplace.exceptions import InvalidCredentials, NotFound, ValidationFailed
from marketplace.extensions import db
from models import Account, ApiToken, Company


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(
        time_cost=config["ARGON2_TIME_COST"], memory_cost=config["ARGON2_MEMORY_KIB"]
    )


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher().hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    """Whether `password` is the one `password_hash` was made from."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _common_passwords() -> frozenset[str]:
    text = resources.files("marketplace").joinpath("data/common_passwords.txt").read_text()
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def password_problems(password: str, email: str = "") -> list[str]:
    """What is wrong with a new password (empty when it is acceptable)."""
    config = current_app.config
    problems = []
    if len(password) < config["PASSWORD_MIN_LENGTH"]:
        problems.append(f"Use at least {config['PASSWORD_MIN_LENGTH']} characters.")
    if len(password) > config["PASSWORD_MAX_LENGTH"]:
        problems.append(f"Use at most {config['PASSWORD_MAX_LENGTH']} characters.")
    lowered = password.lower()
    if lowered in _common_passwords():
        problems.append("This password is one of the most common ones; choose another.")
    elif email and lowered == email.lower():
        problems.append("Do not use your email address as your password.")
    return problems


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(email: str) -> Account | None:
    return db.session.scalar(select(Account).where(Account.email == normalize_email(email)))


def register(
    *,
    email: str,
    password: str,
    name: str,
    account_type: str = "person",
    company_name: str | None = None,
    tax_id: str | None = None,
    sells: bool = False,
    buys_wholesale: bool = False,
    referral_code: str | None = None,
) -> Account:
    """Create an account (and its company for a business); commits.

    :raise ValidationFailed: the email is taken, the password is weak, or a business
        lacks company details or does neither sell nor buy wholesale.
    """
    email = normalize_email(email)
    fields: dict[str, list[str]] = {}
    if problems := password_problems(password, email):
        fields["password"] = problems
    if find_by_email(email):
        fields["email"] = ["An account with this email already exists."]
    if account_type == "business":
        if not (company_name or "").strip():
            fields["company.name"] = ["Enter the company name."]
        if not (tax_id or "").strip():
            fields["company.tax_id"] = ["Enter the company's tax or VAT number."]
        if not (sells or buys_wholesale):
            fields["company.sells"] = ["A business sells, buys wholesale, or both."]
    if fields:
        raise ValidationFailed(fields=fields)

    account = Account(
        email=email,
        password_hash=hash_password(password),
        name=name.strip(),
        account_type=account_type,
    )
    if account_type == "business":
        account.company = Company(
            name=company_name.strip(),
            tax_id=tax_id.strip(),
            sells=sells,
            buys_wholesale=buys_wholesale,
        )
    if referral_code and account_type == "person":
        from marketplace.services import managers

        db.session.add(account)
        managers.remember_referral(account, referral_code)
    db.session.add(account)
    try:
        db.session.commit()
    except IntegrityError as exc:  # two sign-ups racing for one email
        db.session.rollback()
        raise ValidationFailed(
            fields={"email": ["An account with this email already exists."]}
        ) from exc
    return account


_DUMMY_HASH: dict[str, str] = {}


def authenticate(email: str, password: str) -> Account:
    """The account these credentials open.

    :raise InvalidCredentials: unknown email, wrong password or disabled account, all with
        one message and the same hashing work, so an email's existence is not revealed.
    """
    account = find_by_email(email or "")
    if account is None:
        key = f"{current_app.config['ARGON2_TIME_COST']}:{current_app.config['ARGON2_MEMORY_KIB']}"
        if key not in _DUMMY_HASH:
            _DUMMY_HASH[key] = hash_password(secrets.token_hex(8))
        password_matches(_DUMMY_HASH[key], password or "")
        raise InvalidCredentials()
    if not password_matches(account.password_hash, password or "") or not account.active:
        account.failed_logins += 1
        db.session.commit()
        raise InvalidCredentials()
    account.failed_logins = 0
    account.last_login_at = clock.now()
    db.session.commit()
    return account


def load_session_account(session_id: str) -> Account | None:
    """The account of a browser session, unless its session version was bumped since."""
    account_id, _, version = session_id.partition(".")
    if not account_id.isdigit() or not version.isdigit():
        return None
    account = db.session.get(Account, int(account_id))
    if account is None or account.session_version != int(version) or not account.active:
        return None
    return account


def _token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(account: Account) -> tuple[str, ApiToken]:
    """A new bearer token (returned once, stored only as a hash) and its record; commits."""
    raw = "sm_" + secrets.token_urlsafe(32)
    token = ApiToken(
        account_id=account.id,
        token_hash=_token_digest(raw),
        expires_at=clock.now() + timedelta(hours=current_app.config["API_TOKEN_TTL_HOURS"]),
    )
    db.session.add(token)
    db.session.commit()
    return raw, token


def account_for_token(raw: str) -> Account | None:
    """The active account a bearer token belongs to, or None if unknown or expired."""
    if not raw or len(raw) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_digest(raw)))
    if token is None or token.expires_at <= clock.now() or not token.account.active:
        return None
    return token.account


def companies(status: str | None = None) -> list[Company]:
    """Companies, oldest first, optionally only those in one status."""
    query = select(Company).order_by(Company.created_at, Company.id)
    if status:
        query = query.where(Company.status == status)
    return list(db.session.scalars(query))


def verify_company(company_id: int, credit_limit_cents: int | None = None) -> Company:
    """Mark a company verified, optionally setting its net-30 credit limit; commits.

    :raise NotFound: no such company.
    :raise ValidationFailed: a negative credit limit.
    """
    company = db.session.get(Company, company_id)
    if company is None:
        raise NotFound("No such company.")
    if credit_limit_cents is not None:
        if credit_limit_cents < 0:
            raise ValidationFailed(fields={"credit_limit_cents": ["Must be zero or more."]})
        company.credit_limit_cents = credit_limit_cents
    if company.status != "verified":
        company.status = "verified"
        company.verified_at = clock.now()
    db.session.commit()
    return company


def reject_company(company_id: int) -> Company:
    """Refuse a company's verification; commits. :raise NotFound: no such company."""
    company = db.session.get(Company, company_id)
    if company is None:
        raise NotFound("No such company.")
    company.status = "rejected"
    db.session.commit()
    return company


def create_admin(email: str, password: str, name: str = "Administrator") -> Account:
    """Make an admin account, or promote the existing account with that email; commits.

    :raise ValidationFailed: the password breaks the rules.
    """
    account = find_by_email(email)
    if account is None:
        account = register(email=email, password=password, name=name)
    elif problems := password_problems(password, email):
        raise ValidationFailed(fields={"password": problems})
    else:
        account.password_hash = hash_password(password)
    account.is_admin = True
    db.session.commit()
    return account


def count_accounts() -> int:
    return db.session.scalar(select(func.count(Account.id))) or 0
