"""Limits on how often one account may do a thing (make offers, write messages): one rule for
the pages and the API, counted in Flask-Limiter's storage (Redis when REDIS_URL is set)."""

from __future__ import annotations

from flask import current_app
from limits import parse

from marketplace.exceptions import RateLimited
from marketplace.extensions import limiter


def spend(setting: str, account_id: int) -> None:
    """Count one use of the action limited by the config `setting` for an account.

    :raise RateLimited: the account has used up its allowance for now.
    """
    if not current_app.config["RATELIMIT_ENABLED"]:
        return
    allowance = parse(current_app.config[setting])
    if not limiter.limiter.hit(allowance, setting.lower(), f"account:{account_id}"):
        raise RateLimited(f"Slow down: at most {allowance}. Try again later.")
