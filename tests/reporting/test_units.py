"""Pure parts of the record and the report: quarters, stage replay, Markdown cells."""

from __future__ import annotations

from datetime import datetime

import pytest

from records.casefile import build_stages
from records.export import local, markdown_text
from records.report import Quarter
from records.schema import Step

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
        {},
    )
    [s] = stages
    assert (s.title, s.due_at, s.original_due_at, s.outcome, s.verdict) == (
        "Stage 1: practitioners",
        T("2026-12-24T17:00:00+00:00"),
        T("2026-12-30T17:00:00+00:00"),
        "resolved",
        "met",
    )


def test_markdown_cells_keep_the_table_intact_and_times_carry_the_zone() -> None:
    assert markdown_text("a | b\nc") == "a \\| b c"
    assert local(T("2030-06-17T16:00:00+00:00"), "Europe/London") == "17 Jun 2030 17:00 BST"
