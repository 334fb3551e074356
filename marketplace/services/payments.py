"""Payments: a provider interface, the built-in sandbox provider, and signed webhooks.

Sandbox cards: 4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is declined, and
4000 0025 0000 3155 asks for the bank's approval: the charge stays pending until the
provider's `payment.succeeded` (or `payment.failed`) webhook arrives. Any other number
that passes the Luhn check is declined.

Webhooks are signed as `X-Signature: t=<unix>,v1=<hex>`, an HMAC-SHA256 over
"<t>.<body>" with WEBHOOK_SECRET, and refused more than WEBHOOK_TOLERANCE_SECONDS away
from now. Each event is stored under a unique (provider, event_id) in the same
transaction as its effects, so a replay, sequential or concurrent, changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Protocol

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace import clock
from marketplace.exceptions import DomainError, ValidationFailed
from marketplace.extensions import db, insert_now
from models import Payment, ProviderEvent


@dataclass(frozen=True)
class ChargeResult:
    status: str  # "succeeded", "declined" or "pending"
    reference: str
    message: str = ""


class PaymentProvider(Protocol):
    name: str

    def charge(self, amount_cents: int, card_number: str, description: str) -> ChargeResult: ...

    def refund(self, reference: str, amount_cents: int) -> ChargeResult: ...


class SandboxProvider:
    """A provider that needs no network: the outcome follows from the test card number."""

    name = "sandbox"
    SUCCEEDS = "4242424242424242"
    DECLINES = "4000000000000002"
    NEEDS_APPROVAL = "4000002500003155"

    def charge(self, amount_cents: int, card_number: str, description: str) -> ChargeResult:
        reference = "sbx_ch_" + secrets.token_hex(10)
        if card_number == self.SUCCEEDS:
            return ChargeResult("succeeded", reference)
        if card_number == self.NEEDS_APPROVAL:
            return ChargeResult("pending", reference, "Waiting for the bank to approve.")
        return ChargeResult("declined", reference, "The card was declined.")

    def refund(self, reference: str, amount_cents: int) -> ChargeResult:
        return ChargeResult("succeeded", "sbx_re_" + secrets.token_hex(10))


PROVIDERS: dict[str, type] = {"sandbox": SandboxProvider}


def require_known_provider(name: str) -> None:
    """Refuse to start with a PAYMENT_PROVIDER that no class here implements, rather than
    fail at the first checkout."""
    if name not in PROVIDERS:
        raise RuntimeError(f"PAYMENT_PROVIDER must be one of {', '.join(PROVIDERS)}, not {name!r}")


def provider() -> PaymentProvider:
    return PROVIDERS[current_app.config["PAYMENT_PROVIDER"]]()


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def card_digits(text: str | None, field: str = "payment.card_number") -> str:
    """The card number's digits. :raise ValidationFailed: not 12-19 digits passing Luhn."""
    digits = "".join(ch for ch in (text or "") if ch not in " -")
    if not (digits.isascii() and digits.isdigit() and 12 <= len(digits) <= 19 and _luhn_ok(digits)):
        raise ValidationFailed(fields={field: ["Enter a valid card number."]})
    return digits


def record_charge(
    result: ChargeResult, amount_cents: int, card: str, *, checkout_id=None, order_id=None
) -> Payment:
    """Store a charge's outcome in the caller's transaction."""
    return insert_now(
        Payment(
            checkout_id=checkout_id,
            order_id=order_id,
            provider=provider().name,
            provider_ref=result.reference,
            kind="charge",
            status=result.status,
            amount_cents=amount_cents,
            card_last4=card[-4:],
        )
    )


def refund(payment: Payment, amount_cents: int, order_id: int) -> Payment:
    """Give `amount_cents` of a charge back to the card, recorded in the caller's transaction."""
    result = provider().refund(payment.provider_ref, amount_cents)
    refund_record = Payment(
        checkout_id=payment.checkout_id,
        order_id=order_id,
        provider=payment.provider,
        provider_ref=result.reference,
        kind="refund",
        status=result.status,
        amount_cents=amount_cents,
        card_last4=payment.card_last4,
    )
    db.session.add(refund_record)
    return refund_record


class WebhookRejected(DomainError):
    status, code = 400, "invalid_signature"
    default_message = "The webhook signature is missing, wrong or too old."


def sign(body: bytes, secret: str, at: int | None = None) -> str:
    """The X-Signature header a provider sends with `body` (used by tests and the sandbox)."""
    at = clock.epoch_seconds() if at is None else at
    digest = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def verify(body: bytes, header: str | None) -> None:
    """:raise WebhookRejected: no signature, a wrong one, or a timestamp out of tolerance."""
    parts = dict(part.split("=", 1) for part in (header or "").split(",") if "=" in part)
    try:
        at = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        raise WebhookRejected() from None
    secret = current_app.config["WEBHOOK_SECRET"]
    expected = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    # compare_digest takes ASCII text only (it raises on anything else)
    if not given.isascii() or not hmac.compare_digest(expected, given):
        raise WebhookRejected()
    if abs(clock.epoch_seconds() - at) > current_app.config["WEBHOOK_TOLERANCE_SECONDS"]:
        raise WebhookRejected("The webhook timestamp is too old or in the future.")


def handle_webhook(body: bytes, header: str | None) -> dict:
    """Verify and apply one provider event exactly once; commits.

    :raise WebhookRejected: bad signature. :raise ValidationFailed: not an event.
    """
    verify(body, header)
    try:
        event = json.loads(body)
        event_id, kind = str(event["id"]), str(event["type"])
        data = event.get("data") or {}
        if not isinstance(data, dict) or not event_id or len(event_id) > 100:
            raise ValueError
    except (ValueError, KeyError, TypeError, RecursionError):
        raise ValidationFailed("The event must be JSON with `id`, `type` and `data`.") from None
    name = provider().name
    db.session.add(ProviderEvent(provider=name, event_id=event_id, type=kind[:60], payload=event))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return {"received": True, "duplicate": True}
    from marketplace.services import orders

    handled, emails = orders.apply_provider_event(kind, data)
    try:
        db.session.commit()
    except IntegrityError:  # the same event committed by a concurrent delivery
        db.session.rollback()
        return {"received": True, "duplicate": True}
    orders.send_emails(emails)
    return {"received": True, "duplicate": False, "handled": handled}


def payment_by_reference(reference: str) -> Payment | None:
    return db.session.scalar(
        select(Payment).where(
            Payment.provider == provider().name, Payment.provider_ref == reference
        )
    )
