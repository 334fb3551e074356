"""Command-line operations (`flask --app wsgi ...`): admins, demo data, jobs, keys."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from datetime import datetime

import click
from flask import Flask
from flask.cli import AppGroup

from marketplace import clock
from marketplace.exceptions import ValidationFailed
from marketplace.services import demo


def register(app: Flask) -> None:
    @app.cli.command("create-admin")
    @click.argument("email")
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    @click.option("--name", default="Administrator")
    def create_admin(email: str, password: str, name: str) -> None:
        """Make EMAIL an admin (creating the account if needed)."""
        from marketplace.services import accounts

        try:
            account = accounts.create_admin(email, password, name)
        except ValidationFailed as error:
            for field, messages in error.fields.items():
                click.echo(f"{field}: {' '.join(messages)}", err=True)
            raise SystemExit(1) from None
        click.echo(f"{account.email} is an admin.")

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing when accounts already exist.")
    @click.option(
        "--listings",
        default=320,
        show_default=True,
        type=click.IntRange(min=demo.MIN_LISTINGS),
        help=f"Business listings to create ({demo.MIN_LISTINGS} or more).",
    )
    def seed_demo(if_empty: bool, listings: int) -> None:
        """Load the demo shop: companies, people, listings with drawn photos, trades."""
        from marketplace.services import accounts

        if if_empty and accounts.count_accounts():
            click.echo("Demo data skipped: the database already has accounts.")
            return
        started = time.monotonic()
        logging.getLogger("solemate.mail").setLevel(logging.WARNING)  # the demo's emails
        summary = demo.seed(listing_count=listings)
        click.echo(f"Demo data loaded in {time.monotonic() - started:.1f}s: {summary}")
        click.echo("Demo logins (password: solemate-demo):")
        for role, email in demo.LOGINS.items():
            click.echo(f"  {role:<16} {email}")

    jobs_cli = AppGroup("jobs", help="Background and scheduled work.")

    @jobs_cli.command("run")
    @click.option("--at", "at", default=None, help="Run as if it were this ISO time (UTC).")
    def run_jobs(at: str | None) -> None:
        """Run every due job once; a second run changes nothing."""
        from marketplace.services import jobs

        moment = None
        if at:
            try:
                moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
            except ValueError:
                raise click.BadParameter("use an ISO time like 2026-12-01T09:00:00Z") from None
        if moment is not None:
            clock.set_now(moment)
        try:
            report = jobs.run_due()
        finally:
            clock.set_now(None)
        for name, count in report.items():
            click.echo(f"{name}: {count}")

    @jobs_cli.command("worker")
    @click.option("--poll", default=1.0, show_default=True, help="Seconds between queue polls.")
    @click.option("--every", default=60.0, show_default=True, help="Seconds between due-task runs.")
    def worker(poll: float, every: float) -> None:
        """Run queued jobs and the due tasks until stopped (SIGTERM or Ctrl-C)."""
        from marketplace.services import jobs

        stopping = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stopping.set())
        click.echo(f"Worker {os.getpid()} polling every {poll}s; due tasks every {every}s.")
        jobs.worker_loop(stopping.is_set, poll_seconds=poll, every=every)
        click.echo("Worker stopped.")

    app.cli.add_command(jobs_cli)

    @app.cli.command("reseal-totp")
    def reseal_totp() -> None:
        """Seal every two-factor secret under the first of TOTP_KEYS (after adding a key)."""
        from marketplace.services import twofactor

        try:
            count = twofactor.reseal_all()
        except RuntimeError as error:
            raise click.ClickException(f"{error}; nothing was changed") from None
        click.echo(f"{count} two-factor secrets sealed under the first key.")
