"""Configuration classes; every setting can be overridden by an environment variable of its name.

SOLEMATE_CONFIG picks the class (development, testing, production; default development).
DATABASE_URL, when set, wins in every class.
"""

from __future__ import annotations

import os
import tempfile
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent
INSTANCE = ROOT / "instance"


class Config:
    """Settings shared by every environment; the defaults suit a developer's machine."""

    SECRET_KEY = "dev-only-secret-change-me"
    SQLALCHEMY_DATABASE_URI = f"sqlite:///{INSTANCE / 'solemate.db'}"
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # A pooled PostgreSQL connection unused this long is tested before use (extensions.
    # ping_when_idle); one used more recently is trusted.
    DATABASE_PING_AFTER_IDLE_SECONDS = 2.0
    # Money and trade rules (DESIGN.md).
    CURRENCY = "USD"
    LOCALE = "en_US"
    FEE_B2C_PERCENT = Decimal("5")
    FEE_B2B_PERCENT = Decimal("3")
    FEE_C2C_PERCENT = Decimal("8")
    FEE_B2M_PERCENT = Decimal("5")
    SHIPPING_EXPRESS_CENTS = 1500
    PAYMENT_HOLD_MINUTES = 30
    RETURN_WINDOW_DAYS = 7
    OFFER_HOURS = 24
    C2C_AUTO_CONFIRM_DAYS = 3
    C2C_SHIP_BY_DAYS = 5
    RATING_REVEAL_DAYS = 7
    NET_TERMS_DAYS = 30
    PAYOUT_MIN_CENTS = 2000
    OVERRIDE_PERCENTS = "20,10,5"
    OVERRIDE_DEPTH = 2
    # Payments.
    PAYMENT_PROVIDER = "sandbox"
    WEBHOOK_SECRET = "whsec_dev_only"
    WEBHOOK_TOLERANCE_SECONDS = 300
    IDEMPOTENCY_TTL_HOURS = 48
    # Accounts and API.
    API_TOKEN_TTL_HOURS = 720
    PASSWORD_MIN_LENGTH = 8
    PASSWORD_MAX_LENGTH = 128
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_KIB = 65536
    # Sign-in is paused for an email after this many failures within the window.
    LOGIN_LOCKOUT_THRESHOLD = 10
    LOGIN_LOCKOUT_MINUTES = 15
    PASSWORD_RESET_MAX_AGE_SECONDS = 3600
    # Two-factor sign-in: admins must use it on the website; ADMIN_API_2FA also refuses API
    # tokens to admins without it (on in production).
    ADMIN_2FA_REQUIRED = True
    ADMIN_API_2FA = False
    TOTP_ISSUER = "Solemate"
    # Keys that seal two-factor secrets in the database (Fernet, comma-separated): the
    # first seals, any of them opens, so a new key goes first and `flask --app wsgi
    # reseal-totp` moves every secret to it before the old one is dropped.
    TOTP_KEYS = "ZGV2LW9ubHktdG90cC1rZXktY2hhbmdlLW1lLSEhISE="
    # Uploads and background jobs.
    UPLOAD_DIR = str(INSTANCE / "uploads")
    MAX_UPLOAD_BYTES = 8 * 1024 * 1024
    MAX_CONTENT_LENGTH = 9 * 8 * 1024 * 1024
    JOB_EXECUTOR = "thread"
    # Rate limits (Flask-Limiter); counters in Redis when REDIS_URL is set.
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    REDIS_URL = ""
    # What anonymous visitors read of the catalog is served from a cache for this long
    # (signed-in people always see it fresh); result counts are kept a little longer.
    CACHE_TYPE = "SimpleCache"
    CACHE_KEY_PREFIX = "solemate:"
    CATALOG_CACHE_SECONDS = 30
    CATALOG_COUNT_CACHE_SECONDS = 120
    LOGIN_RATE_LIMIT = "10 per minute"
    REGISTER_RATE_LIMIT = "200 per hour"
    PASSWORD_RESET_RATE_LIMIT = "10 per hour"
    TWO_FACTOR_RATE_LIMIT = "10 per minute"
    OFFER_RATE_LIMIT = "30 per hour"
    MESSAGE_RATE_LIMIT = "60 per hour"
    # Pages.
    PER_PAGE = 24
    MAIL_SENDER = "Solemate <orders@solemate.test>"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    SESSION_COOKIE_NAME = "session"
    REMEMBER_COOKIE_NAME = "remember_token"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = 30 * 24 * 3600
    # A browser signed in without "Keep me signed in" is signed out after this long idle.
    SESSION_IDLE_MINUTES = 30
    # Proxies in front of the app whose X-Forwarded-For/-Proto are trusted (nginx: 1).
    PROXY_HOPS = 0
    AUTO_MIGRATE = False
    TESTING = False

    @classmethod
    def check(cls, settings: dict) -> None:
        """Refuse settings this environment must not run with."""


