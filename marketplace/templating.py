"""Jinja filters and globals shared by every page."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, current_app, request, session, url_for

from marketplace import clock, sizes
from marketplace.money import format_money
from marketplace.services.storage import storage
from models.listings import CATEGORIES, CONDITIONS

CONDITION_NAMES = {
    "new": "New",
    "new_with_box": "New with box",
    "like_new": "Like new",
    "good": "Good",
    "worn": "Worn",
}
CONDITION_HELP = {
    "new_with_box": "Never worn, in the original box with all tags.",
    "like_new": "Worn once or twice indoors; no visible wear on soles or uppers.",
    "good": "Worn with light signs of use: slight sole wear, clean uppers.",
    "worn": "Clearly used: visible sole wear, creases or marks, still sound to wear.",
}
GENDER_NAMES = {"men": "Men", "women": "Women", "unisex": "Unisex", "kids": "Kids"}


def money(cents: int | None) -> str:
    return format_money(cents, current_app.config["CURRENCY"], current_app.config["LOCALE"])


def size_system() -> str:
    system = session.get("size_system", "eu")
    return system if system in sizes.SYSTEMS else "eu"


def url_with(**changes) -> str:
    """The current page's URL with some query arguments replaced (None removes one)."""
    args = request.args.to_dict()
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def media_url(filename: str | None) -> str:
    """A stored photo's URL, or the no-photo picture for None."""
    if filename is None:
        return url_for("static", filename="img/no-photo.svg")
    return storage().url(filename)


def photo_url(photo, thumb: bool = False) -> str:
    return media_url(None if photo is None else photo.thumb_filename if thumb else photo.filename)


def register(app: Flask) -> None:
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["datetime"] = lambda d: d.strftime("%d %b %Y, %H:%M") if d else ""
    app.jinja_env.filters["date"] = lambda d: d.strftime("%d %b %Y") if d else ""
    app.jinja_env.globals.update(
        size_label=sizes.label,
        size_system=size_system,
        size_systems=sizes.SYSTEM_NAMES,
        url_with=url_with,
        photo_url=photo_url,
        media_url=media_url,
        categories=CATEGORIES,
        conditions=CONDITIONS,
        condition_names=CONDITION_NAMES,
        condition_help=CONDITION_HELP,
        gender_names=GENDER_NAMES,
        now=clock.now,
        timedelta=timedelta,
    )
