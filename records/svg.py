"""Small inline SVG pictures for the exported record and the quarterly report.

Self-contained (no scripts, no external fonts or styles) so an HTML page can be
saved to the child's file or attached to an email and still show its pictures.
Labels are wrapped onto as many lines as they need, never cut short: a stage
title is how a reader tells two stages apart. Every picture stands beside a table
of the same figures (the page's job), for screen readers and for copying.
"""

from __future__ import annotations

import textwrap
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from records.casefile import StageEntry
from records.derive import VERDICTS

COLOURS = {
    "resolved in time": "#2e7d32",
    "escalated before its deadline": "#b26a00",
    "deadline passed": "#c62828",
    "open": "#1565c0",
    "no deadline": "#757575",
    "met": "#2e7d32",
    "missed": "#c62828",
}
LINE_H = 14
"""Pixels between the lines of a wrapped label (12px type)."""


def wrap(text: str, chars: int) -> list[str]:
    """``text`` in lines of at most ``chars`` characters, every word kept."""
    return textwrap.wrap(" ".join(text.split()), chars, break_on_hyphens=False) or [""]


def label(text: str, x: float, y: float, chars: int) -> tuple[str, int]:
    """``text`` as an SVG ``<text>`` wrapped at ``chars`` (first baseline ``y``), and its lines."""
    lines = wrap(text, chars)
    spans = "".join(
        f'<tspan x="{x:.0f}" dy="{0 if i == 0 else LINE_H}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return f'<text x="{x:.0f}" y="{y:.0f}">{spans}</text>', len(lines)


def _legend(
    names: list[str], x: float, y: float, colour: dict[str, str] | None = None
) -> list[str]:
    """A key of coloured squares, one per name, in a row starting at ``x``."""
    parts: list[str] = []
    for name in names:
        fill = (colour or COLOURS).get(name, "#6a1b9a")
        parts.append(f'<rect x="{x:.1f}" y="{y - 10}" width="10" height="10" fill="{fill}"/>')
        parts.append(f'<text x="{x + 14:.1f}" y="{y}">{escape(name)}</text>')
        x += 28 + 6.5 * len(name)
    return parts


def _x(t: datetime, start: datetime, end: datetime, left: float, width: float) -> float:
    span = max((end - start).total_seconds(), 1.0)
    return left + width * max(0.0, min(1.0, (t - start).total_seconds() / span))


def timeline(stages: list[StageEntry], until: datetime, zone: str) -> str:
    """Each stage as a bar from entered to left (or ``until``), its deadline a dark tick.

    The bar's colour is the stage's verdict (green resolved in time, amber escalated
    before its deadline, red deadline passed, blue open), named again in a legend
    and in each bar's tooltip; the stage titles wrap onto as many lines as they need.
    """
    if not stages:
        return ""
    tz = ZoneInfo(zone)
    start = min(s.entered_at for s in stages)
    ends = [
        until,
        *(s.due_at for s in stages if s.due_at),
        *(s.left_at for s in stages if s.left_at),
    ]
    end = max(ends)
    label_w, width, chars, top = 200.0, 510.0, 30, 10
    total_w = label_w + width + 20
    rows: list[str] = []
    y = top
    verdicts: list[str] = []
    for stage in stages:
        verdict = stage.verdict(until)
        verdicts.append(verdict)
        text, lines = label(stage.title, 4, y + 15, chars)
        row_h = max(30, 12 + LINE_H * lines)
        x0 = _x(stage.entered_at, start, end, label_w, width)
        x1 = _x(stage.left_at or until, start, end, label_w, width)
        rows.append(text)
        rows.append(
            f'<rect x="{x0:.1f}" y="{y + 4}" width="{max(x1 - x0, 2):.1f}" height="16" '
            f'fill="{COLOURS[verdict]}" opacity="0.8"><title>{escape(stage.title)}: {verdict}'
            "</title></rect>"
        )
        if stage.due_at is not None:
            xd = _x(stage.due_at, start, end, label_w, width)
            due = stage.due_at.astimezone(tz)
            rows.append(
                f'<line x1="{xd:.1f}" y1="{y}" x2="{xd:.1f}" y2="{y + 24}" stroke="#111" '
                f'stroke-width="2"><title>deadline {due:%d %b %Y %H:%M %Z}</title></line>'
            )
        y += row_h
    axis_y = y + 14
    for t in (start, end):
        x = _x(t, start, end, label_w, width)
        anchor = "start" if t == start else "end"
        rows.append(
            f'<text x="{x:.1f}" y="{axis_y}" text-anchor="{anchor}" fill="#555">'
            f"{t.astimezone(tz):%d %b %Y %H:%M %Z}</text>"
        )
    legend_y = axis_y + 24
    rows.append(
        f'<line x1="6" y1="{legend_y - 12}" x2="6" y2="{legend_y + 2}" stroke="#111" '
        f'stroke-width="2"/><text x="12" y="{legend_y}">deadline</text>'
    )
    rows += _legend([v for v in VERDICTS if v in verdicts], 76, legend_y)
    height = legend_y + 10
    return "".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{total_w:.0f}" '
            f'height="{height}" viewBox="0 0 {total_w:.0f} {height}" '
            'font-family="Arial, Helvetica, sans-serif" font-size="12">',
            "<title>Stages against their deadlines</title>",
            *rows,
            "</svg>",
        ]
    )


def bar_chart(title: str, bars: list[tuple[str, dict[str, int]]]) -> str:
    """Horizontal stacked bars: one per label, one segment per series (e.g. the verdicts).

    Long labels wrap (the full text is also each segment's tooltip).
    """
    if not bars:
        return f"<p><em>{escape(title)}: none this quarter.</em></p>"
    series = list(dict.fromkeys(k for _, values in bars for k in values))
    palette = ["#1565c0", "#6a1b9a", "#ef6c00", "#00838f"]
    colour = {s: COLOURS.get(s, palette[i % len(palette)]) for i, s in enumerate(series)}
    biggest = max(sum(v.values()) for _, v in bars) or 1
    label_w, width, chars, top = 230.0, 280.0, 34, 28
    total_w = label_w + width + 60
    parts = [f'<text x="4" y="16" font-weight="bold">{escape(title)}</text>']
    y = top
    for name, values in bars:
        text, lines = label(name, 4, y + 14, chars)
        parts.append(text)
        x = label_w
        for s_name in series:
            n = values.get(s_name, 0)
            if not n:
                continue
            w = width * n / biggest
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 2}" width="{w:.1f}" height="16" '
                f'fill="{colour[s_name]}"><title>{escape(name)}: {n} {escape(s_name)}</title>'
                "</rect>"
            )
            x += w
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 14}">{sum(values.values())}</text>')
        y += max(26, 8 + LINE_H * lines)
    legend_y = y + 16
    parts += _legend(series, 4, legend_y, colour)
    height = legend_y + 10
    total_w = max(total_w, 4 + sum(28 + 6.5 * len(s) for s in series))
    return "".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{total_w:.0f}" '
            f'height="{height}" viewBox="0 0 {total_w:.0f} {height}" '
            'font-family="Arial, Helvetica, sans-serif" font-size="12">',
            f"<title>{escape(title)}</title>",
            *parts,
            "</svg>",
        ]
    )
