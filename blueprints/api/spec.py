"""The OpenAPI 3 document, built by apispec from the marshmallow schemas of each route."""

from __future__ import annotations

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app, jsonify

from blueprints.api.core import OPERATIONS, endpoint
from marketplace.schemas.common import ErrorResponse

ERROR_TEXT = {
    400: "Malformed request",
    401: "Missing, unknown or expired token",
    402: "Payment declined",
    403: "Not allowed",
    404: "Absent, or not yours",
    409: "Conflicts with the current state",
    422: "Validation failed",
    429: "Rate limited",
}
CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


def _openapi_path(rule: str) -> tuple[str, list[dict]]:
    parameters = []
    for converter, name in CONVERTER.findall(rule):
        schema = {"type": "integer", "minimum": 1} if converter == "int" else {"type": "string"}
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return "/api/v1" + CONVERTER.sub(r"{\2}", rule), parameters


def build_spec() -> dict:
    """The whole API as an OpenAPI 3.0 document."""
    spec = APISpec(
        title="Solemate API",
        version="1.0.0",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={
            "description": "The JSON API of Solemate (API.md). Money in integer cents; "
            "errors as {error: {code, message, fields}}."
        },
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", schema=ErrorResponse)
    paths: dict[str, dict] = {}
    for op in sorted(OPERATIONS, key=lambda o: (o.rule, o.method)):
        path, parameters = _openapi_path(op.rule)
        operation: dict = {
            "summary": op.summary,
            "tags": [op.tag],
            "operationId": op.name,
            "responses": {},
        }
        if op.description:
            operation["description"] = op.description
        if parameters:
            operation["parameters"] = list(parameters)
        if op.query is not None:
            operation.setdefault("parameters", []).append({"in": "query", "schema": op.query})
        if op.idempotent:
            operation.setdefault("parameters", []).append(
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string", "maxLength": 200},
                    "description": "Same key and body returns the first response; "
                    "same key, other body is 409.",
                }
            )
        if op.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": op.body}},
            }
        elif op.multipart is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"multipart/form-data": {"schema": op.multipart}},
            }
        ok: dict = {"description": "OK" if op.status < 300 else "Created or accepted"}
        if op.response is not None:
            ok["content"] = {"application/json": {"schema": op.response}}
        operation["responses"][str(op.status)] = ok
        for status in op.errors:
            operation["responses"][str(status)] = {
                "description": ERROR_TEXT.get(status, "Error"),
                "content": {"application/json": {"schema": "Error"}},
            }
        if op.auth in ("account", "admin"):
            operation["security"] = [{"bearer": []}]
        elif op.auth == "optional":
            operation["security"] = [{"bearer": []}, {}]
        paths.setdefault(path, {})[op.method.lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


@endpoint("/openapi.json", summary="This document", tag="meta", auth=None)
def openapi():
    cached = current_app.extensions.get("solemate_openapi")
    if cached is None:
        cached = current_app.extensions["solemate_openapi"] = build_spec()
    return jsonify(cached)
