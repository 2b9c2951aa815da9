"""The templates escape by default: hostile text comes out as text in every page and email.

A nature, an outcome or a name is typed by people (or arrives from a case system),
so ``<script>`` or an attribute break-out must never become markup in the decision
page, the exported record or an email's HTML part. The escaping is the engine's
(``templates.env`` autoescapes every ``.html``), not each caller's.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from activities.email_links import PersonalLink
from activities.email_render import render
from models.status import DisagreementStatus, StageStatus
from records.casefile import CaseFile
from records.export import render_html
from records.names import Names
from records.schema import DecisionRow, Disagreement
from templates import env
from tests.activities.support import notification
from web.links import LinkClaims
from web.pages import decision_page, next_step, notice, result_page

AT = datetime(2026, 12, 21, 10, 0, tzinfo=UTC)
SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(1)>'
HOSTILE = f"{SCRIPT} {BREAKOUT} 'single' & more"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
ESCAPED_BREAKOUT = "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"


def _inert(html: str) -> None:
    """No tag or attribute of the hostile text survives; its escaped form is there instead."""
    assert SCRIPT not in html and "<script" not in html.lower()
    assert "<img" not in html and BREAKOUT not in html
    assert ESCAPED_SCRIPT in html and ESCAPED_BREAKOUT in html


def _status() -> DisagreementStatus:
    stage = StageStatus(
        stage_id="practitioners",
        title=f"Stage 1 {HOSTILE}",
        index=0,
        holders=[f"A. Teacher {HOSTILE}"],
        entered_at=AT,
        due_at=AT,
        timescale_working_days=5,
        timescale_basis=HOSTILE,
        outcome="unresolved",
        decided_by=f"B. Social Worker {HOSTILE}",
        text=HOSTILE,
    )
    return DisagreementStatus(
        workflow_id="disagreement-CR-1-d1",
        case_reference="CR-1",
        procedure="redbridge-2017",
        procedure_title=HOSTILE,
        partnership=HOSTILE,
        ladder="individual",
        state="open",
        current_stage="practitioners",
        current_stage_title=HOSTILE,
        stages=[stage],
        raised_at=AT,
        decisions=["resolved", "unresolved"],
        outcome=HOSTILE,
    )


CLAIMS = LinkClaims(
    workflow_id="disagreement-CR-1-d1",
    stage="practitioners",
    email="cpat.duty@council.example.org",
    action="decide",
    expires_at=datetime(2027, 1, 13, 17, 0, tzinfo=UTC),
)


def test_the_decision_page_and_its_answers_escape_what_people_typed() -> None:
    status = _status()
    page = decision_page(status, CLAIMS, "Europe/London", error=HOSTILE)
    _inert(page)
    assert 'id="resolve"' in page and 'id="unresolve"' in page and 'id="error"' in page
    _inert(result_page(status, False, HOSTILE, "CR-1", "Europe/London"))
    _inert(notice("used", "This link has been used", HOSTILE))


def test_the_record_html_escapes_nature_outcome_and_names() -> None:
    row = Disagreement(
        workflow_id="disagreement-CR-1-d1",
        case_reference="CR-1",
        procedure="no-such-pack",
        ladder="individual",
        partnership=HOSTILE,
        raising_agency=HOSTILE,
        receiving_agency=HOSTILE,
        nature=HOSTILE,
        risk_to_child=HOSTILE,
        aim=HOSTILE,
        raised_at=AT,
        raised_late=False,
        immediate_risk=False,
        state="open",
    )
    decision = DecisionRow(
        at=AT, stage_id="practitioners", actor=HOSTILE, kind="resolved", text=HOSTILE
    )
    files = [CaseFile(row, Names("P"), decisions=[decision])]
    html = render_html(f"CR-1 {HOSTILE}", files, AT, AT, alerts=[HOSTILE])
    _inert(html)
    assert f"<td>{ESCAPED_SCRIPT}" in html  # the nature, as text in its cell


def test_an_emails_html_part_escapes_lines_headline_and_procedure() -> None:
    n = notification(
        "w",
        "CR-1",
        headline=f"Stage 1 {HOSTILE}",
        lines=[f"Nature: {HOSTILE}", f"Outcome: {HOSTILE}"],
        procedure_title=HOSTILE,
        partnership=HOSTILE,
    )
    person = n.to[0].model_copy(update={"name": f"B. Social Worker {HOSTILE}"})
    link = PersonalLink(person=person, action="decide", url=f"https://d.example/d/t?{BREAKOUT}")
    msg = render(n, "escalations@lscb.example.org", to=[person], link=link)
    rich = msg.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    _inert(rich)
    plain = msg.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert f"Nature: {HOSTILE}" in plain  # the text part carries the words as written


@pytest.mark.parametrize(
    "name", ["base.html", "decision.html", "record.html", "report.html", "email.html", "home.html"]
)
def test_every_html_template_autoescapes(name: str) -> None:
    assert callable(env.autoescape) and env.autoescape(name)
    assert env.from_string("{{ x }}").render(x=SCRIPT) == ESCAPED_SCRIPT


def test_every_page_carries_the_one_stylesheet_and_no_script() -> None:
    status = _status().model_copy(update={"procedure_title": "P", "partnership": "Q"})
    css = env.loader.get_source(env, "style.css")[0]  # type: ignore[union-attr]
    for html in (
        decision_page(status, CLAIMS, "Europe/London"),
        notice("used", "Used", "x"),
        render(notification("w", "CR-1"), "a@b.org")
        .get_body(preferencelist=("html",))  # type: ignore[union-attr]
        .get_content(),
    ):
        assert css.strip() in html
        assert "<script" not in html and "<link" not in html and "<img" not in html


def test_a_decide_link_offers_only_what_the_case_would_accept_now() -> None:
    """The page's forms follow the workflow's ``decisions``: never a button it would refuse."""
    top = _status().model_copy(update={"decisions": ["resolved"]})
    page = decision_page(top, CLAIMS, "Europe/London")
    assert 'id="resolve"' in page and 'id="unresolve"' not in page
    assert 'id="last-stage"' in page and "no higher level" in page
    waiting = _status().model_copy(update={"state": "resolved", "decisions": []})
    page = decision_page(waiting, CLAIMS, "Europe/London")
    assert 'id="resolve"' not in page and 'id="unresolve"' not in page
    assert "waits for its written confirmation" in page


def test_a_decided_stage_names_nobody_to_act_and_a_passed_deadline_is_marked() -> None:
    closed = _status().model_copy(update={"state": "closed"})
    assert "Who must act" not in result_page(closed, True, "", "CR-1", "Europe/London")
    passed = _status()
    passed.stages[0].overdue_notified_at = AT
    page = decision_page(passed, CLAIMS, "Europe/London")
    assert "Who must act" in page and "(passed: the people named have been told)" in page


def test_after_going_up_the_page_names_the_new_stage_and_its_deadline() -> None:
    moved = _status()
    assert next_step(moved, "Europe/London") == (
        f"The case is now at Stage 1 {HOSTILE}; the deadline is Monday 21 December 2026, 10:00 GMT."
    )
    moved.stages[0].due_at = None  # a per-case timescale not agreed yet
    assert next_step(moved, "Europe/London") == (
        f"The case is now at Stage 1 {HOSTILE}; its timescale is to be agreed on the case."
    )
