"""Shared benchmark helpers: a fresh database, timing, query counting."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import event

from marketplace import create_app
from marketplace.extensions import db


def fresh_app(**overrides):
    """An app on a new migrated SQLite file in a temporary directory."""
    folder = Path(tempfile.mkdtemp(prefix="solemate-bench-"))
    settings = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}",
        "UPLOAD_DIR": str(folder / "uploads"),
        **overrides,
    }
    app = create_app("testing", settings)
    with app.app_context():
        upgrade()
    return app


@contextmanager
def counting_queries(engine):
    """Count the SQL statements run inside the block: `with counting_queries(e) as n: ...; n[0]`."""
    counter = [0]

    def count(*_args):
        counter[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", count)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def time_requests(call: Callable[[int], object], runs: int, warmup: int = 10) -> dict[str, float]:
    """p50/p95/max in milliseconds of `call(i)` over `runs` calls after a warm-up."""
    for i in range(warmup):
        call(i)
    samples = []
    for i in range(runs):
        started = time.perf_counter()
        call(i)
        samples.append((time.perf_counter() - started) * 1000)
    return {
        "p50": statistics.median(samples),
        "p95": percentile(samples, 0.95),
        "max": max(samples),
    }


def report(
    name: str, figures: dict[str, float], target_ms: float | None = None, extra: str = ""
) -> None:
    verdict = ""
    if target_ms is not None:
        verdict = "  OK" if figures["p95"] < target_ms else f"  OVER TARGET ({target_ms:.0f} ms)"
    print(
        f"{name:<34} p50 {figures['p50']:7.1f} ms   p95 {figures['p95']:7.1f} ms"
        f"   max {figures['max']:7.1f} ms{verdict}{extra}",
        flush=True,
    )


def session_engine():
    return db.engine
