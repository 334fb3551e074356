"""Domain errors: each carries the HTTP status and the error code of API.md."""

from __future__ import annotations


class DomainError(Exception):
    """A rule refused the request; nothing was written."""

    status = 400
    code = "bad_request"
    default_message = "The request could not be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        fields: dict[str, list[str]] | None = None,
        code: str | None = None,
        **details: object,
    ) -> None:
        self.message = message or self.default_message
        self.fields = fields or {}
        if code:
            self.code = code
        self.details = details
        super().__init__(self.message)


class Unauthorized(DomainError):
    status, code = 401, "unauthorized"
    default_message = "Sign in to continue."


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"
    default_message = "Email or password is incorrect."


class Forbidden(DomainError):
    status, code = 403, "forbidden"
    default_message = "You are not allowed to do that."


class NotFound(DomainError):
    status, code = 404, "not_found"
    default_message = "Not found."


class ValidationFailed(DomainError):
    status, code = 422, "validation_error"
    default_message = "Some fields are not valid."


class Conflict(DomainError):
    status, code = 409, "conflict"
    default_message = "The request conflicts with the current state."


class OutOfStock(Conflict):
    code = "out_of_stock"
    default_message = "Some sizes are out of stock."


class IllegalTransition(Conflict):
    code = "illegal_transition"


class IdempotencyConflict(Conflict):
    code = "idempotency_key_reused"
    default_message = "This Idempotency-Key was already used with a different request."


class PaymentDeclined(DomainError):
    status, code = 402, "payment_declined"
    default_message = "The card was declined."


class BelowMOQ(ValidationFailed):
    code = "below_moq"


class InvalidQuantity(ValidationFailed):
    code = "invalid_quantity"


class CreditLimitExceeded(Conflict):
    code = "credit_limit_exceeded"


class PriceOutOfRange(ValidationFailed):
    code = "price_out_of_range"


class QuoteExpired(Conflict):
    code = "quote_expired"


class OfferExpired(Conflict):
    code = "offer_expired"


class InsufficientBalance(Conflict):
    code = "insufficient_available_balance"


class RateLimited(DomainError):
    status, code = 429, "rate_limited"
    default_message = "Too many requests. Wait a little and try again."


class SignInLocked(RateLimited):
    code = "sign_in_locked"
    default_message = (
        "Too many failed sign-in attempts for this email. Sign-in is paused for a while;"
        " if you forgot your password, reset it."
    )
