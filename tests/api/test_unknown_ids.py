"""Every API route with an id in its path answers an id too large for any row (one that no
database integer holds) exactly as it answers an unknown id that fits: 404 where the id is
looked up, never 405 or 500."""

from __future__ import annotations

import re

from tests.helpers import make_admin, make_person, token_for

UNKNOWN = 2**31 - 1
TOO_LARGE = 10**30
ID_PART = re.compile(r"<int:[a-z_]+>")


def _api_routes_with_ids(app) -> list[tuple[str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and ID_PART.search(rule.rule):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                routes.append((method, rule.rule))
    return routes


def test_an_id_too_large_for_any_row_is_an_unknown_id(app, client):
    routes = _api_routes_with_ids(app)
    assert len(routes) > 30  # orders, listings, offers, quotes, shop items, jobs, ...
    people = {
        "admin": token_for(client, make_admin(app).email),
        "person": token_for(client, make_person(app).email),
    }
    for method, rule in routes:
        for who, headers in people.items():
            answers = {}
            for number in (UNKNOWN, TOO_LARGE):
                url = ID_PART.sub(str(number), rule)
                response = client.open(url, method=method, json={}, headers=headers)
                answers[number] = (response.status_code, response.get_json()["error"]["code"])
            assert answers[TOO_LARGE] == answers[UNKNOWN], (method, rule, who, answers)
            assert answers[TOO_LARGE][0] not in (405, 500), (method, rule, who, answers)


def test_deleting_a_cart_line_that_cannot_exist_is_404(app, client):
    headers = token_for(client, make_person(app).email)
    response = client.delete(f"/api/v1/cart/items/{TOO_LARGE}", headers=headers)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
