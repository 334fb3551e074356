"""Two-factor sign-in with time-based one-time codes (TOTP, RFC 6238, any authenticator app).

Offered to every account and required for admins on the website (ADMIN_2FA_REQUIRED) and,
with ADMIN_API_2FA, for their API tokens. A code is accepted once: the time step it was
made for is remembered and a code of that step or an earlier one is refused.

Secrets are stored sealed (Fernet: AES-CBC and an HMAC) under the TOTP_KEYS setting, which
lives outside the database: a copy of the database alone cannot make codes.
"""

from __future__ import annotations

import hmac
import io
import re

import pyotp
import qrcode
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask, current_app
from sqlalchemy import or_, select, update

from marketplace import clock
from marketplace.exceptions import Forbidden, InvalidCredentials, ValidationFailed
from marketplace.extensions import db
from marketplace.services import accounts
from models import Account

STEP_SECONDS = 30
CODE_PATTERN = re.compile(r"^\d{6}$")


def init_sealing(app: Flask) -> None:
    """Read TOTP_KEYS once at start. :raise RuntimeError: a key is not a Fernet key."""
    try:
        keys = [Fernet(key.strip()) for key in app.config["TOTP_KEYS"].split(",") if key.strip()]
    except ValueError:
        raise RuntimeError("TOTP_KEYS holds a value that is not a Fernet key") from None
    if not keys:
        raise RuntimeError("TOTP_KEYS needs at least one Fernet key")
    app.extensions["totp_keys"] = MultiFernet(keys)


def _keys() -> MultiFernet:
    return current_app.extensions["totp_keys"]


def seal(secret: str) -> str:
    """The secret as stored: encrypted and signed under the first of TOTP_KEYS."""
    return _keys().encrypt(secret.encode()).decode()


def unseal(sealed: str) -> str:
    """A secret as `seal` gave it. :raise RuntimeError: none of TOTP_KEYS opens it (the key
    that sealed it was dropped too early, or the value was altered)."""
    try:
        return _keys().decrypt(sealed.encode()).decode()
    except InvalidToken:
        raise RuntimeError("none of TOTP_KEYS opens a stored two-factor secret") from None


def secret_of(account: Account) -> str | None:
    """The account's TOTP secret, or None when two-factor sign-in is off."""
    return None if account.totp_sealed is None else unseal(account.totp_sealed)


def reseal_all() -> int:
    """Seal every stored secret again under the first of TOTP_KEYS (after a new key was put
    first); commits. A secret changed meanwhile (turned off, enrolled again) is left as the
    owner set it. Returns how many were sealed again.

    :raise RuntimeError: none of TOTP_KEYS opens one of them (nothing is changed).
    """
    resealed = 0
    rows = db.session.execute(
        select(Account.id, Account.totp_sealed).where(Account.totp_sealed.is_not(None))
    ).all()
    for account_id, sealed in rows:
        try:
            fresh = _keys().rotate(sealed.encode()).decode()
        except InvalidToken:
            db.session.rollback()
            raise RuntimeError(
                f"none of TOTP_KEYS opens the two-factor secret of account {account_id}"
            ) from None
        resealed += db.session.execute(
            update(Account)
            .where(Account.id == account_id, Account.totp_sealed == sealed)
            .values(totp_sealed=fresh)
        ).rowcount
    db.session.commit()
    return resealed


def new_secret() -> str:
    """A fresh random base32 secret, not yet tied to an account."""
    return pyotp.random_base32()


def provisioning_uri(account: Account, secret: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(
        name=account.email, issuer_name=current_app.config["TOTP_ISSUER"]
    )


def qr_png(uri: str) -> bytes:
    """A PNG QR code of an otpauth:// address."""
    out = io.BytesIO()
    qrcode.make(uri, box_size=6, border=2).save(out, format="PNG")
    return out.getvalue()


def _matching_step(secret: str, code: str) -> int | None:
    """The time step (now, or one either side for clock drift) the code belongs to."""
    code = (code or "").replace(" ", "")
    if not CODE_PATTERN.match(code):
        return None
    totp = pyotp.TOTP(secret)
    now_step = clock.epoch_seconds() // STEP_SECONDS
    for step in (now_step, now_step - 1, now_step + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def enable(account: Account, secret: str, code: str) -> None:
    """Turn on two-factor sign-in with `secret`, proven by a current code; commits.

    :raise ValidationFailed: the code does not match (field `code`).
    """
    step = _matching_step(secret, code)
    if step is None:
        raise ValidationFailed(fields={"code": ["That code does not match; try the newest one."]})
    account.totp_sealed = seal(secret)
    account.totp_last_step = step
    db.session.commit()


def disable(account: Account, password: str, code: str) -> None:
    """Turn two-factor sign-in off, proven by the password and a current code; commits.

    :raise ValidationFailed: wrong password or code. :raise Forbidden: admins must keep it.
    """
    if account.is_admin and current_app.config["ADMIN_2FA_REQUIRED"]:
        raise Forbidden("Admins must keep two-factor sign-in on.")
    if not accounts.password_matches(account.password_hash, password or ""):
        raise ValidationFailed(fields={"password": ["This is not your current password."]})
    if not verify(account, code):
        raise ValidationFailed(fields={"code": ["That code does not match; try the newest one."]})
    account.totp_sealed = None
    account.totp_last_step = None
    db.session.commit()


def verify(account: Account, code: str) -> bool:
    """Whether `code` is a current code of the account not used before; a match is spent
    (two requests with one code: one wins). Commits."""
    secret = secret_of(account)
    if secret is None:
        return False
    step = _matching_step(secret, code)
    if step is None:
        return False
    spent = db.session.execute(
        update(Account)
        .where(
            Account.id == account.id,
            or_(Account.totp_last_step.is_(None), Account.totp_last_step < step),
        )
        .values(totp_last_step=step)
    ).rowcount
    db.session.commit()
    return spent == 1


def required_on_web(account: Account) -> bool:
    """Whether the account may not have a browser session without a second factor."""
    return account.is_admin and current_app.config["ADMIN_2FA_REQUIRED"]


def check_api_sign_in(account: Account, otp: str | None) -> None:
    """The second-factor rule for API tokens, after the password matched.

    :raise InvalidCredentials: `otp_required` (none given) or `invalid_otp` (wrong or reused;
        counts towards the sign-in lockout).
    :raise Forbidden: `two_factor_required`, an admin without it while ADMIN_API_2FA is on.
    """
    if not account.has_two_factor:
        if account.is_admin and current_app.config["ADMIN_API_2FA"]:
            raise Forbidden(
                "Admins must turn on two-factor sign-in on the website before using the API.",
                code="two_factor_required",
            )
        return
    if not otp:
        raise InvalidCredentials(
            "This account uses two-factor sign-in: send the current code as `otp`.",
            code="otp_required",
        )
    if not verify(account, otp):
        accounts.record_failure(account.email)
        raise InvalidCredentials(
            "The two-factor code is wrong or was used already.", code="invalid_otp"
        )
