"""Admin tooling on the real dev server: `escalation setup`, `list`, `overdue`, the codec endpoint.

A tiny stand-in workflow registered as ``Disagreement`` upserts the attributes
and current details that ``workflows/search_attributes.py`` builds from a
status (inside the real workflow sandbox), so visibility holds what the real
workflow will write; the CLI then answers from visibility as an admin would.
"""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import Client
from temporalio.worker import Worker

from codec.aes import EncryptionCodec
from codec.server import create_app
from models.status import DisagreementStatus
from starter import cli
from starter.binaries import temporal_cli_path
from starter.connect import ConnectionOptions, connect
from starter.devstack import DevServer, dev_server_args, start_dev_server_on_free_ports
from starter.visibility import missing_search_attributes, register_search_attributes
from tests.integration.visibility_standin import AlertProbe, AlertStandIn, Probe, StandIn
from workflows.search_attributes import registration, static_summary


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DevServer]:
    """A dev server started WITHOUT our attributes, as a real cluster would be."""
    dev = await start_dev_server_on_free_ports(
        tmp_path_factory.mktemp("visibility"), search_attributes=False
    )
    try:
        yield dev
    finally:
        await dev.stop()


async def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], str]:
    capsys.readouterr()
    code = await asyncio.to_thread(cli.main, list(argv))
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def test_escalation_dev_registers_the_attributes_at_start(tmp_path: Path) -> None:
    args = dev_server_args(tmp_path)
    flags = [args[i + 1] for i, a in enumerate(args) if a == "--search-attribute"]
    assert flags == [f"{name}={kind}" for name, kind in registration().items()]
    assert "EscalationNextDeadline=Datetime" in flags


async def test_setup_registers_once_and_is_idempotent(server, capsys) -> None:
    client = await connect(options=ConnectionOptions(address=server.address))
    assert await missing_search_attributes(client, "default") == list(registration())
    code, out, err = await _cli(capsys, "setup", "--address", server.address)
    assert (code, err) == (0, "")
    assert out[0] == "registered EscalationProcedure (Keyword)"
    assert out[4] == "registered EscalationNextDeadline (Datetime)"
    assert len(out) == 9 and out[8].startswith("created schedule escalation-reconcile")
    code, out, _ = await _cli(capsys, "setup", "--address", server.address)
    assert code == 0
    assert out[:8] == [f"already registered {n} ({k})" for n, k in registration().items()]
    assert out[8].startswith("updated schedule escalation-reconcile")
    assert await missing_search_attributes(client, "default") == []
    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace="default")
    )
    assert set(registration()) <= set(listed.custom_attributes)


def _status(case: str, procedure: str, stage: str, due: datetime, **kw: Any) -> DisagreementStatus:
    raised = due - timedelta(days=7)
    stage_row: dict[str, Any] = {
        "stage_id": stage,
        "title": f"Stage: {stage}",
        "index": 2,
        "holders": ["Senior manager (E. Lead)"],
        "entered_at": raised,
        "due_at": due,
        "timescale_working_days": 2,
    }
    stage_row.update(kw.pop("stage_extra", {}))
    return DisagreementStatus.model_validate(
        {
            "workflow_id": f"disagreement-{case}-d1",
            "case_reference": case,
            "procedure": procedure,
            "procedure_title": procedure,
            "partnership": "Redbridge LSCB",
            "ladder": "individual",
            "state": "open",
            "current_stage": stage,
            "current_stage_title": f"Stage: {stage}",
            "stages": [stage_row],
            "raised_at": raised,
            **kw,
        }
    )


