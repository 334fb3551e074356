"""Background jobs: queued in the database, run inline, in a thread, or by `jobs worker`."""

from __future__ import annotations

import logging
import threading
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


def handler(kind: str):
    """Register the function that runs jobs of `kind`."""

    def register(function: Callable[[Job], None]) -> Callable[[Job], None]:
        HANDLERS[kind] = function
        return function

    return register


def _load_handlers() -> None:
    """Import the modules that register job handlers (kept lazy to avoid import cycles)."""
    from marketplace.services import escrow, idempotency, imports, offers, orders, quotes  # noqa: F401


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


def run(job_id: int) -> None:
    """Run a queued job to the end unless another process has claimed it already."""
    if not claim(job_id):
        return
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


def next_queued() -> int | None:
    """The oldest queued job's id, if any."""
    return db.session.scalar(select(Job.id).where(Job.status == "queued").order_by(Job.id).limit(1))


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


PERIODIC: list[tuple[str, Callable[[], int]]] = []


def periodic(name: str):
    """Register a task for `jobs run`: it does what is due at clock.now() and returns a count;
    running it again at the same time must find nothing left to do."""

    def register(task: Callable[[], int]) -> Callable[[], int]:
        PERIODIC.append((name, task))
        return task

    return register


def run_due() -> dict[str, int]:
    """Run every periodic task once, in registration order, and say how much each did."""
    _load_handlers()
    return {name: task() for name, task in PERIODIC}


@periodic("queued background jobs")
def run_queued() -> int:
    count = 0
    while (job_id := next_queued()) is not None:
        run(job_id)
        count += 1
    return count
