"""Shoe sizes: stored as EU, shown in EU, US, UK or CN (foot length in mm) per gender.

The rows follow Nike's published size charts (nike.com/size-fit: men's, women's and kids'
footwear); CN is the chart's foot length in millimetres, the way Chinese sizes are labelled.
Unisex shoes are sized on the men's chart.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

SYSTEMS = ("eu", "us", "uk", "cn")
SYSTEM_NAMES = {"eu": "EU", "us": "US", "uk": "UK", "cn": "CN (mm)"}


@dataclass(frozen=True)
class SizeRow:
    eu: str
    us: str
    uk: str
    cn_mm: int


def _rows(*rows: tuple[str, str, str, int]) -> dict[str, SizeRow]:
    return {eu: SizeRow(eu, us, uk, mm) for eu, us, uk, mm in rows}


MEN = _rows(
    ("38.5", "6", "5.5", 240),
    ("39", "6.5", "6", 245),
    ("40", "7", "6", 250),
    ("40.5", "7.5", "6.5", 255),
    ("41", "8", "7", 260),
    ("42", "8.5", "7.5", 265),
    ("42.5", "9", "8", 270),
    ("43", "9.5", "8.5", 275),
    ("44", "10", "9", 280),
    ("44.5", "10.5", "9.5", 285),
    ("45", "11", "10", 290),
    ("45.5", "11.5", "10.5", 295),
    ("46", "12", "11", 300),
    ("47", "12.5", "11.5", 305),
    ("47.5", "13", "12", 310),
    ("48", "13.5", "12.5", 315),
    ("48.5", "14", "13", 320),
    ("49.5", "15", "14", 330),
)

WOMEN = _rows(
    ("35.5", "5", "2.5", 220),
    ("36", "5.5", "3", 225),
    ("36.5", "6", "3.5", 230),
    ("37.5", "6.5", "4", 235),
    ("38", "7", "4.5", 240),
    ("38.5", "7.5", "5", 245),
    ("39", "8", "5.5", 250),
    ("40", "8.5", "6", 255),
    ("40.5", "9", "6.5", 260),
    ("41", "9.5", "7", 265),
    ("42", "10", "7.5", 270),
    ("42.5", "10.5", "8", 275),
    ("43", "11", "8.5", 280),
    ("44", "11.5", "9", 285),
    ("44.5", "12", "9.5", 290),
)

KIDS = _rows(
    ("25", "8C", "7.5", 151),
    ("25.5", "8.5C", "8", 154),
    ("26", "9C", "8.5", 159),
    ("26.5", "9.5C", "9", 164),
    ("27", "10C", "9.5", 167),
    ("27.5", "10.5C", "10", 171),
    ("28", "11C", "10.5", 176),
    ("28.5", "11.5C", "11", 179),
    ("29.5", "12C", "11.5", 184),
    ("30", "12.5C", "12", 189),
    ("31", "13C", "12.5", 192),
    ("31.5", "13.5C", "13", 197),
    ("32", "1Y", "13.5", 202),
    ("33", "1.5Y", "1", 205),
    ("33.5", "2Y", "1.5", 210),
    ("34", "2.5Y", "2", 214),
    ("35", "3Y", "2.5", 217),
    ("35.5", "3.5Y", "3", 222),
    ("36", "4Y", "3.5", 224),
    ("36.5", "4.5Y", "4", 227),
    ("37.5", "5Y", "4.5", 232),
    ("38", "5.5Y", "5", 235),
    ("38.5", "6Y", "5.5", 238),
    ("39", "6.5Y", "6", 243),
    ("40", "7Y", "6", 246),
)

CHARTS = {"men": MEN, "women": WOMEN, "kids": KIDS, "unisex": MEN}
GENDERS = ("men", "women", "unisex", "kids")


def normalize_eu(text: str | int | float | Decimal) -> str:
    """Canonical EU size text: '42', '42.5'. Raises ValueError for anything not a shoe size."""
    try:
        value = Decimal(str(text).strip().replace(",", "."))
    except InvalidOperation as exc:
        raise ValueError("EU size must be a number like 42 or 42.5.") from exc
    if not value.is_finite() or value * 2 != (value * 2).to_integral_value():
        raise ValueError("EU size must be a whole or half size, like 42 or 42.5.")
    if not Decimal(15) <= value <= Decimal(52):
        raise ValueError("EU size must be between 15 and 52.")
    return format(value.normalize(), "f")


@lru_cache(maxsize=512)  # a few dozen sizes exist; every catalog card sorts its own
def sort_key(size_eu: str) -> int:
    """An integer that orders EU sizes (tenths of a size)."""
    return int(Decimal(size_eu) * 10)


def row(size_eu: str, gender: str) -> SizeRow | None:
    """The chart row of an EU size for a gender, or None when the chart has no such size."""
    return CHARTS.get(gender, MEN).get(size_eu)


def label(size_eu: str, gender: str, system: str = "eu") -> str:
    """How a size reads in a size system, e.g. ('42.5', 'men', 'us') -> 'US 9'.

    A size missing from the chart is shown in EU rather than guessed.
    """
    found = row(size_eu, gender)
    if system == "eu" or found is None:
        return f"EU {size_eu}"
    if system == "us":
        return f"US {found.us}"
    if system == "uk":
        return f"UK {found.uk}"
    if system == "cn":
        return f"CN {found.cn_mm}"
    raise ValueError(f"unknown size system {system!r}")


def chart_sizes(gender: str) -> list[str]:
    """EU sizes of a gender's chart, smallest first."""
    return sorted(CHARTS.get(gender, MEN), key=sort_key)
