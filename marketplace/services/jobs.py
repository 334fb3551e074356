"""Background jobs and periodic tasks.

Jobs (CSV imports) are queued in the database and run inline (tests), in a thread of the
web process (development), or by `flask jobs worker` processes (production). Periodic
tasks (expiring unpaid orders, offers and quotes, completing orders, releasing escrow)
run from `flask jobs run` or the worker; each finds its own due rows and claims them with
conditional updates, so running them twice, or in two workers, does the work once.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable

from flask import current_app
from sqlalchemy import select, update

from marketplace import clock
from marketplace.exceptions import NotFound
from marketplace.extensions import db
from models import Account, Job

log = logging.getLogger(__name__)
HANDLERS: dict[str, Callable[[Job], None]] = {}
PERIODIC: list[tuple[str, Callable[[], int]]] = []


def handler(kind: str):
    """Register the function that runs jobs of `kind`."""

    def register(function: Callable[[Job], None]) -> Callable[[Job], None]:
        HANDLERS[kind] = function
        return function

    return register


def periodic(name: str):
    """Register a task for `jobs run`: it does what is due at clock.now() and returns a count;
    running it again at the same time must find nothing left to do."""

    def register(task: Callable[[], int]) -> Callable[[], int]:
        PERIODIC.append((name, task))
        return task

    return register


def _load_handlers() -> None:
    """Import the modules that register job handlers and periodic tasks (lazily, to avoid
    import cycles)."""
    from marketplace.services import (  # noqa: F401
        c2c,
        commissions,
        escrow,
        idempotency,
        imports,
        offers,
        orders,
        quotes,
    )


def enqueue(job: Job) -> Job:
    """Save a queued job and start it the way JOB_EXECUTOR says; commits."""
    job.status = "queued"
    db.session.add(job)
    db.session.commit()
    executor = current_app.config["JOB_EXECUTOR"]
    if executor == "inline":
        run(job.id)
    elif executor == "thread":
        app = current_app._get_current_object()
        threading.Thread(target=_run_in_app, args=(app, job.id), daemon=True).start()
    return job


def _run_in_app(app, job_id: int) -> None:
    with app.app_context():
        run(job_id)


def claim(job_id: int) -> bool:
    """Take a queued job for this process; True for exactly one claimant."""
    result = db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == "queued")
        .values(status="running", started_at=clock.now())
    )
    db.session.commit()
    return result.rowcount == 1


def claim_next() -> int | None:
    """Claim the oldest queued job for this process, or None when there is none.

    On PostgreSQL several workers skip each other's locked rows (FOR UPDATE SKIP LOCKED),
    so they neither wait on nor double-claim a job; on SQLite the single writer makes the
    conditional UPDATE of `claim` enough.
    """
    if db.engine.dialect.name == "postgresql":
        job_id = db.session.scalar(
            select(Job.id)
            .where(Job.status == "queued")
            .order_by(Job.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if job_id is None:
            db.session.rollback()
            return None
        db.session.execute(
            update(Job).where(Job.id == job_id).values(status="running", started_at=clock.now())
        )
        db.session.commit()
        return job_id
    job_id = db.session.scalar(
        select(Job.id).where(Job.status == "queued").order_by(Job.id).limit(1)
    )
    return job_id if job_id is not None and claim(job_id) else None


def work(job_id: int) -> None:
    """Run a job this process has claimed, recording how it ended."""
    _load_handlers()
    job = db.session.get(Job, job_id)
    try:
        HANDLERS[job.kind](job)
        job.status = "done"
    except Exception:  # a broken job must not take the worker down with it
        db.session.rollback()
        log.error("job %s failed:\n%s", job_id, traceback.format_exc())
        job = db.session.get(Job, job_id)
        job.status = "failed"
        job.message = "The job stopped on an unexpected error; it was logged."
    job.finished_at = clock.now()
    db.session.commit()


def run(job_id: int) -> None:
    """Run a queued job to the end unless another process has claimed it already."""
    if claim(job_id):
        work(job_id)


def run_due() -> dict[str, int]:
    """Run every periodic task once, in registration order, and say how much each did."""
    _load_handlers()
    return {name: task() for name, task in PERIODIC}


def worker_loop(stop: Callable[[], bool], poll_seconds: float = 1.0, every: float = 60.0) -> None:
    """Run queued jobs until `stop()` is true, and the periodic tasks every `every` seconds."""
    last_periodic = float("-inf")
    while not stop():
        job_id = claim_next()
        if job_id is not None:
            work(job_id)
            continue
        if time.monotonic() - last_periodic >= every:
            run_due()
            last_periodic = time.monotonic()
        db.session.remove()
        time.sleep(poll_seconds)


@periodic("queued background jobs")
def run_queued() -> int:
    count = 0
    while (job_id := claim_next()) is not None:
        work(job_id)
        count += 1
    return count


def job_for(job_id: int, account: Account) -> Job:
    """A job its requester (or a colleague of the same company) may look at.

    :raise NotFound: absent or someone else's.
    """
    job = db.session.get(Job, job_id)
    if job is None:
        raise NotFound("No such job.")
    mine = job.account_id == account.id
    colleague = job.company_id is not None and job.company_id == account.company_id
    if not (mine or colleague):
        raise NotFound("No such job.")
    return job


def recent_jobs(company_id: int, kind: str, limit: int = 10) -> list[Job]:
    return list(
        db.session.scalars(
            select(Job)
            .where(Job.company_id == company_id, Job.kind == kind)
            .order_by(Job.id.desc())
            .limit(limit)
        )
    )
