"""The sales charts' scale and bars."""

import re

import pytest

from marketplace.charts import bar_chart, nice_ceiling
from marketplace.templating import money


@pytest.mark.parametrize(
    ("peak", "top"),
    [(0, 1), (1, 1), (3, 5), (7, 10), (19, 20), (21_588, 25_000), (42_999, 50_000), (100, 100)],
)
def test_the_scale_tops_at_a_round_number_at_or_above_the_peak(peak, top):
    assert nice_ceiling(peak) == top


def test_a_chart_labels_round_amounts_and_draws_bars_to_scale(app):
    with app.app_context():
        svg = str(bar_chart([("01 May", 21_588), ("02 May", 0)], title="Sales", value_label=money))
    labels = re.findall(r'text-anchor="end"[^>]*>([^<]*)<', svg)
    assert labels == ["$0.00", "$125.00", "$250.00"]
    heights = [float(h) for h in re.findall(r'<rect [^>]*height="([0-9.]+)"', svg)]
    assert heights[1] == 0 and heights[0] == pytest.approx(182 * 21_588 / 25_000, abs=0.1)


def test_every_other_date_label_is_marked_for_narrow_screens_to_leave_out():
    svg = str(bar_chart([(f"{day:02d} May", day) for day in range(1, 31)], title="Sales"))
    labels = re.findall(r'<text [^>]*text-anchor="middle"[^>]*>([^<]*)<', svg)
    marked = re.findall(r'<text [^>]*class="x-odd"[^>]*>([^<]*)<', svg)
    assert labels[:3] == ["01 May", "04 May", "07 May"]
    assert marked == labels[1::2]
