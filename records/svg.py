"""Small inline SVG pictures for the exported record and the quarterly report.

Self-contained (no scripts, no external fonts or styles) so an HTML page can be
saved to the child's file or attached to an email and still show its pictures.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from records.casefile import StageEntry

COLOURS = {"met": "#2e7d32", "missed": "#c62828", "open": "#1565c0"}


def _x(t: datetime, start: datetime, end: datetime, left: float, width: float) -> float:
    span = max((end - start).total_seconds(), 1.0)
    return left + width * max(0.0, min(1.0, (t - start).total_seconds() / span))


def timeline(stages: list[StageEntry], until: datetime, zone: str) -> str:
    """Each stage as a bar from entered to left (or ``until``), its deadline a dark tick.

    A green bar was left by a decision in time, a red one missed its deadline,
    a blue one is still open.
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
    label_w, width, row_h, top = 190.0, 520.0, 30, 24
    height = top + row_h * len(stages) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{label_w + width + 20:.0f}" '
        f'height="{height}" viewBox="0 0 {label_w + width + 20:.0f} {height}" '
        'font-family="Arial, Helvetica, sans-serif" font-size="12">',
        "<title>Stages against their deadlines</title>",
    ]
    for i, stage in enumerate(stages):
        y = top + i * row_h
        x0 = _x(stage.entered_at, start, end, label_w, width)
        x1 = _x(stage.left_at or until, start, end, label_w, width)
        colour = COLOURS[stage.verdict]
        label = escape(stage.title if len(stage.title) <= 28 else stage.title[:27] + "…")
        parts.append(f'<text x="4" y="{y + 15}">{label}</text>')
        parts.append(
            f'<rect x="{x0:.1f}" y="{y + 4}" width="{max(x1 - x0, 2):.1f}" height="16" '
            f'fill="{colour}" opacity="0.8"><title>{escape(stage.title)}: {stage.verdict}</title>'
            "</rect>"
        )
        if stage.due_at is not None:
            xd = _x(stage.due_at, start, end, label_w, width)
            due = stage.due_at.astimezone(tz)
            parts.append(
                f'<line x1="{xd:.1f}" y1="{y}" x2="{xd:.1f}" y2="{y + 24}" stroke="#111" '
                f'stroke-width="2"><title>deadline {due:%d %b %Y %H:%M %Z}</title></line>'
            )
    axis_y = top + row_h * len(stages) + 14
    for t in (start, end):
        x = _x(t, start, end, label_w, width)
        anchor = "start" if t == start else "end"
        parts.append(
            f'<text x="{x:.1f}" y="{axis_y}" text-anchor="{anchor}" fill="#555">'
            f"{t.astimezone(tz):%d %b %Y %H:%M %Z}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(title: str, bars: list[tuple[str, dict[str, int]]]) -> str:
    """Horizontal stacked bars: one per label, one segment per series (e.g. met / missed)."""
    if not bars:
        return f"<p><em>{escape(title)}: none this quarter.</em></p>"
    series = list(dict.fromkeys(k for _, values in bars for k in values))
    palette = ["#2e7d32", "#c62828", "#1565c0", "#6a1b9a", "#ef6c00", "#00838f"]
    colour = {s: COLOURS.get(s, palette[(i + 2) % len(palette)]) for i, s in enumerate(series)}
    biggest = max(sum(v.values()) for _, v in bars) or 1
    label_w, width, row_h, top = 220.0, 360.0, 26, 28
    height = top + row_h * len(bars) + 26
    total_w = label_w + width + 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{total_w:.0f}" '
        f'height="{height}" viewBox="0 0 {total_w:.0f} {height}" '
        'font-family="Arial, Helvetica, sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<text x="4" y="16" font-weight="bold">{escape(title)}</text>',
    ]
    for i, (label, values) in enumerate(bars):
        y = top + i * row_h
        parts.append(f'<text x="4" y="{y + 14}">{escape(label[:34])}</text>')
        x = label_w
        for name in series:
            n = values.get(name, 0)
            if not n:
                continue
            w = width * n / biggest
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 2}" width="{w:.1f}" height="16" fill="{colour[name]}">'
                f"<title>{escape(label)}: {n} {escape(name)}</title></rect>"
            )
            x += w
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 14}">{sum(values.values())}</text>')
    legend_y = top + row_h * len(bars) + 16
    x = label_w
    for name in series:
        parts.append(
            f'<rect x="{x:.1f}" y="{legend_y - 10}" width="10" height="10" fill="{colour[name]}"/>'
        )
        parts.append(f'<text x="{x + 14:.1f}" y="{legend_y}">{escape(name)}</text>')
        x += 24 + 7 * len(name)
    parts.append("</svg>")
    return "".join(parts)
