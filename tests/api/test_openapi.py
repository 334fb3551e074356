"""The OpenAPI document: valid, complete, and no generated request gets a 500."""

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate

from blueprints.api.core import OPERATIONS
from tests.helpers import make_admin, make_company_member, make_listing, make_person, token_for


def flask_rule_to_path(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)


def test_the_document_is_valid_openapi_and_covers_every_api_route(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    validate(spec)
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    registered = {
        (flask_rule_to_path(rule.rule), method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert documented == registered


@pytest.fixture
def world(app, client):
    """Accounts of every kind with tokens, and a listing to aim at."""
    seller = make_company_member(app, sells=True, buys_wholesale=True)
    listing = make_listing(app, seller.company_id, sizes={"42": 3, "43": 1})
    return {
        "admin": token_for(client, make_admin(app).email),
        "seller": token_for(client, seller.email),
        "person": token_for(client, make_person(app).email),
        "listing_id": listing.id,
    }


def token_for_operation(operation, world) -> dict:
    if operation.auth == "admin":
        return world["admin"]
    if operation.tag in ("listings", "b2b"):
        return world["seller"]
    return world["person"]


@pytest.mark.parametrize(
    "operation", OPERATIONS, ids=[f"{op.method} {op.rule}" for op in OPERATIONS]
)
def test_generated_requests_never_get_a_server_error(app, client, world, operation):
    spec = client.get("/api/v1/openapi.json").get_json()
    schema = schemathesis.openapi.from_dict(spec)
    target = next(
        result.ok()
        for result in schema.get_all_operations()
        if result.ok().path == "/api/v1" + flask_rule_to_path(operation.rule)
        and result.ok().method.upper() == operation.method
    )
    headers = token_for_operation(operation, world)

    @given(case=target.as_strategy(headers=headers))
    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        response = case.call(app=app)
        assert response.status_code < 500, (
            case.method,
            case.formatted_path,
            case.body,
            response.text[:500],
        )

    check()
