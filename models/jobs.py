"""Background jobs (CSV imports), with progress a page can show."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Model

JOB_STATUSES = ("queued", "running", "done", "failed")


class Job(Model):
    """A unit of background work: who asked, how far it got, and the per-line errors."""

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status_known"),
    )

    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(10), default="queued", index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    payload: Mapped[str] = mapped_column(Text, default="")
    total: Mapped[int] = mapped_column(default=0)
    processed: Mapped[int] = mapped_column(default=0)
    succeeded: Mapped[int] = mapped_column(default=0)
    errors: Mapped[list] = mapped_column(JSON, default=list)
    message: Mapped[str] = mapped_column(String(300), default="")
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        return int(100 * self.processed / self.total) if self.total else 0
