"""Shared column helpers for every model."""

from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column

from marketplace import clock
from marketplace.extensions import db


def created_at_column() -> Mapped[datetime]:
    return mapped_column(default=clock.now, nullable=False)


class Model(db.Model):
    """Base of every table: an integer id and a creation time from the one clock."""

    __abstract__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now, nullable=False)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id}>"