async def test_list_and_overdue_answer_from_visibility(server, capsys) -> None:
    client: Client = await connect(options=ConnectionOptions(address=server.address))
    await register_search_attributes(client, "default")
    run = uuid.uuid4().hex[:6]
    past = datetime(2026, 1, 5, 17, 0, tzinfo=UTC)
    future = datetime.now(UTC) + timedelta(days=30)
    cases = {
        "senior-late": _status(f"CR-{run}-1", "redbridge-2017", "senior_managers", past),
        "chair-waiting": _status(
            f"CR-{run}-2",
            "redbridge-2017",
            "lscb_chair",
            past,
            stage_extra={"overdue_notified_at": past},
            immediate_risk=True,
        ),
        "on-time": _status(f"CR-{run}-3", "redbridge-2017", "senior_managers", future),
        "elsewhere": _status(
            f"CR-{run}-4", "north-lincolnshire-safe-2018", "senior_managers", past
        ),
    }
    queue = f"visibility-{run}"
    async with Worker(client, task_queue=queue, workflows=[StandIn, AlertStandIn]):
        ids = {}
        for name, status in cases.items():
            handle = await client.start_workflow(
                StandIn.run,
                Probe(status=status),
                id=status.workflow_id,
                task_queue=queue,
                static_summary=static_summary(status.case_reference, "Redbridge", "Redbridge LSCB"),
            )
            ids[name] = handle.id
        alert = await client.start_workflow(
            AlertStandIn.run,
            AlertProbe(
                case_reference=f"CR-{run}-5",
                procedure="rutland",
                stage="service_manager",
                state="open",
                due=past,
                overdue=True,
            ),
            id=f"practice-alert-CR-{run}-5-a1",
            task_queue=queue,
        )
        finished = await client.start_workflow(
            AlertStandIn.run,
            AlertProbe(
                case_reference=f"CR-{run}-6",
                procedure="rutland",
                stage="team_manager",
                state="finalised",
                due=past,
                overdue=False,
            ),
            id=f"practice-alert-CR-{run}-6-a1",
            task_queue=queue,
        )
        ids["alert"], ids["finalised"] = alert.id, finished.id
        query = f"EscalationCaseRef STARTS_WITH 'CR-{run}'"
        for _ in range(100):  # visibility is eventually consistent
            code, out, _ = await _cli(capsys, "list", "--address", server.address, "--query", query)
            if len(out) == 7 and all(" - " not in line for line in out):
                break
            await asyncio.sleep(0.2)
        assert code == 0 and len(out) == 7, out
        assert out[0] == "WORKFLOW ID  PROCEDURE  STAGE  STATE  DEADLINE  FLAGS"

        code, out, err = await _cli(
            capsys,
            "overdue",
            "--address",
            server.address,
            "--procedure",
            "redbridge-2017",
            "--stage",
            "senior_managers",
        )
        mine = [line for line in out if f"CR-{run}" in line]
        assert (code, err) == (0, "")
        assert mine == [
            f"{ids['senior-late']}  redbridge-2017  senior_managers  open  "
            "due Monday 5 January 2026, 17:00 GMT  OVERDUE"
        ]

        code, out, _ = await _cli(capsys, "overdue", "--address", server.address, "--json")
        rows = {
            r["workflow_id"]: r for r in map(json.loads, out) if f"CR-{run}" in r["workflow_id"]
        }
        # Disagreements and practice alerts alike; a finalised alert is nobody's work.
        assert set(rows) == {
            ids["senior-late"],
            ids["chair-waiting"],
            ids["elsewhere"],
            ids["alert"],
        }
        assert rows[ids["alert"]]["stage"] == "service_manager"
        assert rows[ids["chair-waiting"]]["immediate_risk"] is True
        assert rows[ids["chair-waiting"]]["next_deadline"] == "2026-01-05T17:00:00+00:00"

        code, out, _ = await _cli(
            capsys,
            "list",
            "--address",
            server.address,
            "--query",
            f"{query} AND EscalationStage = 'lscb_chair'",
        )
        assert out == [
            "WORKFLOW ID  PROCEDURE  STAGE  STATE  DEADLINE  FLAGS",
            f"{ids['chair-waiting']}  redbridge-2017  lscb_chair  open  "
            "due Monday 5 January 2026, 17:00 GMT  OVERDUE  IMMEDIATE-RISK",
        ]

        handle = client.get_workflow_handle(ids["on-time"])
        described = await handle.describe()
        assert await described.static_summary() == (f"Case CR-{run}-3: Redbridge (Redbridge LSCB)")
        meta = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
        assert meta.current_details.startswith("**Stage: senior_managers** (3 of 4)")
        for wid in ids.values():
            await client.get_workflow_handle(wid).terminate("test over")

    code, _, err = await _cli(capsys, "list", "--address", server.address, "--query", "Nope ==")
    assert code == 2 and "invalid query" in err.lower()


async def _temporal_show(server: DevServer, wid: str, *codec: str) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        str(temporal_cli_path()),
        "workflow",
        "show",
        "-w",
        wid,
        "--address",
        server.address,
        *codec,
        "-o",
        "json",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    shown: dict[str, Any] = json.loads(out)
    return shown["events"][0]["workflowExecutionStartedEventAttributes"]["input"]["payloads"][0]


async def test_an_admin_reads_encrypted_history_through_the_codec_endpoint(server) -> None:
    """Temporal's own CLI, given the endpoint and the token, shows the case data decrypted."""
    keys = "k1:" + base64.b64encode(bytes(range(7, 39))).decode()
    runner = web.AppRunner(create_app(EncryptionCodec.from_spec(keys), "admin-token", []))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    endpoint = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    try:
        client = await connect(options=ConnectionOptions(address=server.address, codec_keys=keys))
        wid = f"codec-{uuid.uuid4().hex[:8]}"
        nature = "Referral refused: threshold for a section 47 enquiry disputed"
        await client.start_workflow("Nothing", {"nature": nature}, id=wid, task_queue="nobody")
        stored = await _temporal_show(server, wid)
        assert base64.b64decode(stored["metadata"]["encoding"]) == b"binary/encrypted"
        assert nature.encode() not in base64.b64decode(stored["data"])
        shown = await _temporal_show(
            server, wid, "--codec-endpoint", endpoint, "--codec-auth", "Bearer admin-token"
        )
        assert base64.b64decode(shown["metadata"]["encoding"]) == b"json/plain"
        assert json.loads(base64.b64decode(shown["data"])) == {"nature": nature}
        await client.get_workflow_handle(wid).terminate("test over")
    finally:
        await runner.cleanup()
