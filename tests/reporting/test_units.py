"""Pure parts of the record and the report: quarters, stage replay, Markdown cells."""

from __future__ import annotations

from datetime import datetime

import pytest

from records.casefile import CaseFile, build_stages
from records.derive import stage_verdict
from records.export import local, markdown_text, sections
from records.names import Names, role_words
from records.report import Quarter, overdue_at
from records.schema import Disagreement, LearningItemRow, OutboxNotification, Step
from records.svg import bar_chart
from tests.reporting.page import picture

T = datetime.fromisoformat


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026Q4", "2026-09-30T23:00:00+00:00", "2027-01-01T00:00:00+00:00"),
        ("2027q1", "2027-01-01T00:00:00+00:00", "2027-03-31T23:00:00+00:00"),
        ("2027-Q2", "2027-03-31T23:00:00+00:00", "2027-06-30T23:00:00+00:00"),
    ],
)
def test_quarters_run_from_midnight_uk_time(text, start, end) -> None:
    assert Quarter.parse(text).bounds() == (T(start), T(end))


def _step(n: int, kind: str, **kw) -> Step:
    return Step(key=f"w/step-{n:04d}", workflow_id="w", case_reference="CR-1", kind=kind, **kw)


def test_stages_replay_a_shortened_deadline_and_a_decision_in_time() -> None:
    stages = build_stages(
        [
            _step(1, "opened", at=T("2026-12-21T10:00:00+00:00")),
            _step(
                2,
                "stage_entered",
                at=T("2026-12-21T10:00:00+00:00"),
                stage_id="practitioners",
                due_at=T("2026-12-30T17:00:00+00:00"),
                text="Stage 1: practitioners: 5 working day(s)",
            ),
            _step(
                3,
                "deadline_changed",
                at=T("2026-12-22T09:00:00+00:00"),
                stage_id="practitioners",
                due_at=T("2026-12-24T17:00:00+00:00"),
            ),
            _step(
                4,
                "stage_left",
                at=T("2026-12-24T12:00:00+00:00"),
                stage_id="practitioners",
                actor="B",
                text="Agreed",
                data={"outcome": "resolved"},
            ),
        ],
        Names("gone-procedure"),
    )
    [s] = stages
    assert (s.title, s.due_at, s.original_due_at, s.outcome, s.verdict()) == (
        "Stage 1: practitioners",
        T("2026-12-24T17:00:00+00:00"),
        T("2026-12-30T17:00:00+00:00"),
        "resolved",
        "resolved in time",
    )


def test_markdown_cells_keep_the_table_intact_and_times_carry_the_zone() -> None:
    assert markdown_text("a | b\nc") == "a \\| b c"
    assert local(T("2030-06-17T16:00:00+00:00"), "Europe/London") == "17 Jun 2030 17:00 BST"


DUE = T("2030-11-11T17:00:00+00:00")
BEFORE, AFTER = T("2030-11-06T11:00:00+00:00"), T("2030-11-12T09:00:00+00:00")


@pytest.mark.parametrize(
    ("outcome", "due", "left", "passed", "now", "verdict"),
    [
        ("resolved", DUE, BEFORE, False, None, "resolved in time"),
        ("resolved", DUE, DUE, False, None, "resolved in time"),
        # Sent up in time: the procedure working, not a resolution and not a miss.
        ("unresolved", DUE, BEFORE, False, None, "escalated before its deadline"),
        ("immediate_risk", DUE, BEFORE, False, None, "escalated before its deadline"),
        ("referred_directly", DUE, BEFORE, False, None, "escalated before its deadline"),
        ("timeout", DUE, DUE, False, None, "deadline passed"),
        ("adjournment_breached", DUE, DUE, False, None, "deadline passed"),
        # The last stage stays put when its time runs out, then a late resolution.
        ("resolved", DUE, AFTER, True, None, "deadline passed"),
        ("resolved", DUE, AFTER, False, None, "deadline passed"),
        ("unresolved", DUE, AFTER, False, None, "deadline passed"),
        (None, DUE, None, False, BEFORE, "open"),
        (None, DUE, None, False, AFTER, "deadline passed"),
        (None, DUE, None, True, None, "deadline passed"),
        (None, None, None, False, AFTER, "open"),
        ("resolved", None, BEFORE, False, None, "no deadline"),
    ],
)
def test_a_stage_verdict_tells_resolved_escalated_and_passed_apart(
    outcome, due, left, passed, now, verdict
) -> None:
    assert stage_verdict(outcome, due, left, deadline_passed=passed, now=now) == verdict


def test_roles_and_stages_read_as_words_even_without_their_pack() -> None:
    names = Names.of("redbridge-2017")
    assert names.who("receiving.practitioner") == (
        "Practitioner / decision maker receiving the concern"
    )
    assert names.stage("senior_managers") == "Stage 3: senior managers"
    assert names.who("B. Social Worker") == "B. Social Worker"
    gone = Names.of("no-such-procedure")
    assert gone.who("receiving.senior_manager") == "Senior manager, receiving agency"
    assert gone.who("partnership.business_manager") == "Partnership business manager"
    assert gone.stage("senior_managers") == "Senior managers"
    assert role_words("raising.line_manager") == "Line manager, raising agency"


