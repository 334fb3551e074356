"""Settings the app refuses to start with, so a mistake shows at deploy time, not at the
first customer."""

import pytest

from config import Config
from marketplace import create_app

STRONG_SECRET = "production-test-secret-" + "x" * 40
TOTP_KEY = "cHJvZHVjdGlvbi10ZXN0LXRvdHAta2V5LTMyLWJ5dGU="


def test_an_unknown_payment_provider_stops_the_app_from_starting(database):
    with pytest.raises(RuntimeError, match="PAYMENT_PROVIDER must be one of sandbox, not 'stripe'"):
        create_app("testing", {"SQLALCHEMY_DATABASE_URI": database, "PAYMENT_PROVIDER": "stripe"})


@pytest.mark.parametrize(
    ("environment", "refusal"),
    [
        ({"DATABASE_URL": "sqlite:///x.db", "WEBHOOK_SECRET": "whsec_x"}, "SECRET_KEY"),
        (
            {"SECRET_KEY": "short", "DATABASE_URL": "sqlite:///x.db", "WEBHOOK_SECRET": "whsec_x"},
            "SECRET_KEY",
        ),
        ({"SECRET_KEY": STRONG_SECRET, "WEBHOOK_SECRET": "whsec_x"}, "DATABASE_URL"),
        ({"SECRET_KEY": STRONG_SECRET, "DATABASE_URL": "sqlite:///x.db"}, "WEBHOOK_SECRET"),
        (
            {"SECRET_KEY": STRONG_SECRET, "DATABASE_URL": "sqlite:///x.db", "WEBHOOK_SECRET": "w"},
            "TOTP_KEYS",
        ),
        (
            {
                "SECRET_KEY": STRONG_SECRET,
                "DATABASE_URL": "sqlite:///x.db",
                "WEBHOOK_SECRET": "w",
                "TOTP_KEYS": f"{TOTP_KEY},{Config.TOTP_KEYS}",  # the development key kept
            },
            "TOTP_KEYS",
        ),
    ],
)
def test_production_refuses_missing_or_weak_secrets(monkeypatch, environment, refusal):
    for name in ("SECRET_KEY", "DATABASE_URL", "WEBHOOK_SECRET", "TOTP_KEYS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(RuntimeError, match=f"production needs {refusal}"):
        create_app("production")


@pytest.mark.parametrize("keys", ["", "not-a-key", f"{TOTP_KEY},short"])
def test_totp_keys_that_are_not_fernet_keys_stop_the_app_from_starting(database, keys):
    with pytest.raises(RuntimeError, match="TOTP_KEYS"):
        create_app("testing", {"SQLALCHEMY_DATABASE_URI": database, "TOTP_KEYS": keys})
