"""``escalation record``: one case's record as Markdown or a self-contained HTML page.

Both formats show the same sections, built from the same rows: the
disagreement, its stages with deadlines and actual times, the decisions and
their text, written confirmations, learning items and who was told when.

Every text the Markdown carries passes through ``markdown_text``: what people typed
(an outcome, a name, an agency) must come out as the same text, never as markup.
A Markdown viewer renders raw HTML and links, so ``<script>``, ``[x](javascript:...)``,
``**``, backticks or a ``|`` that would split a table row are escaped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from markupsafe import Markup

from records.casefile import CaseFile
from records.names import step_words
from records.schema import Step
from records.svg import timeline
from templates import render

Table = tuple[list[str], list[list[str]]]

OUTCOMES = {
    "resolved": "resolved",
    "unresolved": "unresolved: escalated",
    "timeout": "deadline passed: escalated",
    "immediate_risk": "immediate risk: escalated",
    "still_divided": "conference still divided: escalated",
    "minority_dissent": "minority dissent: dissent ladder",
    "adjournment_breached": "adjournment breached: escalated",
}


VERDICT_CLASS = {
    "resolved in time": "met",
    "escalated before its deadline": "escalated",
    "deadline passed": "missed",
    "in time": "met",
    "late": "missed",
}
"""The stylesheet's class for a verdict cell: colour repeats the words, never replaces them."""


def local(t: datetime | None, zone: str) -> str:
    """A moment in the partnership's local time with its zone, e.g. '30 Dec 2026 17:00 GMT'."""
    if t is None:
        return ""
    return f"{t.astimezone(ZoneInfo(zone)):%d %b %Y %H:%M %Z}"


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def details(f: CaseFile) -> list[tuple[str, str]]:
    """The disagreement's own facts, label and value."""
    row, z = f.row, f.timezone
    return [
        ("Workflow id", row.workflow_id),
        ("Procedure", f"{f.procedure_title} ({row.procedure})"),
        ("Ladder", f.names.ladder(row.ladder)),
        ("Partnership", row.partnership),
        ("Raised by", row.raising_agency),
        ("Raised with", row.receiving_agency),
        ("Raised at", local(row.raised_at, z)),
        ("Raised late", _yes(row.raised_late)),
        ("Immediate risk", _yes(row.immediate_risk)),
        ("State", row.state + (f" (closed {local(f.closed_at, z)})" if f.closed_at else "")),
        ("Nature of the disagreement", row.nature),
        ("Risk to the child", row.risk_to_child),
        ("Aim", row.aim),
    ]


def sections(f: CaseFile, now: datetime | None = None) -> list[tuple[str, Table]]:
    """The record's tables, in the order they are printed.

    Stages, roles and step kinds appear as words (the pack's titles), never as the
    ids the rows keep: the record is read by people, and goes on the child's file.
    ``now`` judges an open stage (a deadline already behind it has passed).
    """
    z, stage, who = f.timezone, f.names.stage, f.names.who
    stages = [
        [
            str(i),
            s.title,
            local(s.entered_at, z),
            local(s.due_at, z)
            + (f" (was {local(s.original_due_at, z)})" if s.original_due_at else ""),
            local(s.left_at, z),
            OUTCOMES.get(s.outcome or "", s.outcome or ""),
            s.verdict(now),
        ]
        for i, s in enumerate(f.stages, 1)
    ]
    decisions = [
        [local(d.at, z), stage(d.stage_id), who(d.actor), step_words(d.kind), d.text or ""]
        for d in f.decisions
    ]
    confirmations = [
        [
            local(c.at, z),
            stage(c.stage_id),
            who(c.actor),
            local(c.due_at, z),
            "late" if c.late else "in time",
            c.text or "",
        ]
        for c in f.confirmations
    ]
    if not f.confirmations:
        confirmations = [
            [
                "(awaited)",
                stage(s.stage_id),
                who(s.actor),
                local(s.due_at, z),
                "late" if any(x.kind == "confirmation_late" for x in f.steps) else "",
                "",
            ]
            for s in f.confirmation_due
        ]
    learning = [
        [
            local(item.at, z),
            stage(item.stage_id),
            who(item.actor),
            item.outcome or "",
            ", ".join(who(r.strip()) for r in (item.notify or "").split(",") if r.strip()),
        ]
        for item in f.learning
    ]
    emails = [
        [
            local(e.sent_at or e.created_at, z),
            step_words(e.kind),
            ", ".join([*e.recipients, *(f"cc {c}" for c in e.cc)]) or "(nobody named)",
            e.status,
            str(e.attempts),
            "; ".join(
                x
                for x in (
                    e.last_error,
                    f"nobody known for {', '.join(who(r) for r in e.unfilled_roles)}"
                    if e.unfilled_roles
                    else "",
                )
                if x
            ),
        ]
        for e in f.emails
    ]
    steps = [
        [local(s.at, z), step_words(s.kind), stage(s.stage_id), who(s.actor), step_text(s)]
        for s in f.steps
    ]
    return [
        (
            "Stages",
            (["#", "Stage", "Entered", "Deadline", "Left", "How", "Against the deadline"], stages),
        ),
        ("Decisions", (["When", "Stage", "Who", "Decision", "Text"], decisions)),
        (
            "Written confirmations",
            (["When", "Stage", "Who", "Due", "In time", "Text"], confirmations),
        ),
        ("Learning items", (["When", "Stage", "Who", "Outcome", "To be told"], learning)),
        ("Who was told", (["When", "What", "To", "Status", "Attempts", "Error"], emails)),
        ("Every step", (["When", "Step", "Stage", "Who", "Text"], steps)),
    ]


