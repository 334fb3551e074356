"""Accounts: registration, passwords, sign-in and its lockout, sessions, API tokens, password
reset, disabling, and company verification."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import bindparam, case, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from marketplace import clock, mail
from marketplace.exceptions import (
    DomainError,
    Forbidden,
    InvalidCredentials,
    NotFound,
    SignInLocked,
    ValidationFailed,
)
from marketplace.extensions import db, insert_for_dialect
from marketplace.pagination import Page, paginate
from models import Account, ApiToken, Company, LoginFailure


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
    """The account these credentials open (a second factor may still be due).

    :raise SignInLocked: too many recent failures for this email, known or not.
    :raise InvalidCredentials: unknown email, wrong password or disabled account, all with
        one message and the same hashing work, so an email's existence is not revealed.
    """
    email = normalize_email(email or "")
    refuse_if_locked(email)
    account = find_by_email(email)
    if account is None:
        key = f"{current_app.config['ARGON2_TIME_COST']}:{current_app.config['ARGON2_MEMORY_KIB']}"
        if key not in _DUMMY_HASH:
            _DUMMY_HASH[key] = hash_password(secrets.token_hex(8))
        password_matches(_DUMMY_HASH[key], password or "")
        record_failure(email)
        raise InvalidCredentials()
    if not password_matches(account.password_hash, password or "") or not account.active:
        record_failure(email)
        raise InvalidCredentials()
    return account


def signed_in(account: Account) -> int:
    """Note a completed sign-in (password and any second factor); commits. Returns how many
    failed attempts there were since the previous one, for telling the owner."""
    failures = account.failed_logins
    account.failed_logins = 0
    account.last_login_at = clock.now()
    db.session.execute(delete(LoginFailure).where(LoginFailure.email_digest == _digest(account)))
    db.session.commit()
    return failures


def _digest(email_or_account: str | Account) -> str:
    """A keyed hash of an email address: failures are tracked without storing typed emails."""
    email = getattr(email_or_account, "email", email_or_account)
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, normalize_email(email).encode(), hashlib.sha256).hexdigest()


def refuse_if_locked(email: str) -> None:
    """:raise SignInLocked: sign-in for this email is paused after repeated failures."""
    until = db.session.scalar(
        select(LoginFailure.locked_until).where(LoginFailure.email_digest == _digest(email))
    )
    now = clock.now()
    if until is not None and until > now:
        minutes = max(1, math.ceil((until - now).total_seconds() / 60))
        raise SignInLocked(
            "Too many failed sign-in attempts for this email. Try again in"
            f" {minutes} minute{'s' if minutes != 1 else ''}, or reset your password.",
            retry_after_seconds=int((until - now).total_seconds()) + 1,
        )


def record_failure(email: str) -> None:
    """Count a failed sign-in (or second factor) for an email; commits. At
    LOGIN_LOCKOUT_THRESHOLD failures within LOGIN_LOCKOUT_MINUTES sign-in pauses for that
    long, whether or not the email has an account, and an owner is told by email."""
    config = current_app.config
    now = clock.now()
    window = timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"])
    digest = _digest(email)
    row = LoginFailure.__table__.c
    stale = row.window_started_at < now - window
    upsert = (
        insert_for_dialect(LoginFailure)
        .values(email_digest=digest, failures=1, window_started_at=now, created_at=now)
        .on_conflict_do_update(
            index_elements=["email_digest"],
            set_={
                "failures": case((stale, 1), else_=row.failures + 1),
                "window_started_at": case((stale, now), else_=row.window_started_at),
            },
        )
    )
    db.session.execute(upsert)
    locked = db.session.execute(
        update(LoginFailure)
        .where(
            LoginFailure.email_digest == digest,
            LoginFailure.failures >= config["LOGIN_LOCKOUT_THRESHOLD"],
        )
        .values(locked_until=now + window, failures=0, window_started_at=now)
    ).rowcount
    account = find_by_email(email)
    if account is not None:
        account.failed_logins += 1
    db.session.commit()
    if locked and account is not None:
        mail.send(
            account.email,
            "Sign-in to your Solemate account is paused",
            f"There were {config['LOGIN_LOCKOUT_THRESHOLD']} failed attempts to sign in to"
            f" your account, so sign-in is paused for {config['LOGIN_LOCKOUT_MINUTES']}"
            " minutes. If it was not you, nobody got in; consider resetting your password.",
        )


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


TOKEN_HOLDER = (
    select(Account)
    .join(ApiToken, ApiToken.account_id == Account.id)
    .where(
        ApiToken.token_hash == bindparam("digest"),
        ApiToken.expires_at > bindparam("now"),
        Account.active.is_(True),
    )
)


def account_for_token(raw: str) -> Account | None:
    """The active account a bearer token belongs to, or None if unknown or expired."""
    if not raw or len(raw) > 200:
        return None
    return db.session.scalar(TOKEN_HOLDER, {"digest": _token_digest(raw), "now": clock.now()})


def end_sessions(account: Account) -> None:
    """End every browser session of the account, on every device; commits."""
    db.session.execute(
        update(Account)
        .where(Account.id == account.id)
        .values(session_version=Account.session_version + 1)
    )
    db.session.commit()


def set_password(account: Account, new_password: str) -> None:
    """Give the account a new password; every session and API token of it ends and a
    sign-in pause is lifted. Commits and tells the owner by email.

    :raise ValidationFailed: the password breaks the rules (field `password`).
    """
    if problems := password_problems(new_password, account.email):
        raise ValidationFailed(fields={"password": problems})
    account.password_hash = hash_password(new_password)
    account.session_version += 1
    db.session.execute(delete(ApiToken).where(ApiToken.account_id == account.id))
    db.session.execute(delete(LoginFailure).where(LoginFailure.email_digest == _digest(account)))
    db.session.commit()
    mail.send(
        account.email,
        "Your Solemate password was changed",
        "Your password was changed and every session and API token was signed out."
        " If this was not you, reset your password now.",
    )


def change_password(account: Account, current_password: str, new_password: str) -> None:
    """Change a password, knowing the current one; see set_password.

    :raise ValidationFailed: the current password is wrong (field `current_password`) or the
        new one breaks the rules (field `password`).
    """
    if not password_matches(account.password_hash, current_password or ""):
        raise ValidationFailed(fields={"current_password": ["This is not your current password."]})
    set_password(account, new_password)


class InvalidResetLink(DomainError):
    status, code = 400, "invalid_reset_link"
    default_message = "This reset link has expired or was used already. Ask for a new one."


class _ClockSigner(TimestampSigner):
    """Stamps and ages links by the application's clock."""

    def get_timestamp(self) -> int:
        return clock.epoch_seconds()


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt="password-reset", signer=_ClockSigner
    )


