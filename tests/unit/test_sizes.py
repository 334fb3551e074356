"""The size table against Nike's published size charts (nike.com/size-fit)."""

from fractions import Fraction

import pytest

from marketplace import sizes

# Rows as printed in Nike's men's and women's charts: US, UK, EU, foot length in cm.
NIKE_MEN = """
6 5.5 38.5 24 | 6.5 6 39 24.5 | 7 6 40 25 | 7.5 6.5 40.5 25.5 | 8 7 41 26 | 8.5 7.5 42 26.5
9 8 42.5 27 | 9.5 8.5 43 27.5 | 10 9 44 28 | 10.5 9.5 44.5 28.5 | 11 10 45 29
11.5 10.5 45.5 29.5 | 12 11 46 30
"""
NIKE_WOMEN = """
5 2.5 35.5 22 | 5.5 3 36 22.5 | 6 3.5 36.5 23 | 6.5 4 37.5 23.5 | 7 4.5 38 24 | 7.5 5 38.5 24.5
8 5.5 39 25 | 8.5 6 40 25.5 | 9 6.5 40.5 26 | 9.5 7 41 26.5 | 10 7.5 42 27 | 10.5 8 42.5 27.5
11 8.5 43 28
"""
# Nike's kids' chart (younger and older kids): US, UK, EU, foot length in inches.
NIKE_KIDS = """
10C 9.5 27 6-9/16 | 11C 10.5 28 6-15/16 | 12C 11.5 29.5 7-4/16 | 13C 12.5 31 7-9/16
1Y 13.5 32 7-15/16 | 2Y 1.5 33.5 8-4/16 | 3Y 2.5 35 8-9/16 | 3.5Y 3 35.5 8-12/16
4Y 3.5 36 8-13/16 | 5Y 4.5 37.5 9-2/16 | 6Y 5.5 38.5 9-6/16 | 7Y 6 40 9-11/16
"""


def rows(chart: str) -> list[list[str]]:
    return [row.split() for row in chart.replace("\n", " | ").split("|") if row.strip()]


def inches_to_mm(text: str) -> int:
    whole, _, fraction = text.partition("-")
    inches = Fraction(int(whole)) + (Fraction(fraction) if fraction else 0)
    return round(inches * Fraction(254, 10))


@pytest.mark.parametrize(("us", "uk", "eu", "cm"), rows(NIKE_MEN))
def test_men_sizes_match_nikes_chart(us, uk, eu, cm):
    assert sizes.label(eu, "men", "us") == f"US {us}"
    assert sizes.label(eu, "men", "uk") == f"UK {uk}"
    assert sizes.label(eu, "men", "cn") == f"CN {round(float(cm) * 10)}"


@pytest.mark.parametrize(("us", "uk", "eu", "cm"), rows(NIKE_WOMEN))
def test_women_sizes_match_nikes_chart(us, uk, eu, cm):
    assert sizes.label(eu, "women", "us") == f"US {us}"
    assert sizes.label(eu, "women", "uk") == f"UK {uk}"
    assert sizes.label(eu, "women", "cn") == f"CN {round(float(cm) * 10)}"


@pytest.mark.parametrize(("us", "uk", "eu", "inches"), rows(NIKE_KIDS))
def test_kids_sizes_match_nikes_chart(us, uk, eu, inches):
    assert sizes.label(eu, "kids", "us") == f"US {us}"
    assert sizes.label(eu, "kids", "uk") == f"UK {uk}"
    assert sizes.label(eu, "kids", "cn") == f"CN {inches_to_mm(inches)}"


def test_the_same_eu_size_reads_differently_for_men_and_women():
    assert sizes.label("39", "men", "us") == "US 6.5"
    assert sizes.label("39", "women", "us") == "US 8"


def test_unisex_shoes_use_the_mens_chart():
    assert sizes.label("42.5", "unisex", "us") == sizes.label("42.5", "men", "us") == "US 9"


def test_a_size_missing_from_the_chart_is_shown_in_eu_not_guessed():
    assert sizes.label("41.5", "men", "us") == "EU 41.5"
    assert sizes.label("42", "men", "eu") == "EU 42"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("42", "42"), ("42.0", "42"), ("42,5", "42.5"), (43, "43"), (40.5, "40.5")],
)
def test_eu_sizes_are_stored_in_one_form(typed, stored):
    assert sizes.normalize_eu(typed) == stored


@pytest.mark.parametrize("typed", ["42.3", "abc", "", "99", "-1", "NaN", "inf"])
def test_nonsense_sizes_are_refused(typed):
    with pytest.raises(ValueError):
        sizes.normalize_eu(typed)


def test_sizes_sort_by_number_not_text():
    assert sorted(["9", "10", "42.5", "42"], key=sizes.sort_key) == ["9", "10", "42", "42.5"]
