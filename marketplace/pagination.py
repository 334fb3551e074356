"""One page of a longer list, as every paged page and API answer shows it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from math import ceil

from sqlalchemy import Select, func, select

from marketplace.extensions import db


@dataclass
class Page:
    items: Sequence
    total: int
    page: int
    per_page: int
    extra: dict = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def paginate(query: Select, page: int, per_page: int) -> Page:
    """Page `page` (from 1) of the rows `query` selects, in its order, with the count of all
    of them. `query` must be ordered, so that pages neither repeat nor skip a row."""
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = db.session.scalars(query.limit(per_page).offset((max(page, 1) - 1) * per_page)).all()
    return Page(items, total, max(page, 1), per_page)
