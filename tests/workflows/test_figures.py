"""Every deadline from its source: units, local settings, and no invented figure.

A small pack of its own (written to a temporary directory) keeps these tests independent
of the shipped packs' contents: stage 1 gives a document figure in weeks, stage 2 none
(the partnership's local setting gives it 3 working days), stage 3 none at all.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError

from models.decisions import AgreeTimescale, Confirmed, Resolved, Unresolved
from starter.sdk_base import InvalidRequest
from tests.faults.stack import eventually
from tests.fixtures.harness import running_packs
from tests.workflows.support import at, jump_to

RAISED = at("2026-12-07T10:00:00+00:00")  # a Monday

PACK = """
id = "figures-test"
title = "Figures test procedure"
partnership = "Figures Test Partnership"
source = "tests/workflows/test_figures.py (test data)"
default_ladder = "main"

[[roles]]
id = "raising.practitioner"
title = "Practitioner, raising agency"

[[roles]]
id = "receiving.practitioner"
title = "Practitioner, receiving agency"

[[roles]]
id = "partnership.chair"
title = "Chair"

[[ladders]]
id = "main"
title = "Main"

[[ladders.stages]]
id = "practitioners"
title = "Stage 1: practitioners"
holders = ["raising.practitioner", "receiving.practitioner"]
timescale_weeks = 2
timescale_note = "1.1: \\"resolve within two weeks\\""

[[ladders.stages]]
id = "chair"
title = "Stage 2: chair"
holders = ["partnership.chair"]
requires_confirmation = false
on_deadline = "notify_and_wait"
"""

LOCAL = """
pack = "figures-test"
set_by = "Figures Test Business Manager"
set_on = 2026-11-30

