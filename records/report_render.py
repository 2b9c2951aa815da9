"""The quarterly figures as plain text and as a self-contained HTML page with bar charts.

Both are grouped by procedure: a stage title ("Stage 1: ...") only means something
inside its own procedure. The page is a template of ``templates/`` (escaped by
the engine) and sets a table of the same figures beside every chart, so a screen
reader, a copy into a spreadsheet and a printout in black and white lose nothing.
The text is what the Business Manager pastes into a report, never read as HTML.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from markupsafe import Markup

from records.derive import DEADLINE_VERDICTS
from records.report_figures import Figures, ProcedureFigures, StageRow
from records.svg import bar_chart
from templates import render

CONFIRMATIONS = ("in time", "late")
ALERT_VERDICTS = ("met", "missed")


def _period(f: Figures) -> str:
    last = f.quarter.next_first_day - timedelta(days=1)
    scope = f"procedure {f.procedure}" if f.procedure else "all procedures"
    return f"{f.quarter.first_day:%-d %B %Y} to {last:%-d %B %Y}, {scope}"


def _median(p: ProcedureFigures) -> str:
    median = p.median_working_days
    if median is None:
        return "none resolved"
    return f"{median:g} ({len(p.working_days_to_resolution)} resolved)"


def _counts(counter: Counter[str], names: tuple[str, ...]) -> str:
    return ", ".join(f"{name} {counter[name]}" for name in names)


def _themes(p: ProcedureFigures) -> list[tuple[str, int]]:
    return sorted(p.alert_themes.items(), key=lambda kv: (-kv[1], kv[0]))


def _by_stage(
    p: ProcedureFigures, table: dict[StageRow, Counter[str]], names: tuple[str, ...]
) -> list[tuple[str, Counter[str]]]:
    return [
        (p.label(row), table[row]) for row in sorted(table) if any(table[row][n] for n in names)
    ]


def _alert_stages(p: ProcedureFigures) -> list[tuple[str, Counter[str]]]:
    return [(row.title, p.alert_deadlines[row]) for row in sorted(p.alert_deadlines)]


def _disagreement_lines(p: ProcedureFigures) -> list[str]:
    resolved = [(p.label(r), p.resolved_at[r]) for r in sorted(p.resolved_at)]
    lines = [
        f"opened: {p.opened}",
        f"closed: {p.closed}",
        f"open at quarter end: {p.open_at_end}",
        f"overdue at quarter end: {p.overdue_at_end}",
        "resolved, by stage:",
        *([f"  {label}: {n}" for label, n in resolved] or ["  none"]),
        "deadlines, by stage:",
        *(
            [
                f"  {label}: {_counts(c, DEADLINE_VERDICTS)}"
                for label, c in _by_stage(p, p.deadlines, DEADLINE_VERDICTS)
            ]
            or ["  none"]
        ),
        f"written confirmations of the outcome: {_counts(p.confirmations, CONFIRMATIONS)}",
        f"median working days from raising to resolution: {_median(p)}",
    ]
    return lines


def _alert_lines(p: ProcedureFigures) -> list[str]:
    return [
        f"opened: {p.alerts_opened}",
        f"closed (finalised): {p.alerts_closed}",
        f"open at quarter end: {p.alerts_open_at_end}",
        f"overdue at quarter end: {p.alerts_overdue_at_end}",
        "themes (reason codes):",
        *([f"  {theme}: {n}" for theme, n in _themes(p)] or ["  none"]),
        "timescales met / missed, by stage:",
        *(
            [f"  {label}: {_counts(c, ALERT_VERDICTS)}" for label, c in _alert_stages(p)]
            or ["  none"]
        ),
    ]


def _shows_alerts(p: ProcedureFigures) -> bool:
    return p.alerts_apply or bool(p.alerts_opened or p.alerts_open_at_end or p.alert_deadlines)


def render_text(f: Figures) -> str:
    """The figures as indented plain text, one block per procedure."""
    return render(
        "report.txt",
        label=f.quarter.label,
        period=_period(f),
        procedures=[
            {
                "heading": p.heading,
                "disagreements": _disagreement_lines(p),
                "alerts": _alert_lines(p) if _shows_alerts(p) else None,
            }
            for p in f.sections()
        ],
    )


@dataclass
class Chart:
    """A bar chart and the table of the same figures that stands beside it."""

    title: str
    svg: Markup
    head: list[str]
    rows: list[list[str]]


def _chart(title: str, head: list[str], bars: list[tuple[str, dict[str, int]]]) -> Chart:
    series = head[1:]
    rows = [[label, *(str(values.get(s, 0)) for s in series)] for label, values in bars]
    return Chart(title, Markup(bar_chart(title, bars)), head, rows)


def _series(counter: Counter[str], names: tuple[str, ...]) -> dict[str, int]:
    return {name: counter[name] for name in names}


def _html_section(p: ProcedureFigures) -> dict[str, object]:
    resolved = [(p.label(r), {"resolved": p.resolved_at[r]}) for r in sorted(p.resolved_at)]
    deadlines = [
        (label, _series(c, DEADLINE_VERDICTS))
        for label, c in _by_stage(p, p.deadlines, DEADLINE_VERDICTS)
    ]
    charts = [
        _chart("Resolved, by stage", ["Stage", "resolved"], resolved),
        _chart("Deadlines, by stage", ["Stage", *DEADLINE_VERDICTS], deadlines),
    ]
    section: dict[str, object] = {
        "heading": p.heading,
        "disagreements": [
            ["Opened", str(p.opened)],
            ["Closed", str(p.closed)],
            ["Open at quarter end", str(p.open_at_end)],
            ["Overdue at quarter end", str(p.overdue_at_end)],
            ["Written confirmations of the outcome in time", str(p.confirmations["in time"])],
            ["Written confirmations of the outcome late", str(p.confirmations["late"])],
            ["Median working days from raising to resolution", _median(p)],
        ],
        "charts": charts,
        "alerts": None,
    }
    if _shows_alerts(p):
        themes = [(theme, {"alerts": n}) for theme, n in _themes(p)]
        alert_stages = [(label, _series(c, ALERT_VERDICTS)) for label, c in _alert_stages(p)]
        section["alerts"] = [
            ["Opened", str(p.alerts_opened)],
            ["Closed (finalised)", str(p.alerts_closed)],
            ["Open at quarter end", str(p.alerts_open_at_end)],
            ["Overdue at quarter end", str(p.alerts_overdue_at_end)],
        ]
        section["alert_charts"] = [
            _chart("Themes (reason codes)", ["Theme", "alerts"], themes),
            _chart("Timescales met and missed, by stage", ["Stage", *ALERT_VERDICTS], alert_stages),
        ]
    return section


def html_content(f: Figures) -> dict[str, object]:
    """What ``templates/report_body.html`` shows: the period and each procedure's section.

    The page below and the console's Reports page (inside its own layout) both render it,
    so the figures read the same wherever they are opened.
    """
    return {"period": _period(f), "procedures": [_html_section(p) for p in f.sections()]}


def render_html(f: Figures) -> str:
    """The figures as one HTML page: per procedure, its tables and each chart beside its table.

    The page is ``templates/report.html``; the charts are ``records.svg``'s own markup.
    """
    return render(
        "report.html", title=f"Quarterly figures {f.quarter.label}", wide=True, **html_content(f)
    )
