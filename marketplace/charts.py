"""Small server-drawn SVG charts (no JavaScript needed to see them)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup, escape


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 2.5 (from 25 up) or 5 times a power of ten that is at least
    `value`: a scale's top that reads as a round number."""
    step = 1
    while True:
        for top in (step, 2 * step, step * 5 // 2 if step >= 10 else 5, 5 * step):
            if top >= value:
                return top
        step *= 10


def bar_chart(
    points: Sequence[tuple[str, int]],
    *,
    title: str,
    value_label: Callable[[int], str] = str,
    width: int = 760,
    height: int = 240,
) -> Markup:
    """Bars for (label, value) points on a scale from zero to a round top (labelled with its
    half), and evenly spaced x labels."""
    left, right, top, bottom = 70, 12, 24, 34
    inner_w, inner_h = width - left - right, height - top - bottom
    peak = nice_ceiling(max((value for _, value in points), default=0))
    slot = inner_w / max(1, len(points))
    bar_w = max(2.0, slot * 0.7)
    every = max(1, len(points) // 8)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}"'
        ' xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<text x="{left}" y="16" font-size="12" fill="#5f6671">{escape(title)}</text>',
    ]
    for fraction in (0, 0.5, 1):
        y = top + inner_h * (1 - fraction)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e6ea"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="#5f6671">'
            f"{escape(value_label(int(peak * fraction)))}</text>"
        )
    for index, (label, value) in enumerate(points):
        x = left + index * slot + (slot - bar_w) / 2
        bar_h = inner_h * value / peak
        tip = f"{escape(label)}: {escape(value_label(value))}"
        y = top + inner_h - bar_h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{bar_h:.1f}"'
            f' rx="2" fill="#e4572e"><title>{tip}</title></rect>'
        )
        if index % every == 0:
            # every other date label is marked, for narrow screens to leave out (app.css)
            odd = ' class="x-odd"' if index // every % 2 else ""
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{height - 12}" font-size="11"'
                f' text-anchor="middle" fill="#5f6671"{odd}>{escape(label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))
