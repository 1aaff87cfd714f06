"""Bar charts without a plotting library: Markdown text bars for Dagster metadata (its Markdown
renderer shows no images), inline SVG for the HTML report."""

from __future__ import annotations

from html import escape

BAR = "█"
LINE_COLOURS = ("#4f6bed", "#d9822b", "#1b7a3d")


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


def svg_lines(
    labels: list[str], series: dict[str, list[float]], title: str, x_title: str, width: int = 560, height: int = 240
) -> str:
    """Lines over shared x labels as an inline SVG element, one colour per series, with a legend:
    e.g. mean predicted and mean actual purchases by purchases before the cutoff."""
    left, right, top, bottom = 48, 150, 10, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    largest = max((v for values in series.values() for v in values), default=0) or 1.0
    step = plot_w / max(len(labels) - 1, 1)

    def point(i: int, v: float) -> str:
        return f"{left + i * step:.1f},{top + plot_h - _scale(v, largest, plot_h):.1f}"

    parts = [
        f'<svg class="lines" role="img" aria-label="{escape(title)}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#889"/>',
        f'<text x="{left - 6}" y="{top + 10}" text-anchor="end">{_number(largest)}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end">0</text>',
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 4}" text-anchor="middle">{escape(x_title)}</text>',
    ]
    parts += [
        f'<text x="{left + i * step:.1f}" y="{top + plot_h + 16}" text-anchor="middle">{escape(str(name))}</text>'
        for i, name in enumerate(labels)
    ]
    for n, (name, values) in enumerate(series.items()):
        colour = LINE_COLOURS[n % len(LINE_COLOURS)]
        points = " ".join(point(i, v) for i, v in enumerate(values))
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        parts += [
            f'<circle cx="{point(i, v).split(",")[0]}" cy="{point(i, v).split(",")[1]}" r="3" fill="{colour}">'
            f"<title>{escape(name)} at {escape(str(labels[i]))}: {_number(v)}</title></circle>"
            for i, v in enumerate(values)
        ]
        y = top + 14 + n * 18
        parts.append(
            f'<rect x="{left + plot_w + 14}" y="{y - 9}" width="12" height="4" fill="{colour}"/>'
            f'<text x="{left + plot_w + 32}" y="{y - 3}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _number(v: float) -> str:
    return f"{v:,}" if isinstance(v, int) else f"{v:,.3g}"
