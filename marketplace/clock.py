"""The one clock of the application: naive UTC, movable by tests and `jobs run --at`."""

from __future__ import annotations

from calendar import timegm
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

_fixed: datetime | None = None


def now() -> datetime:
    """The current time as naive UTC (how every timestamp is stored)."""
    return _fixed if _fixed is not None else datetime.now(UTC).replace(tzinfo=None)


def epoch_seconds() -> int:
    """The current time as whole seconds since 1970 UTC (whatever the host's time zone)."""
    return timegm(now().timetuple())


def set_now(moment: datetime | None) -> None:
    """Fix the clock at `moment` (naive UTC, or aware and converted); None lets it run again."""
    global _fixed
    if moment is not None and moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    _fixed = moment


@contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    """Run a block with the clock fixed at `moment`, then restore what was there."""
    previous = _fixed
    set_now(moment)
    try:
        yield
    finally:
        set_now(previous)


def isoformat(moment: datetime | None) -> str | None:
    """ISO 8601 with a Z, the form every API timestamp takes."""
    if moment is None:
        return None
    return moment.replace(microsecond=0).isoformat() + "Z"
