"""Saved histories must replay on the current workflow code.

A change that would break a running case (a new activity call, a reordered
timer) fails here. Every file in tests/histories/ is replayed, each on the workflow
class its history names; a history of a workflow type this test does not know fails
instead of being skipped, so a renamed or new workflow cannot slip past. Write new
histories with ``make histories`` (only missing files are written); rewrite old ones
(``--force``) only deliberately, otherwise guard the change with ``workflow.patched``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from tests.workflows.history_plan import HISTORIES as HISTORY_DIR
from tests.workflows.history_plan import expected_names
from tests.workflows.support import patch_ids
from workflows.disagreement import DisagreementWorkflow
from workflows.practice_alert import PracticeAlertWorkflow

HISTORIES = sorted(HISTORY_DIR.glob("*.json"))
WORKFLOWS: dict[str, type] = {
    "Disagreement": DisagreementWorkflow,
    "PracticeAlert": PracticeAlertWorkflow,
}
"""Workflow type (as recorded in a history) to the class that must replay it."""


class UnknownWorkflowType(AssertionError):
    """A saved history whose workflow type no class here replays."""


def workflow_type(history: WorkflowHistory) -> str:
    """The workflow type a history was started as (its first event)."""
    first = history.events[0]
    return str(first.workflow_execution_started_event_attributes.workflow_type.name)


async def replay(name: str, text: str) -> None:
    """Replay one saved history on today's code; raise if it cannot be replayed."""
    history = WorkflowHistory.from_json(name, text)
    kind = workflow_type(history)
    if kind not in WORKFLOWS:
        raise UnknownWorkflowType(
            f"{name}: workflow type {kind!r} is not replayed by this test (known: "
            f"{', '.join(sorted(WORKFLOWS))}); add its class to WORKFLOWS"
        )
    replayer = Replayer(workflows=[WORKFLOWS[kind]], data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None


def test_histories_exist_for_every_ladder_of_every_pack() -> None:
    names = {p.stem for p in HISTORIES}
    missing = [n for n in expected_names() if n not in names]
    assert not missing, f"run `make histories` to save: {', '.join(missing)}"
    # The hand-written scenarios kept from older code.
    assert {
        "redbridge-2017-started",
        "redbridge-2017-mid-ladder",
        "redbridge-2017-awaiting-confirmation",
        "redbridge-2017-risk-and-shortened",
        "redbridge-2017-completed",
        "redbridge-2017-confirmed",
        "conference-test-adjourned",
        "practice-alert-mid-ladder",
        "redbridge-2017-mail-given-up",
        "practice-alert-mail-given-up",
    } <= names


@pytest.mark.parametrize("name", ["redbridge-2017-mail-given-up", "practice-alert-mail-given-up"])
def test_the_mail_given_up_histories_take_the_path_they_guard(name: str) -> None:
    """An email given up on, recorded by record_undelivered; no patch marker at 1.0."""
    text = (HISTORY_DIR / f"{name}.json").read_text(encoding="utf-8")
    history = WorkflowHistory.from_json(name, text)
    activities = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    ]
    assert patch_ids(history) == []  # one path at 1.0: no patch markers
    assert activities.index("send_notification") < activities.index("record_undelivered")


def test_the_plan_covers_every_shipped_ladder_at_its_points() -> None:
    names = set(expected_names())
    for ladder in ("conference_equally_divided",):
        for pack in ("north-lincolnshire-safe-2018", "north-lincolnshire-mars-2019"):
            assert f"{pack}--{ladder}--adjourned" in names
    assert "sutton-2015--strategic--mid-ladder" not in names  # two stages: no middle
    assert {f"rutland--practice-alert--{p}" for p in ("started", "last-stage")} <= names
    assert len({n.rsplit("--", 1)[0] for n in names}) >= 17  # 16 ladders, one alert today


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_saved_history_replays(path: Path) -> None:
    await replay(path.stem, path.read_text(encoding="utf-8"))


async def test_a_history_of_an_unknown_workflow_type_fails_loudly() -> None:
    data = json.loads((HISTORY_DIR / "redbridge-2017-started.json").read_text(encoding="utf-8"))
    started = data["events"][0]["workflowExecutionStartedEventAttributes"]
    started["workflowType"]["name"] = "DisagreementV2"
    with pytest.raises(UnknownWorkflowType, match="'DisagreementV2' is not replayed"):
        await replay("renamed", json.dumps(data))


@pytest.mark.parametrize("name", ["redbridge-2017-continued", "practice-alert-continued"])
def test_the_continued_histories_start_from_a_carried_state(name: str) -> None:
    """They replay the resume path: a run started by continue-as-new with the whole state."""
    history = WorkflowHistory.from_json(name, (HISTORY_DIR / f"{name}.json").read_text())
    started = history.events[0].workflow_execution_started_event_attributes
    assert started.continued_execution_run_id
    carried = json.loads(started.input.payloads[0].data)["continued"]
    assert carried["runs"] == 1 and carried["refusals"]["total"] == 40


def test_the_record_between_steps_histories_take_the_path_they_guard() -> None:
    """Before the patch an escalation wrote its rows in two record writes; with it, one."""
    from workflows.patches import RECORD_BETWEEN_STEPS

    def batches(name: str) -> tuple[list[str], list[list[str]]]:
        history = WorkflowHistory.from_json(name, (HISTORY_DIR / f"{name}.json").read_text())
        rows = [
            [s["kind"] for s in json.loads(a.input.payloads[0].data)["steps"]]
            for e in history.events
            if e.HasField("activity_task_scheduled_event_attributes")
            and (a := e.activity_task_scheduled_event_attributes).activity_type.name
            == "record_steps"
        ]
        return patch_ids(history), rows

    stem = f"redbridge-2017--individual--mid-ladder--%s-{RECORD_BETWEEN_STEPS}"
    marks, old = batches(stem % "before")
    assert marks == [] and ["stage_left", "deadline_passed"] in old
    marks, new = batches(stem % "with")
    assert marks == [RECORD_BETWEEN_STEPS]
    assert new.count(["stage_left", "deadline_passed", "stage_entered"]) == 2
