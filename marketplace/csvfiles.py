"""Uploaded CSV files (catalog imports, wholesale orders): what the csv module cannot read
is the uploader's mistake, told like any other, never a server error."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import TypeVar

from marketplace.exceptions import ValidationFailed

T = TypeVar("T")


def readable_rows(reader: Iterator[T]) -> Iterator[T]:
    """The rows of a csv reader; a line it cannot read (a field over the module's size
    limit, a NUL byte) raises ValidationFailed on `file` naming the line."""
    try:
        yield from reader
    except csv.Error as exc:
        line = getattr(reader, "line_num", 0)
        raise ValidationFailed(
            fields={"file": [f"Line {line} cannot be read as CSV: {exc}."]}
        ) from None
