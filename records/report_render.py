"""The quarterly figures as plain text and as a self-contained HTML page with bar charts.

The page is a template of ``templates/`` (escaped by the engine); the text stays plain Python:
it is what the Business Manager pastes into a report, never read as HTML.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from markupsafe import Markup

from records.report import Figures
from records.svg import bar_chart
from templates import render


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
    themes = sorted(f.alert_themes.items(), key=lambda kv: (-kv[1], kv[0]))
    return render(
        "report.txt",
        label=f.quarter.label,
        period=_period(f),
        opened=f.opened,
        closed=f.closed,
        resolved=[f"{t}: {f.resolved_at[t]}" for t in f.ordered(list(f.resolved_at))],
        deadlines=[f"{t}: met {m}, missed {x}" for t, m, x in _met_missed(f, f.deadlines)],
        median=_median(f),
        alerts_opened=f.alerts_opened,
        alerts_closed=f.alerts_closed,
        themes=[f"{theme}: {n}" for theme, n in themes],
        alert_deadlines=[
            f"{t}: met {m}, missed {x}" for t, m, x in _met_missed(f, f.alert_deadlines)
        ],
    )


def render_html(f: Figures) -> str:
    """The figures as one HTML page with inline SVG bar charts (no scripts, no downloads).

    The page is ``templates/report.html``; the charts are ``records.svg``'s own markup.
    """
    resolved = [(t, {"resolved": f.resolved_at[t]}) for t in f.ordered(list(f.resolved_at))]
    met_missed = _met_missed(f, f.deadlines)
    deadlines = [(t, {"met": m, "missed": x}) for t, m, x in met_missed]
    themes = sorted(f.alert_themes.items(), key=lambda kv: (-kv[1], kv[0]))
    alert_deadlines = [
        (t, {"met": m, "missed": x}) for t, m, x in _met_missed(f, f.alert_deadlines)
    ]
    charts = {
        "resolved": bar_chart("Resolved, by stage", resolved),
        "deadlines": bar_chart("Deadlines met and missed, by stage", deadlines),
        "themes": bar_chart("Themes (reason codes)", [(t, {"alerts": n}) for t, n in themes]),
        "alert_deadlines": bar_chart("Timescales met and missed, by stage", alert_deadlines),
    }
    return render(
        "report.html",
        title=f"Quarterly figures {f.quarter.label}",
        period=_period(f),
        disagreements=[
            ["Opened", str(f.opened)],
            ["Closed", str(f.closed)],
            ["Median working days from raising to resolution", _median(f)],
        ],
        deadlines=[[t, str(m), str(x)] for t, m, x in met_missed],
        alerts=[["Opened", str(f.alerts_opened)], ["Closed (finalised)", str(f.alerts_closed)]],
        charts={name: Markup(svg) for name, svg in charts.items()},
    )
