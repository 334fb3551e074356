"""Answers shared by every anonymous visitor: catalog pages and listings read by people who
are not signed in are the same for all of them, so one copy serves them all for
about CATALOG_CACHE_SECONDS (in Redis when REDIS_URL is set). Signed-in people always get a
fresh answer, so owners see their changes at once; checkout re-checks stock and prices anyway."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from typing import TypeVar

from flask import current_app, g
from flask_wtf.csrf import generate_csrf

from marketplace.extensions import cache

T = TypeVar("T")


def for_visitors(key: tuple, render: Callable[[], T]) -> T:
    """What `render()` gives, shared under `key` by anonymous visitors for a short while."""
    digest = "visitor:" + hashlib.sha256(repr(key).encode()).hexdigest()
    value = cache.get(digest)
    if value is None:
        value = render()
        cache.set(digest, value, timeout=spread(current_app.config["CATALOG_CACHE_SECONDS"]))
    return value


def spread(seconds: int) -> int:
    """How long to keep one cached answer: between half and one and a half times `seconds`,
    at random. Answers cached in the same moments (after a start or a deploy, when every
    popular page is new) then expire at different moments, rather than all together one
    lifetime later, when every worker would be recomputing at once."""
    return max(1, round(seconds * random.uniform(0.5, 1.5)))


def max_age() -> int:
    """How long browsers and proxies may keep an anonymous catalog answer."""
    return current_app.config["CATALOG_CACHE_SECONDS"]


# Forms on shared pages carry this in place of the CSRF token until a visitor gets the page.
CSRF_PLACEHOLDER = "__solemate_csrf_token__"


def render_for_everyone(render: Callable[[], str]) -> str:
    """Render a page that can be shared: CSRF tokens become a placeholder (Flask-WTF reuses
    the token it keeps in `g` for the request)."""
    g.csrf_token = CSRF_PLACEHOLDER
    try:
        return render()
    finally:
        g.pop("csrf_token", None)


def for_this_visitor(html: str) -> str:
    """A shared page with this visitor's own CSRF token in its forms."""
    if CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_PLACEHOLDER, generate_csrf())
    return html
