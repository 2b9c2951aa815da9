"""``escalation status`` and ``alert status`` read as a person reads them, ``--json`` unchanged.

Each test runs the command against a real workflow on the time-skipping server and
reads the labelled lines it prints: where the case is, by when (local time, with
where the figure comes from), who must act, and OVERDUE once the deadline passed.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, timedelta
from typing import Any

import pytest

from models.alerts import AlertResponse
from models.decisions import Resolved
from starter import status_view
from starter.cli import main as cli_main
from starter.sdk import parse_start
from tests.workflows.alert_support import PACK_DIR as ALERT_PACKS
from tests.workflows.alert_support import alert_payload, alerts_running
from tests.workflows.support import running, start_payload


def fields(text: str) -> dict[str, str]:
    """The labelled lines as label -> value, as a reader scans them."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        label, _, value = line.partition("  ")
        out[label.strip()] = value.strip()
    return out


async def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()  # the command's own output only, not the in-process worker's
    code = await asyncio.to_thread(cli_main, list(argv))
    out, err = capsys.readouterr()
    return code, out, err


async def test_status_of_a_disagreement_reads_as_lines_and_json_stays(
    env: Any, db: Any, mail: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    now = await env.get_current_time()
    async with running(env, db, mail) as h:
        request = parse_start(start_payload(now - timedelta(hours=1)))
        wid = await h.client.open(request)
        await mail.wait_for(1)
        where = ["--address", env.client.service_client.config.target_host]
        where += ["--task-queue", h.client.task_queue]

        code, out, err = await run_cli(capsys, "status", wid, *where)
        assert (code, err) == (0, "")
        view = fields(out)
        assert view["Case reference"] == request.case_reference
        assert view["Workflow id"] == wid
        assert view["Procedure"].startswith("Redbridge")
        assert view["State"] == "open: a stage is working on it"
        assert view["Stage"].startswith("Stage 1")
        assert view["Deadline"].endswith(("17:00 GMT", "17:00 BST"))  # local time, its zone
        assert "OVERDUE" not in view["Deadline"]
        assert view["Deadline source"].startswith("5 working days (Redbridge")
        assert "B. Social Worker" in view["Who must act"]
        assert view["Milestone"].startswith("First contact with the raising professional: due ")
        assert view["Milestone"].endswith("; not yet met")
        assert view["Can record now"] == "resolved, unresolved"
        assert "Refused inputs" not in view  # nothing refused, nothing said
        assert "{" not in out

        code, out, _ = await run_cli(capsys, "status", wid, *where, "--json")
        assert code == 0
        status = json.loads(out)  # the whole model, as a script reads it
        assert (status["workflow_id"], status["state"]) == (wid, "open")
        assert status["stages"][0]["holders"]

        # Past the deadline (a view of the same status later): marked for the reader.
        current = await h.status(wid)
        assert current.stages[-1].due_at is not None
        later = status_view.disagreement_view(current, current.stages[-1].due_at + timedelta(1))
        assert fields(later)["Deadline"].endswith("  OVERDUE")

        await h.client.handle(wid).signal("resolved", {"outcome": "no one said who"})
        for _ in range(100):  # a signal is not acknowledged: wait until the case lists it
            if (await h.status(wid)).rejected_inputs_total:
                break
            await asyncio.sleep(0.05)
        code, out, _ = await run_cli(capsys, "status", wid, *where)
        assert fields(out)["Refused inputs"] == f"1 (escalation status {wid} --json lists them)"

        await h.client.resolve(wid, Resolved(by="B. Social Worker", outcome="Strategy meeting"))
        code, out, _ = await run_cli(capsys, "status", wid, *where)
        view = fields(out)
        assert view["State"].startswith("resolved: the outcome is agreed")
        assert view["Outcome"] == "Strategy meeting"
        assert view["Resolved"].endswith("by B. Social Worker")
        assert view["Confirmation due"].endswith(("GMT", "BST"))
        assert "Who must act" not in view


async def test_status_of_a_practice_alert_reads_as_lines_and_json_stays(
    env: Any, db: Any, mail: Any, capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    now = await env.get_current_time()
    payload = alert_payload((now - timedelta(hours=1)).isoformat())
    good = tmp_path / "alert.json"
    good.write_text(json.dumps(payload))
    async with alerts_running(env, db, mail) as h:
        where = ["--address", env.client.service_client.config.target_host]
        where += ["--task-queue", h.client.task_queue]
        code, out, _ = await run_cli(
            capsys, "alert", "start", str(good), *where, "--pack-dir", str(ALERT_PACKS)
        )
        assert code == 0
        wid = out.strip()
        await mail.wait_for(1)  # its first stage entered and told

        code, out, err = await run_cli(capsys, "alert", "status", wid, *where)
        assert (code, err) == (0, "")
        view = fields(out)
        assert view["Case reference"] == payload["case_reference"]
        assert view["State"] == "open: the stage must respond"
        assert view["Reason"].endswith(f"({payload['reason_code']})")
        assert view["Deadline"].endswith(("GMT", "BST")) and "OVERDUE" not in view["Deadline"]
        assert view["Who must respond"]
        assert view["Case note"].startswith("1 entry; latest: alert by ")

        current = await h.status(wid)
        code, out, _ = await run_cli(capsys, "alert", "status", wid, *where, "--json")
        status = json.loads(out)
        assert (code, status["workflow_id"], status["state"]) == (0, wid, "open")
        days = status["stages"][-1]["timescale_working_days"]
        assert view["Deadline source"] == f"{days} working days ({status['title']})"
        assert view["Stage"] == status["stages"][-1]["title"]

        # Once a stage has responded, the raising chair decides: no stage deadline runs.
        await h.client.respond(wid, AlertResponse(by="K. Team Manager", text="Visit booked"))
        code, out, _ = await run_cli(capsys, "alert", "status", wid, *where)
        after = fields(out)
        assert after["State"].startswith("awaiting the raising chair")
        assert after["Who must act"] == f"the raising chair, {payload['raised_by']['name']}"
        assert "Deadline" not in after and "Who must respond" not in after
        assert after["Case note"].startswith("2 entries; latest: response by K. Team Manager, ")

        assert current.due_at is not None
        later = status_view.alert_view(current, current.due_at.astimezone(UTC) + timedelta(1))
        assert fields(later)["Deadline"].endswith("  OVERDUE")