[[stages]]
stage = "chair"
working_days = 3
note = "Agreed by the executive"
"""

PEOPLE = [
    {"role": "raising.practitioner", "name": "A. Teacher", "email": "a@school.example.org"},
    {
        "role": "receiving.practitioner",
        "name": "B. Social Worker",
        "email": "b@council.example.org",
    },
    {"role": "partnership.chair", "name": "C. Chair", "email": "chair@lscb.example.org"},
]


def _payload(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "procedure": "figures-test",
        "case_reference": f"CR-9{uuid.uuid4().hex[:9]}",
        "disagreement_id": "f1",
        "raised_at": RAISED.isoformat(),
        "raising_agency": "School",
        "receiving_agency": "Children's social care",
        "nature": "Threshold",
        "risk_to_child": "Neglect",
        "aim": "A strategy discussion",
        "people": PEOPLE,
    }
    data.update(overrides)
    return data


@pytest.fixture
def packs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    pack_dir, local_dir = tmp_path / "packs", tmp_path / "local"
    pack_dir.mkdir()
    local_dir.mkdir()
    (pack_dir / "figures-test.toml").write_text(PACK)
    monkeypatch.setenv("ESCALATION_LOCAL_SETTINGS", str(local_dir))
    return pack_dir, local_dir


async def test_a_week_figure_and_a_local_figure_each_say_where_they_come_from(
    env, db, mail, packs: tuple[Path, Path]
) -> None:
    pack_dir, local_dir = packs
    (local_dir / "figures-test.toml").write_text(LOCAL)
    await jump_to(env, RAISED)
    async with running_packs(env, db, mail, pack_dir=pack_dir) as h:
        wid = await h.client.open(_payload())
        await mail.wait_for(1)
        status = await h.client.status(wid)
        [first] = status.stages
        # Two weeks from Monday 7 December: Monday 21 December, close of business.
        assert (first.due_at, first.timescale_working_days, first.timescale_unit) == (
            at("2026-12-21T17:00:00+00:00"),
            2,
            "weeks",
        )
        assert first.timescale_source == "document"
        assert first.timescale_basis == (
            '2 weeks (Figures test procedure, 1.1: "resolve within two weeks")'
        )
        body = mail.messages[0].get_body(preferencelist=("plain",)).get_content()
        assert "timescale 2 weeks (Figures test procedure, 1.1:" in body

        await h.client.unresolve(wid, Unresolved(by="A. Teacher", reason="No agreement"))
        status = await h.client.status(wid)
        second = status.stages[-1]
        assert (second.stage_id, second.timescale_source, second.timescale_unit) == (
            "chair",
            "local",
            "working_days",
        )
        assert second.timescale_basis == (
            "3 working days (local setting, Figures Test Business Manager, 2026-11-30: "
            "Agreed by the executive)"
        )
        # Three working days from Monday 7 December (entered the same day): Thursday 10th.
        assert second.due_at == at("2026-12-10T17:00:00+00:00")

        async def recorded() -> None:
            rows = await h.rows(
                "SELECT text FROM steps WHERE workflow_id = :w AND kind = 'stage_entered'"
                " ORDER BY key",
                w=wid,
            )
            assert [r[0] for r in rows] == [
                f"Stage 1: practitioners: {first.timescale_basis}",
                f"Stage 2: chair: {second.timescale_basis}",
            ]

        await eventually(recorded, timeout=10, every=0.05)


async def test_a_stage_nobody_set_refuses_the_case_at_start_naming_it(
    env, db, mail, packs: tuple[Path, Path]
) -> None:
    pack_dir, _ = packs
    await jump_to(env, RAISED)
    async with running_packs(env, db, mail, pack_dir=pack_dir) as h:
        with pytest.raises(InvalidRequest) as refused:
            await h.client.open(_payload())
        [error] = [e for e in refused.value.errors if "chair" in e]
        assert "stage 'chair' (Stage 2: chair) has no timescale" in error
        assert "ESCALATION_LOCAL_SETTINGS/figures-test.toml" in error

        # A client in another language starts it anyway: the workflow refuses it itself.
        wid = "disagreement-CR-91-unset"
        handle = await h.env.client.start_workflow(
            "Disagreement", _payload(), id=wid, task_queue=h.client.task_queue
        )
        with pytest.raises(WorkflowFailureError) as failed:
            await handle.result()
        cause = failed.value.cause
        assert isinstance(cause, ApplicationError) and cause.type == "InvalidStartRequest"
        assert "stage 'chair' (Stage 2: chair) has no timescale" in cause.message
        assert await h.rows("SELECT key FROM steps WHERE workflow_id = :w", w=wid) == []
    assert mail.messages == []


async def test_a_per_case_stage_with_no_figure_waits_until_its_timescale_is_agreed(
    env, db, mail, packs: tuple[Path, Path]
) -> None:
    """Not refused at start: its timescale is the case's to agree, and until then it has
    no deadline (none is invented); agreed, it has one, and silence past it escalates."""
    pack_dir, _ = packs
    (pack_dir / "figures-test.toml").write_text(
        PACK.replace(
            'id = "chair"\ntitle = "Stage 2: chair"',
            'id = "chair"\ntitle = "Stage 2: chair"\nper_case = true',
        ).replace(
            'timescale_weeks = 2\ntimescale_note = "1.1: \\"resolve within two weeks\\""',
            "per_case = true",
        )
    )
    await jump_to(env, RAISED)
    async with running_packs(env, db, mail, pack_dir=pack_dir) as h:
        wid = await h.client.open(_payload())
        await mail.wait_for(1)
        [first] = (await h.client.status(wid)).stages
        assert (first.due_at, first.timescale_source) == (None, "unset")
        body = mail.messages[0].get_body(preferencelist=("plain",)).get_content()
        assert "send 'agree_timescale'" in body
        assert "agree the timescale" in str(mail.messages[0]["Subject"])

        await jump_to(env, at("2026-12-31T10:00:00+00:00"))  # weeks on: nothing fired
        assert [s.stage_id for s in (await h.client.status(wid)).stages] == ["practitioners"]
        receipt = await h.client.agree_timescale(
            wid,
            AgreeTimescale(
                by="B. Social Worker", reason="Meeting fixed for 7 January", working_days=20
            ),
        )
        # Twenty working days from Monday 7 December (25, 28 Dec and 1 Jan are holidays).
        assert receipt is not None and receipt.due_at == at("2027-01-07T17:00:00+00:00")
        await jump_to(env, at("2027-01-08T09:00:00+00:00"))
        status = await h.client.status(wid)
        assert [(s.stage_id, s.outcome) for s in status.stages] == [
            ("practitioners", "timeout"),
            ("chair", None),
        ]


async def test_no_confirmation_figure_means_no_invented_deadline(
    env, db, mail, packs: tuple[Path, Path]
) -> None:
    """The pack gives no confirmation_working_days and nobody set one: the written
    confirmation is awaited, recorded when it comes, but never 'late'."""
    pack_dir, local_dir = packs
    (local_dir / "figures-test.toml").write_text(LOCAL)
    await jump_to(env, RAISED)
    async with running_packs(env, db, mail, pack_dir=pack_dir) as h:
        wid = await h.client.open(_payload())
        receipt = await h.client.resolve(
            wid, Resolved(by="B. Social Worker", outcome="Strategy discussion agreed")
        )
        assert receipt is not None and (receipt.state, receipt.due_at) == ("resolved", None)
        status = await h.client.status(wid)
        assert status.confirmation_due_at is None
        await jump_to(env, at("2027-02-01T10:00:00+00:00"))  # weeks on: nothing is late
        assert (await h.client.status(wid)).confirmation_late is False
        await h.client.confirm(wid, Confirmed(by="B. Social Worker", text="Letter sent"))
        final = await h.client.handle(wid).result()
        assert final.state == "closed" and final.confirmation_late is False
    resolved = [m for m in mail.messages if "Resolved at" in str(m["Subject"])]
    assert resolved and "confirm in writing (no deadline: none is set)" in str(
        resolved[0]["Subject"]
    )
