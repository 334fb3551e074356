"""Error handling: JSON in the shape of API.md under /api/, friendly pages everywhere else."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from marketplace.exceptions import DomainError

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_json(status: int, code: str, message: str, fields: dict | None = None, **details):
    body = {"error": {"code": code, "message": message, "fields": fields or {}, **details}}
    return jsonify(body), status


def _page(status: int, title: str, message: str):
    return render_template("errors/error.html", status=status, title=title, message=message), status


def register(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        if wants_json():
            return error_json(
                error.status, error.code, error.message, error.fields, **error.details
            )
        return _page(error.status, "That did not work", error.message)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        message = "The form expired or was sent from elsewhere. Reload the page and try again."
        if wants_json():
            return error_json(400, "csrf_failed", message)
        return _page(400, "Form expired", message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        if wants_json():
            message = error.description or error.name
            if status == 404:
                message = "Not found."
            response = error_json(status, HTTP_CODES.get(status, "http_error"), message)
            if status == 405 and error.get_response().headers.get("Allow"):
                response[0].headers["Allow"] = error.get_response().headers["Allow"]
            return response
        titles = {404: "Page not found", 403: "Not allowed", 429: "Slow down"}
        return _page(status, titles.get(status, error.name), error.description or "")

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return http_error(error)
        log.exception("unhandled error on %s %s", request.method, request.path)
        if wants_json():
            return error_json(500, "internal_error", "Something went wrong on our side.")
        return _page(500, "Something went wrong", "We are sorry: the error was logged.")