def _password_fingerprint(account: Account) -> str:
    """Changes whenever the password does, so a reset link works once."""
    return hashlib.sha256(account.password_hash.encode()).hexdigest()[:16]


def password_reset_token(account: Account) -> str:
    return _reset_serializer().dumps({"a": account.id, "p": _password_fingerprint(account)})


def request_password_reset(email: str, link_for: Callable[[str], str]) -> None:
    """Email a one-time reset link, valid for PASSWORD_RESET_MAX_AGE_SECONDS, when `email`
    belongs to an active account; `link_for(token)` builds the link. Does the same visible
    nothing otherwise, so the answer reveals no account."""
    account = find_by_email(email or "")
    if account is None or not account.active:
        return
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE_SECONDS"] // 60
    mail.send(
        account.email,
        "Reset your Solemate password",
        f"Choose a new password here:\n{link_for(password_reset_token(account))}\n\n"
        f"The link works once, for {minutes} minutes. If you did not ask, ignore this email.",
    )


def account_for_reset(token: str) -> Account:
    """The account a reset link is for.

    :raise InvalidResetLink: forged, expired, already used, or the account is disabled.
    """
    try:
        data = _reset_serializer().loads(
            token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE_SECONDS"]
        )
        account = db.session.get(Account, int(data["a"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        raise InvalidResetLink() from None
    if account is None or not account.active or data.get("p") != _password_fingerprint(account):
        raise InvalidResetLink()
    return account


def reset_password(token: str, new_password: str) -> Account:
    """Set a new password through a reset link; see set_password and account_for_reset."""
    account = account_for_reset(token)
    set_password(account, new_password)
    return account


def set_active(account_id: int, active: bool, admin: Account) -> Account:
    """Disable an account (every session and API token ends at once) or enable it again;
    commits.

    :raise NotFound: no such account. :raise Forbidden: an admin disabling themselves.
    """
    account = db.session.get(Account, account_id)
    if account is None:
        raise NotFound("No such account.")
    if account.id == admin.id and not active:
        raise Forbidden("You cannot disable your own account.")
    account.active = active
    if not active:
        account.session_version += 1
        db.session.execute(delete(ApiToken).where(ApiToken.account_id == account.id))
    db.session.commit()
    return account


def search_accounts(q: str = "", page: int = 1, per_page: int = 50) -> Page:
    """One page of the accounts whose email or name contains `q` (all when empty), newest
    first."""
    query = select(Account)
    if q.strip():
        pattern = f"%{q.strip().lower()}%"
        query = query.where(
            or_(Account.email.like(pattern), func.lower(Account.name).like(pattern))
        )
    return paginate(query.order_by(Account.id.desc()), page, per_page)


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
    """Make an admin account, or promote the existing account with that email (its sessions
    and API tokens end); commits.

    :raise ValidationFailed: the password breaks the rules.
    """
    account = find_by_email(email)
    if account is None:
        account = register(email=email, password=password, name=name)
    elif problems := password_problems(password, email):
        raise ValidationFailed(fields={"password": problems})
    else:
        account.password_hash = hash_password(password)
    if not account.is_admin:
        # sessions opened and API tokens issued without the admins' second factor end
        account.session_version += 1
        db.session.execute(delete(ApiToken).where(ApiToken.account_id == account.id))
    account.is_admin = True
    db.session.commit()
    return account


def count_accounts() -> int:
    return db.session.scalar(select(func.count(Account.id))) or 0
