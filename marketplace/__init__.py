"""Solemate: the application factory."""

from __future__ import annotations

import logging

from flask import Flask
from flask_talisman import Talisman
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from config import INSTANCE, ROOT, load_settings
from marketplace.extensions import (
    cache,
    csrf,
    db,
    end_read_only_transaction,
    limiter,
    login_manager,
    migrate,
    ping_when_idle,
)

# Every page and answer: only this site's own scripts, styles, images and forms; no plugins,
# no <base>, no framing by other sites.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def database_id(number: int) -> int:
    """`number` as an id to look up: itself when an id column can hold it (1 to 2**31 - 1),
    else 0, an id no row has (looking up a larger one would overflow the database's
    integer)."""
    return number if 1 <= number <= 2**31 - 1 else 0


# More digits than any count or id here needs; a longer number reads as 10**18, past every
# limit (and int() refuses to convert more than 4,300 digits at all).
MAX_DIGITS = 18


def whole_number(text: str | None) -> int | None:
    """`text` (spaces around it aside) as a whole number when it is written in ASCII digits,
    else None. Not `str.isdigit()`: it also says yes to digits int() cannot read ("²")."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()):
        return None
    return int(text) if len(text) <= MAX_DIGITS else 10**MAX_DIGITS


class DatabaseId(IntegerConverter):
    """`<int:...>` URL parts are database ids. A number no id column can hold (0, or above
    2**31 - 1) becomes 0, an id no row has, so the view answers as for any unknown id (404).
    Refusing to convert it would make werkzeug answer 405 wherever the same path has a
    route for another method, and passing it on would overflow the database's integer."""

    def to_python(self, value: str) -> int:
        return database_id(int(value))


def create_app(config_name: str | None = None, overrides: dict | None = None) -> Flask:
    """Build the app for an environment (development, testing, production)."""
    settings = load_settings(config_name, overrides)
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(INSTANCE),
    )
    app.config.update(settings)
    from marketplace.services import payments, twofactor

    payments.require_known_provider(app.config["PAYMENT_PROVIDER"])
    twofactor.init_sealing(app)
    if hops := app.config["PROXY_HOPS"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.url_map.converters["int"] = DatabaseId
    if app.config["CONFIG_NAME"] != "production":
        logging.basicConfig(level=logging.INFO)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    if app.config["AUTO_MIGRATE"]:
        from marketplace.schema import upgrade_if_behind

        upgrade_if_behind(app)
    return app


def register_extensions(app: Flask) -> None:
    import models  # noqa: F401  (registers every table on the metadata)

    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    sqlite = uri.startswith("sqlite")
    if sqlite:
        options.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
        INSTANCE.mkdir(exist_ok=True)
    else:
        options.setdefault("pool_size", 10)
        options.setdefault("max_overflow", 20)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    if not sqlite and not options.get("pool_pre_ping"):
        with app.app_context():
            ping_when_idle(db.engine, app.config["DATABASE_PING_AFTER_IDLE_SECONDS"])
    # after db.init_app: teardowns run last-registered first, so before the session closes
    app.teardown_appcontext(end_read_only_transaction)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    # Every limit here is a route decorator (which checks its own route) or an explicit
    # ratelimits.spend(): the limiter's check before every request (registered when limits
    # are on), which looks for default and blueprint limits we do not set, only cost each
    # answer about 0.1 ms.
    hooks = app.before_request_funcs[None]
    if limiter._check_request_limit in hooks:
        hooks.remove(limiter._check_request_limit)
    cache.init_app(app)
    production = app.config["CONFIG_NAME"] == "production"
    app.extensions["talisman"] = Talisman(
        app,
        force_https=production,
        strict_transport_security=True,
        strict_transport_security_max_age=365 * 24 * 3600,
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=True,
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
        x_xss_protection=False,
    )
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"

    from marketplace.services import accounts

    login_manager.user_loader(accounts.load_session_account)

    from marketplace.services.storage import init_storage

    init_storage(app)


def register_blueprints(app: Flask) -> None:
    from blueprints.admin import bp as admin_bp
    from blueprints.api import bp as api_bp
    from blueprints.auth import bp as auth_bp
    from blueprints.b2b import bp as b2b_bp
    from blueprints.b2c import bp as b2c_bp
    from blueprints.b2m import bp as b2m_bp
    from blueprints.c2c import bp as c2c_bp
    from blueprints.seller import bp as seller_bp

    for blueprint in (b2c_bp, b2b_bp, c2c_bp, b2m_bp, auth_bp, seller_bp, admin_bp, api_bp):
        app.register_blueprint(blueprint)
    csrf.exempt(api_bp)


def register_errorhandlers(app: Flask) -> None:
    from marketplace.errors import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from marketplace.templating import register

    register(app)


def register_commands(app: Flask) -> None:
    from marketplace.cli import register

    register(app)
