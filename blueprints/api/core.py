"""The `endpoint` decorator: auth, body and query parsing, and the OpenAPI record of a route."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from flask import after_this_request, current_app, g, request
from marshmallow import Schema, ValidationError

from marketplace import pagecache
from marketplace.exceptions import DomainError, Forbidden, Unauthorized, ValidationFailed
from marketplace.schemas.common import flatten_errors
from marketplace.services import accounts
from models import Account


@dataclass
class Operation:
    name: str
    rule: str
    method: str
    summary: str
    tag: str
    auth: str | None
    body: type[Schema] | None = None
    query: type[Schema] | None = None
    response: type[Schema] | Schema | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    multipart: dict | None = None
    idempotent: bool = False
    public_cache: bool = False
    description: str = ""


OPERATIONS: list[Operation] = []


class BadRequest(DomainError):
    status, code = 400, "bad_request"


def current_account() -> Account:
    """The account of the bearer token of this request (set by `endpoint`)."""
    return g.api_account


def optional_account() -> Account | None:
    """The token's account on routes where signing in is optional."""
    return g.get("api_account")


def authenticate(required: str | None) -> Account | None:
    """The token's account; None when optional and absent.

    :raise Unauthorized: required and missing, malformed, unknown or expired.
    :raise Forbidden: admin required and the account is not an admin.
    """
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    account = None
    if scheme.lower() == "bearer" and raw.strip():
        account = accounts.account_for_token(raw.strip())
        if account is None:
            raise Unauthorized("The token is unknown or expired.", code="invalid_token")
    if account is None and required:
        raise Unauthorized("Send `Authorization: Bearer <token>` from POST /api/v1/auth/token.")
    if required == "admin" and not account.is_admin:
        raise Forbidden("Only admins can do that.")
    return account


def _json(answer: dict) -> bytes:
    """An answer as sent, so a shared copy is stored and served without encoding it again."""
    return current_app.json.response(answer).get_data()


def _public(response):
    if response.status_code == 200:
        response.headers["Cache-Control"] = f"public, max-age={pagecache.max_age()}"
    return response


def json_body() -> dict:
    """The request's JSON object ({} for an empty body).

    :raise BadRequest: malformed JSON or not an object.
    """
    if not request.get_data(cache=True).strip():
        return {}
    try:
        data = request.get_json(silent=True, force=True)
    except RecursionError:  # nested deeper than the parser goes
        data = None
    if data is None:
        raise BadRequest("The body is not valid JSON.")
    if not isinstance(data, dict):
        raise BadRequest("The JSON body must be an object.")
    return data


def load(schema: Schema, data) -> dict:
    """Validate `data` with `schema`. :raise ValidationFailed: with the field messages."""
    try:
        return schema.load(data)
    except ValidationError as error:
        raise ValidationFailed(fields=flatten_errors(error.messages)) from None


def endpoint(
    rule: str,
    method: str = "GET",
    *,
    summary: str,
    tag: str,
    auth: str | None = "account",
    body: type[Schema] | None = None,
    query: type[Schema] | None = None,
    response: type[Schema] | Schema | None = None,
    status: int = 200,
    errors: tuple[int, ...] = (),
    multipart: dict | None = None,
    idempotent: bool = False,
    public_cache: bool = False,
    description: str = "",
):
    """Register an API view: `auth` is None, "optional", "account" or "admin"; the view gets
    the validated body as `data` and query arguments as `args`. With `public_cache`, what a
    request without a token gets is shared by all such requests for a short while."""
    from blueprints.api import bp

    # One instance each, made once: marshmallow schemas keep no state between loads, and
    # building one copies every declared field.
    body_schema = body() if body is not None else None
    query_schema = query() if query is not None else None

    def decorate(view):
        def run(kwargs):
            if body_schema is not None:
                kwargs["data"] = load(body_schema, json_body())
            if query_schema is not None:
                kwargs["args"] = load(query_schema, request.args.to_dict())
            if idempotent:
                from marketplace.services import idempotency

                return idempotency.replay_or_run(
                    g.api_account, f"{method} {rule}", lambda: view(**kwargs)
                )
            return view(**kwargs)

        @functools.wraps(view)
        def wrapped(**kwargs):
            g.api_account = authenticate(None if auth == "optional" else auth)
            if public_cache and g.api_account is None:
                # Looked up before the arguments are checked: only valid ones were stored.
                after_this_request(_public)
                # "json": stored as the bytes sent (copies stored as data before differ)
                key = ("json", rule, request.view_args, sorted(request.args.items(multi=True)))
                body = pagecache.for_visitors(key, lambda: _json(run(kwargs)))
                return current_app.response_class(body, mimetype=current_app.json.mimetype)
            return run(kwargs)

        bp.add_url_rule(rule, endpoint=view.__name__, view_func=wrapped, methods=[method])
        OPERATIONS.append(
            Operation(
                name=view.__name__,
                rule=rule,
                method=method,
                summary=summary,
                tag=tag,
                auth=auth,
                body=body,
                query=query,
                response=response,
                status=status,
                errors=errors,
                multipart=multipart,
                idempotent=idempotent,
                public_cache=public_cache,
                description=description or (view.__doc__ or "").strip(),
            )
        )
        return wrapped

    return decorate


def page(items: list, total: int, args: dict) -> dict:
    return {"items": items, "page": args["page"], "per_page": args["per_page"], "total": total}


def listed(items: Sequence, args: dict, schema: Schema) -> dict:
    """One page of a list a service gives whole (lists kept short by what they hold: one
    account's offers, payouts or shop items, the open disputes), shaped like every list."""
    start = (args["page"] - 1) * args["per_page"]
    return page(schema.dump(items[start : start + args["per_page"]], many=True), len(items), args)
