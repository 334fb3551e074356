"""Idempotency keys: the same key and body get the first answer again, another body a 409.

The key is claimed with an INSERT under a unique (account, scope, key) before the work
runs, so of two concurrent requests with one key exactly one does the work; the other
waits for its answer. Work that can say its answer before it commits (checkout) stores it
in its own transaction with `answer_now`, so even a crash right after that commit leaves
the answer to replay. Answers are kept for IDEMPOTENCY_TTL_HOURS (the jobs command purges
older ones).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from datetime import timedelta

from flask import current_app, g, jsonify, request
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from marketplace import clock
from marketplace.exceptions import Conflict, DomainError, IdempotencyConflict, ValidationFailed
from marketplace.extensions import commit_keeping_loaded, db, execute
from marketplace.services import jobs
from models import Account, IdempotencyKey

WAIT_SECONDS = 15.0
ABANDONED_AFTER = timedelta(minutes=5)


def _hash(body: bytes) -> str:
    try:  # the same JSON written with other spacing or key order is the same request
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, RecursionError):  # not JSON: the bytes as they came
        canonical = body
    return hashlib.sha256(canonical).hexdigest()


CLAIM = insert(IdempotencyKey)


def _claim(account_id: int, scope: str, key: str, digest: str) -> IdempotencyKey | None:
    """Insert the key; None when it was ours to claim, else the existing record."""
    try:
        execute(
            CLAIM, {"account_id": account_id, "scope": scope, "key": key, "request_hash": digest}
        )
        commit_keeping_loaded()  # the work that follows reads the account already loaded
        return None
    except IntegrityError:
        db.session.rollback()
    return db.session.scalar(select(IdempotencyKey).where(*_this(account_id, scope, key)))


def _stored(row_id: int) -> IdempotencyKey | None:
    db.session.expire_all()
    return db.session.get(IdempotencyKey, row_id)


def run_once(
    account_id: int, scope: str, key: str, body: bytes, work: Callable[[], tuple[dict, int]]
) -> tuple[dict, int]:
    """`work()`'s (body, status), computed once per (account, scope, key).

    :raise IdempotencyConflict: the key came before with a different body.
    :raise Conflict: the first request with this key is still running after a long wait.
    """
    if not key or len(key) > 200:
        raise ValidationFailed(fields={"Idempotency-Key": ["Use a key of 1 to 200 characters."]})
    digest = _hash(body)
    while True:
        existing = _claim(account_id, scope, key, digest)
        if existing is None:
            break
        if existing.request_hash != digest:
            raise IdempotencyConflict()
        waited = 0.0
        while existing is not None and existing.completed_at is None and waited < WAIT_SECONDS:
            time.sleep(0.05)
            waited += 0.05
            existing = _stored(existing.id)
        if existing is None:  # the first attempt failed and let the key go: try again
            continue
        if existing.completed_at is not None:
            return json.loads(existing.response), existing.status_code
        if clock.now() - existing.created_at > ABANDONED_AFTER:
            db.session.delete(existing)
            db.session.commit()
            continue
        raise Conflict(
            "A request with this Idempotency-Key is still being processed.",
            code="idempotency_in_progress",
        )
    g.idempotency_pending = (account_id, scope, key)
    g.idempotency_answered = False
    try:
        payload, status = work()
    except DomainError as error:
        db.session.rollback()
        if (answered := _answer_committed(account_id, scope, key)) is not None:
            return answered  # the work committed, then something after it failed
        payload = {
            "error": {
                "code": error.code,
                "message": error.message,
                "fields": error.fields,
                **error.details,
            }
        }
        status = error.status
    except Exception:
        db.session.rollback()
        if _answer_committed(account_id, scope, key) is None:  # the work did not commit
            db.session.execute(delete(IdempotencyKey).where(*_this(account_id, scope, key)))
            db.session.commit()
        raise
    finally:
        g.pop("idempotency_pending", None)
    if not g.pop("idempotency_answered", False):
        _store(account_id, scope, key, payload, status)
        db.session.commit()
    return payload, status


def answer_now(payload: dict, status: int) -> None:
    """Store the answer of the request being run once in the caller's open transaction, so
    it commits with the work itself. Call it just before that commit; outside a request
    with an Idempotency-Key it does nothing."""
    pending = g.get("idempotency_pending")
    if pending is not None:
        _store(*pending, payload, status)
        g.idempotency_answered = True


def _this(account_id, scope, key) -> tuple:
    """The conditions that pick one key's row (values, or bind parameters)."""
    return (
        IdempotencyKey.account_id == account_id,
        IdempotencyKey.scope == scope,
        IdempotencyKey.key == key,
    )


ANSWER = (
    update(IdempotencyKey)
    .where(*_this(bindparam("for_account"), bindparam("in_scope"), bindparam("with_key")))
    .values(
        response=bindparam("answer"),
        status_code=bindparam("answer_status"),
        completed_at=bindparam("at"),
    )
)


def _store(account_id: int, scope: str, key: str, payload: dict, status: int) -> None:
    execute(
        ANSWER,
        {
            "for_account": account_id,
            "in_scope": scope,
            "with_key": key,
            "answer": json.dumps(payload),
            "answer_status": status,
            "at": clock.now(),
        },
    )


def _answer_committed(account_id: int, scope: str, key: str) -> tuple[dict, int] | None:
    """After the work failed: the answer it had committed with itself (answer_now), if any."""
    if not g.pop("idempotency_answered", False):
        return None
    row = db.session.execute(
        select(IdempotencyKey.response, IdempotencyKey.status_code).where(
            *_this(account_id, scope, key), IdempotencyKey.completed_at.is_not(None)
        )
    ).one_or_none()
    return None if row is None else (json.loads(row.response), row.status_code)


def _request_content() -> bytes:
    """What makes two requests the same one: a JSON body as sent; for an upload, its form
    fields, its files' contents and the query (a multipart boundary differs on every send)."""
    if request.mimetype == "application/json" or not request.mimetype:
        return request.get_data(cache=True)
    files = []
    for name, upload in request.files.items(multi=True):
        files.append((str(name), hashlib.sha256(upload.read()).hexdigest()))
        upload.seek(0)
    content = {
        "query": sorted((str(k), str(v)) for k, v in request.args.items(multi=True)),
        "form": sorted((str(k), str(v)) for k, v in request.form.items(multi=True)),
        "files": sorted(files),
        "body": hashlib.sha256(request.get_data(cache=True)).hexdigest() if not files else "",
    }
    return json.dumps(content).encode()


def replay_or_run(account: Account, scope: str, view: Callable[[], object]):
    """Wrap an API view: with an Idempotency-Key header, answer as the first request did."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return view()

    def work() -> tuple[dict, int]:
        result = view()
        body, status = result if isinstance(result, tuple) else (result, 200)
        return body, status

    body, status = run_once(account.id, scope, key.strip(), _request_content(), work)
    response = jsonify(body)
    response.status_code = status
    return response


@jobs.periodic("purge old idempotency keys")
def purge() -> int:
    cutoff = clock.now() - timedelta(hours=current_app.config["IDEMPOTENCY_TTL_HOURS"])
    result = db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff))
    db.session.commit()
    return result.rowcount
