"""Bar charts without a plotting library: Markdown text bars for Dagster metadata (its Markdown
renderer shows no images), inline SVG for the HTML report."""

from __future__ import annotations

from html import escape

BAR = "█"


def _scale(value: float, largest: float, length: float) -> float:
    return length * value / largest if largest > 0 else 0.0


def text_bars(rows: list[tuple[str, float]], label: str, value: str, width: int = 30) -> str:
    """A Markdown table with a bar per row, longest bar = the largest value."""
    largest = max((v for _, v in rows), default=0)
    lines = [f"| {label} | {value} | |", "|---|---:|---|"]
    lines += [
        f"| {name} | {_number(v)} | {BAR * max(round(_scale(v, largest, width)), 1 if v else 0)} |" for name, v in rows
    ]
    return "\n".join(lines)


def svg_bars(
    rows: list[tuple[str, float]], title: str, label_width: int = 190, bar_length: int = 420, row_height: int = 22
) -> str:
    """A horizontal bar chart as an inline SVG element, labels on the left, values after the bars."""
    largest = max((v for _, v in rows), default=0)
    height = row_height * len(rows) + 8
    parts = [
        f'<svg class="bars" role="img" aria-label="{escape(title)}" width="{label_width + bar_length + 90}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (name, v) in enumerate(rows):
        y = 4 + i * row_height
        length = _scale(v, largest, bar_length)
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end">{escape(str(name))}</text>'
            f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" height="{row_height - 6}"><title>{escape(str(name))}: {_number(v)}</title></rect>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + 15}">{_number(v)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _number(v: float) -> str:
    return f"{v:,}" if isinstance(v, int) else f"{v:,.3g}"
