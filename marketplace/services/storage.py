"""Where uploaded files live: one interface, a local directory behind it (UPLOAD_DIR).

An object store can replace LocalStorage by implementing the same four methods; every page
and API answer takes a photo's address from `url`, so the address follows the store. Pages
allow images from this site only (the Content-Security-Policy's img-src): serve the store
under this site's /media/ (nginx can proxy it), or add its origin to img-src.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Protocol
from urllib.parse import urljoin

from flask import Flask, abort, current_app, request, send_from_directory

NAME_PATTERN = re.compile(r"^[0-9a-f]{32}(_thumb)?\.jpg$")
MEDIA_CSP = "default-src 'none'; sandbox"


class Storage(Protocol):
    def save(self, data: bytes, name: str) -> None: ...
    def read(self, name: str) -> bytes: ...
    def delete(self, name: str) -> None: ...
    def url(self, name: str) -> str: ...


class LocalStorage:
    """Files in one directory, served by the app at /media/<name> (nginx can serve it too)."""

    def __init__(self, root: str) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def save(self, data: bytes, name: str) -> None:
        temporary = self.root / f".{name}.{os.getpid()}.part"
        temporary.write_bytes(data)
        temporary.replace(self.root / name)

    def read(self, name: str) -> bytes:
        return (self.root / name).read_bytes()

    def delete(self, name: str) -> None:
        (self.root / name).unlink(missing_ok=True)

    def url(self, name: str) -> str:
        # The rule init_storage adds, written out (names need no quoting): url_for took a
        # twentieth of a catalog answer's CPU, one call per card.
        return f"{request.script_root}/media/{name}"


def new_name(suffix: str = "") -> str:
    """A fresh unguessable file name for a stored image."""
    return f"{secrets.token_hex(16)}{suffix}.jpg"


def storage() -> Storage:
    return current_app.extensions["solemate_storage"]


def absolute_url(name: str) -> str:
    """A stored file's address with scheme and host (what the API answers with)."""
    return urljoin(request.host_url, storage().url(name))


def init_storage(app: Flask) -> None:
    app.extensions["solemate_storage"] = LocalStorage(app.config["UPLOAD_DIR"])

    def media(name: str):
        if not NAME_PATTERN.match(name):
            abort(404)
        response = send_from_directory(
            app.config["UPLOAD_DIR"], name, mimetype="image/jpeg", max_age=86400 * 30
        )
        response.headers["Content-Disposition"] = "inline"
        return response

    # Stored files are re-encoded JPEGs, sent as image/jpeg with nosniff; should one ever be
    # opened as a document it runs nothing (no sources, sandboxed).
    strict = app.extensions["talisman"](content_security_policy=MEDIA_CSP)
    app.add_url_rule("/media/<name>", "media", strict(media))
