"""The quarterly figures as plain text and as a self-contained HTML page with bar charts."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from html import escape

from records.report import Figures
from records.svg import bar_chart


def _period(f: Figures) -> str:
    last = f.quarter.next_first_day - timedelta(days=1)
    scope = f"procedure {f.procedure}" if f.procedure else "all procedures"
    return f"{f.quarter.first_day:%-d %B %Y} to {last:%-d %B %Y}, {scope}"


def _median(f: Figures) -> str:
    median = f.median_working_days
    if median is None:
        return "none resolved"
    shown = f"{median:g}"
    return f"{shown} ({len(f.working_days_to_resolution)} resolved)"


def _met_missed(f: Figures, table: dict[str, Counter[str]]) -> list[tuple[str, int, int]]:
    return [(t, table[t]["met"], table[t]["missed"]) for t in f.ordered(list(table))]


def render_text(f: Figures) -> str:
    """The figures as aligned plain text (what the Business Manager pastes into a report)."""
    out = [f"Quarterly figures {f.quarter.label}: {_period(f)}", "", "Disagreements"]
    out += [f"  opened: {f.opened}", f"  closed: {f.closed}", "  resolved, by stage:"]
    resolved = f.ordered(list(f.resolved_at))
    out += [f"    {t}: {f.resolved_at[t]}" for t in resolved] or ["    none"]
    out.append("  deadlines met / missed, by stage:")
    rows = _met_missed(f, f.deadlines)
    out += [f"    {t}: met {met}, missed {missed}" for t, met, missed in rows] or ["    none"]
    out.append(f"  median working days from raising to resolution: {_median(f)}")
    out += ["", "Practice alerts", f"  opened: {f.alerts_opened}"]
    out.append(f"  closed (finalised): {f.alerts_closed}")
    out.append("  themes (reason codes):")
    themes = sorted(f.alert_themes.items(), key=lambda kv: (-kv[1], kv[0]))
    out += [f"    {theme}: {n}" for theme, n in themes] or ["    none"]
    out.append("  timescales met / missed, by stage:")
    rows = _met_missed(f, f.alert_deadlines)
    out += [f"    {t}: met {met}, missed {missed}" for t, met, missed in rows] or ["    none"]
    return "\n".join(out) + "\n"


STYLE = """
body { font-family: Arial, Helvetica, sans-serif; font-size: 14px; color: #1b1b1b;
       max-width: 900px; margin: 1.5em auto; padding: 0 1em; }
h1 { font-size: 22px; } h2 { font-size: 18px; border-bottom: 2px solid #ddd; margin-top: 1.6em; }
table { border-collapse: collapse; margin: 0.4em 0 1em; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; }
td.n { text-align: right; } th { background: #f2f2f2; }
"""


def _table(head: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return "<p>None this quarter.</p>"
    out = ["<table><tr>", *(f"<th>{escape(h)}</th>" for h in head), "</tr>"]
    for row in rows:
        cells = [f"<td>{escape(row[0])}</td>"] + [
            f'<td class="n">{escape(c)}</td>' for c in row[1:]
        ]
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "".join(out)


def render_html(f: Figures) -> str:
    """The figures as one HTML page with inline SVG bar charts (no scripts, no downloads)."""
    title = f"Quarterly figures {f.quarter.label}"
    resolved = [(t, {"resolved": f.resolved_at[t]}) for t in f.ordered(list(f.resolved_at))]
    deadlines = [(t, {"met": m, "missed": x}) for t, m, x in _met_missed(f, f.deadlines)]
    themes = sorted(f.alert_themes.items(), key=lambda kv: (-kv[1], kv[0]))
    alert_deadlines = [
        (t, {"met": m, "missed": x}) for t, m, x in _met_missed(f, f.alert_deadlines)
    ]
    out = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1><p>{escape(_period(f))}</p>",
        "<h2>Disagreements</h2>",
        _table(
            ["Figure", "Number"],
            [
                ["Opened", str(f.opened)],
                ["Closed", str(f.closed)],
                ["Median working days from raising to resolution", _median(f)],
            ],
        ),
        bar_chart("Resolved, by stage", resolved),
        bar_chart("Deadlines met and missed, by stage", deadlines),
        _table(
            ["Stage", "Met", "Missed"],
            [[t, str(m), str(x)] for t, m, x in _met_missed(f, f.deadlines)],
        ),
        "<h2>Practice alerts</h2>",
        _table(
            ["Figure", "Number"],
            [["Opened", str(f.alerts_opened)], ["Closed (finalised)", str(f.alerts_closed)]],
        ),
        bar_chart("Themes (reason codes)", [(t, {"alerts": n}) for t, n in themes]),
        bar_chart("Timescales met and missed, by stage", alert_deadlines),
        "</body></html>",
    ]
    return "\n".join(out) + "\n"
