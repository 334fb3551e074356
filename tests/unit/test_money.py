"""Integer cents, half-up percentages, parsing and display."""

from decimal import Decimal

import pytest

from marketplace.money import format_money, parse_money, percent_of


@pytest.mark.parametrize(
    ("cents", "percent", "expected"),
    [
        (12999, Decimal("5"), 650),  # 649.95 rounds up
        (12990, Decimal("5"), 650),  # 649.5 rounds half up
        (12989, Decimal("5"), 649),  # 649.45 rounds down
        (100, Decimal("3"), 3),
        (1, Decimal("8"), 0),
        (0, Decimal("5"), 0),
        (3333, Decimal("12.5"), 417),  # 416.625
    ],
)
def test_percentages_round_half_up_to_the_cent(cents, percent, expected):
    assert percent_of(cents, percent) == expected


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("129.99", 12999),
        ("5", 500),
        ("0.1", 10),
        ("1,250.00", 125000),
        ("$189.50", 18950),
        (" $ 1,000 ", 100000),
    ],
)
def test_amounts_typed_by_people_become_cents(text, cents):
    assert parse_money(text) == cents


@pytest.mark.parametrize(
    "text", ["-1", "1.999", "abc", "", "NaN", "Infinity", "$", "$-5", "5$", "€5"]
)
def test_bad_amounts_are_refused(text):
    with pytest.raises(ValueError):
        parse_money(text)


def test_money_is_shown_in_the_deployments_currency():
    assert format_money(12999) == "$129.99"
    assert format_money(12999, "EUR", "de_DE") == "129,99\xa0€"
