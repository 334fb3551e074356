"""The one way the app sends email: to the log in development, to an outbox in tests."""

from __future__ import annotations

import logging

from flask import current_app

log = logging.getLogger("solemate.mail")


def send(to: str, subject: str, body: str) -> None:
    """Send one plain-text email (call after the transaction it reports has committed)."""
    message = {
        "to": to,
        "subject": subject,
        "body": body,
        "from": current_app.config["MAIL_SENDER"],
    }
    if current_app.config.get("TESTING"):
        current_app.extensions.setdefault("solemate_outbox", []).append(message)
    else:
        log.info("mail to %s: %s\n%s", to, subject, body)
