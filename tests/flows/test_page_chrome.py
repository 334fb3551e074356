"""What every page carries besides its content: the confirm script, and the question a
destructive button asks before it posts (data-confirm, read by static/js/confirm.js)."""

import re

from flask import render_template_string

from tests.flows.test_shopping import buy
from tests.helpers import make_company_member, make_listing, make_person

CONFIRM_SCRIPT = '<script src="/static/js/confirm.js" defer></script>'


def form_tags(page: str) -> list[str]:
    return re.findall(r"<form\b[^>]*>", page)


def post_button(app, **arguments) -> str:
    """The post_button macro rendered on its own, with the given arguments."""
    with app.test_request_context("/"):
        return render_template_string(
            '{% from "_macros.html" import post_button %}'
            "{{ post_button(action, text, confirm=confirm) }}",
            **{"confirm": None, **arguments},
        )


def test_every_page_loads_the_confirm_script(client):
    for path in ("/", "/catalog", "/account/login"):
        assert CONFIRM_SCRIPT in client.get(path).text, path
    script = client.get("/static/js/confirm.js")
    assert script.status_code == 200
    assert "window.confirm" in script.text and "preventDefault" in script.text


def test_the_buyers_cancel_button_asks_before_it_posts(app, client):
    seller = make_company_member(app, "North Co")
    boots = make_listing(app, seller.company_id, {"42": 3}, 12999, title="Trail Boot")
    buyer = make_person(app, name="Bea Buyer")
    order_id = buy(client, buyer.email, boots.variants["42"])

    page = client.get(f"/orders/{order_id}").text
    cancel = [tag for tag in form_tags(page) if f'action="/orders/{order_id}/cancel"' in tag]
    assert cancel == [
        f'<form method="post" action="/orders/{order_id}/cancel" class="inline"'
        ' data-confirm="Cancel this order? Any payment is refunded.">'
    ]
    # Signing out is not destructive: it posts at once.
    sign_out = [tag for tag in form_tags(page) if 'action="/account/logout"' in tag]
    assert len(sign_out) == 1 and "data-confirm" not in sign_out[0]


def test_a_post_button_without_a_question_posts_at_once(app):
    html = post_button(app, action="/orders/1/confirm", text="I received it")
    assert form_tags(html) == ['<form method="post" action="/orders/1/confirm" class="inline">']
    assert "data-confirm" not in html


def test_the_question_is_escaped_into_its_attribute(app):
    html = post_button(app, action="/x", text="Pay", confirm='Pay "Nina" <$5> & more?')
    assert 'data-confirm="Pay &#34;Nina&#34; &lt;$5&gt; &amp; more?"' in html


def test_a_page_number_beyond_any_database_offset_shows_an_empty_page(app):
    """?page= is clamped like the API's page argument: never a 500 from an OFFSET overflow."""
    from tests.helpers import browser, make_admin
    from tests.wholesale_helpers import make_buyer

    huge = "?page=99999999999999999999"
    pages = {
        make_admin(app).email: ["/admin/accounts"],
        make_company_member(app).email: ["/seller/orders", "/seller/sales"],
        make_buyer(app).email: ["/wholesale/orders"],
        make_person(app).email: ["/orders", "/sell/orders"],
    }
    for email, paths in pages.items():
        client = browser(app, email)
        for path in paths:
            assert client.get(path + huge).status_code == 200, path