REMINDER_WORDS = {"halfway": "half the time has passed", "last_day": "the last day"}
"""A reminder row's text is the reminder's kind (an id); the record says it in words."""


def step_text(s: Step) -> str:
    """A step's text as a reader takes it: a reminder's kind in words, else as written."""
    if s.kind == "reminder" and s.text in REMINDER_WORDS:
        return f"reminder: {REMINDER_WORDS[s.text]}"
    return str(s.text or "")


MARKDOWN_SPECIAL = re.compile(r"[\\`*\[\]#|~]|(?<![^\W_])_|_(?![^\W_])")
"""Characters a backslash keeps literal: the escape itself, code spans, emphasis, links and
images (``[``, ``]``), headings, table cells and strikethrough. An underscore between two
letters or digits (``lscb_chair``) can never open or close emphasis, so it is left as is."""


def markdown_text(text: str) -> str:
    """``text`` on one line, inert anywhere in the Markdown record (cell, heading, list item).

    The one way text enters the Markdown export. HTML first (``&``, ``<``, ``>`` as
    entities: no tag, autolink or entity of the writer's survives), then Markdown's own
    characters, each with a backslash.
    """
    one_line = escape(" ".join(text.split()), quote=False)
    return MARKDOWN_SPECIAL.sub(lambda m: "\\" + m.group(0), one_line)


def _md_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(markdown_text(c) for c in cells) + " |"


def _md_table(table: Table) -> list[str]:
    head, rows = table
    if not rows:
        return ["None recorded.", ""]
    lines = [_md_row(head), "|" + "---|" * len(head)]
    lines += [_md_row(row) for row in rows]
    return [*lines, ""]


ALERTS_HEADING = "Practice alerts on this case"


def render_markdown(
    case_reference: str,
    files: list[CaseFile],
    exported_at: datetime,
    *,
    alerts: Sequence[str] | None = None,
) -> str:
    """The case's record as Markdown (one section per disagreement).

    ``alerts``, when given, are the case's practice alert events in plain words
    (``records.briefing.briefing``): they end the record in a section of their own.
    Every text, the record's own words included, passes through ``markdown_text``.
    """
    md = markdown_text
    zone = files[0].timezone if files else "Europe/London"
    out = [
        f"# {md(f'Escalation record: case {case_reference}')}",
        "",
        md(
            f"Exported {local(exported_at, zone)} from the escalation database: "
            f"{len(files)} disagreement(s). The child is identified by case reference only. "
            f"Times are {zone} local time."
        ),
        "",
    ]
    for n, f in enumerate(files, 1):
        out += [f"## {md(f'Disagreement {n}: {f.row.workflow_id}')}", "", "| | |", "|---|---|"]
        out += [_md_row(pair) for pair in details(f)]
        out.append("")
        for title, table in sections(f, exported_at):
            out += [f"### {md(title)}", "", *_md_table(table)]
    if alerts is not None:
        out += [f"## {md(ALERTS_HEADING)}", ""]
        out += [f"- {md(s)}" for s in alerts] or ["None recorded."]
    return "\n".join(out).rstrip() + "\n"


def render_html(
    case_reference: str,
    files: list[CaseFile],
    exported_at: datetime,
    now: datetime,
    *,
    alerts: Sequence[str] | None = None,
) -> str:
    """The case's record as one self-contained HTML page with a timeline per disagreement.

    ``alerts``, when given, end the page as in ``render_markdown``. The page is
    ``templates/record.html``; the timelines are ``records.svg``'s own markup.
    """
    zone = files[0].timezone if files else "Europe/London"
    disagreements = [
        {
            "workflow_id": f.row.workflow_id,
            "details": details(f),
            "timeline": Markup(timeline(f.stages, f.closed_at or now, f.timezone)),
            "sections": sections(f, now),
        }
        for f in files
    ]
    return render(
        "record.html",
        title=f"Escalation record: case {case_reference}",
        wide=True,
        exported=local(exported_at, zone),
        zone=zone,
        disagreements=disagreements,
        alerts=alerts,
        alerts_heading=ALERTS_HEADING,
        verdict_class=VERDICT_CLASS,
    )