class DevelopmentConfig(Config):
    """SQLite under instance/, schema migrated on first start if nobody ran `db upgrade`."""

    AUTO_MIGRATE = True


class TestingConfig(Config):
    """A throwaway SQLite file (or TEST_DATABASE_URL), jobs run inline, cheap password hashing."""

    TESTING = True
    SECRET_KEY = "testing-secret"
    SQLALCHEMY_DATABASE_URI = (
        f"sqlite:///{Path(tempfile.gettempdir()) / f'solemate-test-{os.getpid()}.db'}"
    )
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    JOB_EXECUTOR = "inline"
    CACHE_TYPE = "NullCache"
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_KIB = 1024
    UPLOAD_DIR = str(Path(tempfile.gettempdir()) / f"solemate-test-uploads-{os.getpid()}")


class ProductionConfig(Config):
    """PostgreSQL and a real secret from the environment; refuses the development defaults."""

    SECRET_KEY = ""
    SQLALCHEMY_DATABASE_URI = ""
    JOB_EXECUTOR = "worker"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    # __Host- cookies are only accepted over HTTPS, for this host, on path / (no Domain).
    SESSION_COOKIE_NAME = "__Host-session"
    REMEMBER_COOKIE_NAME = "__Host-remember"
    PREFERRED_URL_SCHEME = "https"
    ADMIN_API_2FA = True
    PROXY_HOPS = 1

    @classmethod
    def check(cls, settings: dict) -> None:
        secret = os.environ.get("SECRET_KEY", "")
        if len(secret) < 32 or settings["SECRET_KEY"] == Config.SECRET_KEY:
            raise RuntimeError(
                "production needs SECRET_KEY (32+ random characters) in the environment"
            )
        if not os.environ.get("DATABASE_URL"):
            raise RuntimeError("production needs DATABASE_URL set in the environment")
        if (
            not os.environ.get("WEBHOOK_SECRET")
            or settings["WEBHOOK_SECRET"] == Config.WEBHOOK_SECRET
        ):
            raise RuntimeError("production needs WEBHOOK_SECRET set in the environment")
        keys = [key.strip() for key in settings["TOTP_KEYS"].split(",")]
        if not os.environ.get("TOTP_KEYS") or Config.TOTP_KEYS in keys:
            raise RuntimeError("production needs TOTP_KEYS set in the environment")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def database_url(url: str) -> str:
    """Point postgres URLs at the psycopg 3 driver, which is the one installed."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _coerce(raw: str, default: object) -> object:
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, Decimal):
        return Decimal(raw)
    if isinstance(default, float):
        return float(raw)
    return raw


def load_settings(name: str | None = None, overrides: dict | None = None) -> dict:
    """The settings of one environment, with environment variables and overrides applied."""
    name = name or os.environ.get("SOLEMATE_CONFIG", "development")
    if name not in CONFIGS:
        raise RuntimeError(f"SOLEMATE_CONFIG must be one of {', '.join(CONFIGS)}, not {name!r}")
    cls = CONFIGS[name]
    settings = {key: getattr(cls, key) for key in dir(cls) if key.isupper()}
    for key, default in list(settings.items()):
        if key in os.environ:
            settings[key] = _coerce(os.environ[key], default)
    if os.environ.get("DATABASE_URL"):
        settings["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if name == "testing" and os.environ.get("TEST_DATABASE_URL"):
        settings["SQLALCHEMY_DATABASE_URI"] = os.environ["TEST_DATABASE_URL"]
    if settings.get("REDIS_URL"):
        if "RATELIMIT_STORAGE_URI" not in os.environ:
            settings["RATELIMIT_STORAGE_URI"] = settings["REDIS_URL"]
        if "CACHE_TYPE" not in os.environ and settings["CACHE_TYPE"] != "NullCache":
            settings["CACHE_TYPE"] = "RedisCache"
            settings["CACHE_REDIS_URL"] = settings["REDIS_URL"]
    settings.update(overrides or {})
    settings["SQLALCHEMY_DATABASE_URI"] = database_url(settings["SQLALCHEMY_DATABASE_URI"])
    settings["CONFIG_NAME"] = name
    cls.check(settings)
    return settings