def test_a_stage_id_shared_by_two_ladders_takes_the_title_of_the_ladder_it_was_entered_in() -> None:
    names = Names.of("north-lincolnshire-safe-2018")
    entered = _step(
        1,
        "stage_entered",
        at=T("2026-12-21T10:00:00+00:00"),
        stage_id="principal_officer_review",
        data={"ladder": "conference_majority"},
    )
    [stage] = build_stages([entered], names)
    assert stage.title == "Stage 2: Principal Officer review"


def test_long_chart_labels_wrap_and_keep_every_word() -> None:
    long = "Child protection conference: equally divided view, adjourned: Stage 1: conference"
    svg = bar_chart("Deadlines", [(long, {"deadline passed": 2}), ("Short", {"met": 1})])
    shown = picture(svg)
    assert long in shown.labels and "Short" in shown.labels
    assert not any("…" in label for label in shown.labels)
    assert f"{long}: 2 deadline passed" in shown.tooltips
    assert svg.count("<tspan") > 3  # the long label took several lines


def _disagreement() -> Disagreement:
    """An open Redbridge case's row, as the record reads it."""
    return Disagreement(
        workflow_id="w",
        case_reference="CR-1",
        procedure="redbridge-2017",
        ladder="individual",
        partnership="P",
        raising_agency="School",
        receiving_agency="CSC",
        raised_at=T("2026-12-21T10:00:00+00:00"),
        state="open",
        nature="n",
    )


def test_the_record_names_roles_in_learning_items_and_unfilled_emails_by_their_titles() -> None:
    row = _disagreement()
    at = T("2026-12-22T10:00:00+00:00")
    learning = LearningItemRow(
        key="w/l",
        workflow_id="w",
        case_reference="CR-1",
        stage_id="senior_managers",
        actor="receiving.senior_manager",
        outcome="Share the threshold guidance",
        notify="partnership.business_manager, partnership.chair",
        at=at,
    )
    email = OutboxNotification(
        key="w/e",
        workflow_id="w",
        case_reference="CR-1",
        kind="stage_entered",
        subject="s",
        recipients=[],
        cc=[],
        status="sent",
        attempts=1,
        created_at=at,
        unfilled_roles=["receiving.line_manager"],
    )
    f = CaseFile(row, Names.of("redbridge-2017"), learning=[learning], emails=[email])
    tables = dict(sections(f))
    [item] = tables["Learning items"][1]
    assert item[1:] == [
        "Stage 3: senior managers",
        "Senior manager (or named safeguarding doctor/nurse), receiving agency",
        "Share the threshold guidance",
        "LSCB Business Manager, LSCB Chair",
    ]
    [told] = tables["Who was told"][1]
    assert told[1] == "stage entered"
    assert told[5] == "nobody known for Line manager, receiving agency"


def test_overdue_at_quarter_end_is_judged_at_that_moment() -> None:
    end = T("2031-01-01T00:00:00+00:00")
    entered = _step(
        1,
        "stage_entered",
        at=T("2030-12-16T10:00:00+00:00"),
        stage_id="lscb_chair",
        due_at=T("2030-12-23T17:00:00+00:00"),
        data={"ladder": "individual"},
    )
    passed = _step(2, "deadline_passed", at=T("2030-12-23T17:00:00+00:00"), stage_id="lscb_chair")
    resolved_in_january = _step(
        3,
        "stage_left",
        at=T("2031-01-06T10:00:00+00:00"),
        stage_id="lscb_chair",
        data={"outcome": "resolved"},
    )
    steps = [entered, passed, resolved_in_january]
    names = Names.of("redbridge-2017")
    # The Chair's deadline passed before New Year and the stage was still open then.
    assert overdue_at(steps, build_stages(steps, names), end)
    # Not yet due at the quarter's end: not overdue, whatever happened later.
    assert not overdue_at(steps, build_stages(steps, names), T("2030-12-20T00:00:00+00:00"))


def test_a_reminder_in_every_step_reads_in_words_not_its_kind() -> None:
    row = _disagreement()
    steps = [
        Step(
            key=f"w/{kind}",
            workflow_id="w",
            case_reference="CR-1",
            kind="reminder",
            at=T("2026-12-22T10:00:00+00:00"),
            stage_id="practitioners",
            text=kind,
            data={},
        )
        for kind in ("halfway", "last_day")
    ]
    f = CaseFile(row, Names.of("redbridge-2017"), steps=steps)
    texts = [r[4] for r in dict(sections(f))["Every step"][1]]
    assert texts == ["reminder: half the time has passed", "reminder: the last day"]
