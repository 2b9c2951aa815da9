"""A real case on the time-skipping server with the codec on: history holds only ciphertext.

The SDK (same keys) still reads the status and records decisions, the emails
still go out, and the codec endpoint, over real HTTP, shows an authorised admin
the payloads decrypted while refusing anyone without the token.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from temporalio.testing import WorkflowEnvironment

from activities.email import SmtpConfig
from codec.aes import EncryptionCodec
from codec.server import create_app
from models.decisions import Resolved
from starter.connect import data_converter
from starter.sdk import DecisionRefused, EscalationClient
from starter.testing import start_time_skipping
from tests.workflows.support import EXAMPLE, at, jump_to, start_payload
from worker import create_worker
from workflows.patches import RECORD_BETWEEN_STEPS
from workflows.search_attributes import ALL_KEYS

KEYS = "k1:" + base64.b64encode(bytes(range(100, 132))).decode()
TOKEN = "admin-token-for-tests"
UI = "http://ui.example.test:8080"
RAISED = at("2030-06-10T10:00:00+01:00")
OUTCOME = "Section 47 enquiry agreed at the strategy discussion"


@pytest.fixture
async def codec_env() -> AsyncIterator[WorkflowEnvironment]:
    environment = await start_time_skipping(data_converter(KEYS))
    try:
        yield environment
    finally:
        await environment.shutdown()


@pytest.fixture
async def endpoint() -> AsyncIterator[str]:
    runner = web.AppRunner(create_app(EncryptionCodec.from_spec(KEYS), TOKEN, [UI]))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def _payloads(node: Any) -> Iterator[dict[str, Any]]:
    """Every Payload in a history's protobuf JSON (a dict with metadata.encoding)."""
    if isinstance(node, dict):
        if isinstance(node.get("metadata"), dict) and "encoding" in node["metadata"]:
            yield node
            return
        for value in node.values():
            yield from _payloads(value)
    elif isinstance(node, list):
        for value in node:
            yield from _payloads(value)


async def test_history_is_ciphertext_yet_the_sdk_reads_it(codec_env, db, mail, endpoint) -> None:
    await jump_to(codec_env, RAISED)
    queue = f"test-{uuid.uuid4()}"
    smtp = SmtpConfig(host="127.0.0.1", port=mail.port, mail_from="escalations@lscb.example.org")
    async with create_worker(codec_env.client, queue, sessionmaker=db, smtp=smtp):
        client = EscalationClient(codec_env.client, queue, codec_env.get_current_time)
        wid = await client.open(start_payload(RAISED))
        receipt = await client.resolve(wid, Resolved(by="B. Social Worker", outcome=OUTCOME))
        assert receipt is not None and receipt.state == "resolved"
        with pytest.raises(DecisionRefused, match="awaits written confirmation"):
            await client.resolve(wid, Resolved(by="B. Social Worker", outcome="again"))
        status = await client.status(wid)
        assert status.outcome == OUTCOME and status.stages[0].stage_id == "practitioners"
        assert "B. Social Worker" in " ".join(status.stages[0].holders)
        sent = await mail.wait_for(1)
        assert any("Stage 1" in m["Subject"] for m in sent)
        history = json.loads((await client.handle(wid).fetch_history()).to_json())

    text = json.dumps(history)
    clear = [
        EXAMPLE["nature"],
        EXAMPLE["aim"],
        OUTCOME,
        "B. Social Worker",
        "dsl@school.example.org",
    ]
    leaked = [c for c in clear if c in text or base64.b64encode(c.encode()).decode() in text]
    assert leaked == []
    # Search attributes are indexed by the server, so they cannot be encrypted: they are
    # the only plain payloads, and they hold only what an admin may search by.
    indexed = [
        e["upsertWorkflowSearchAttributesEventAttributes"]["searchAttributes"]
        for e in history["events"]
        if "upsertWorkflowSearchAttributesEventAttributes" in e
    ]
    assert indexed, "the workflow keeps its search attributes current"
    names = {name for attrs in indexed for name in attrs["indexedFields"]}
    # The product's own attributes, and Temporal's TemporalChangeVersion, which a
    # workflow.patched id since 1.0 adds (its value is the id, never case data).
    assert names - {key.name for key in ALL_KEYS} == {"TemporalChangeVersion"}
    for attrs in indexed:
        for value in _payloads(attrs):
            assert base64.b64decode(value["metadata"]["encoding"]) == b"json/plain"
    # The workflow.patched markers since 1.0: their details name the id, in plain JSON.
    patches = [
        json.loads(
            base64.b64decode(
                e["markerRecordedEventAttributes"]["details"]["patch-data"]["payloads"][0]["data"]
            )
        )["id"]
        for e in history["events"]
        if e.get("markerRecordedEventAttributes", {}).get("markerName") == "core_patch"
    ]
    assert patches == [RECORD_BETWEEN_STEPS]
    # A local activity's marker (the deadline plans) keeps its result encrypted beside
    # Temporal's own bookkeeping of the call (its type, attempt and times) in plain JSON.
    local = [
        e["markerRecordedEventAttributes"]["details"]
        for e in history["events"]
        if e.get("markerRecordedEventAttributes", {}).get("markerName") == "core_local_activity"
    ]
    assert local, "the deadline plans are local activities recorded as markers"
    for details in local:
        [meta] = details.pop("data")["payloads"]
        assert base64.b64decode(meta["metadata"]["encoding"]) == b"json/plain"
        bookkeeping = json.loads(base64.b64decode(meta["data"]))
        assert bookkeeping["activity_type"] == "plan_deadline"
        assert set(bookkeeping) <= {
            "seq",
            "attempt",
            "activity_id",
            "activity_type",
            "complete_time",
            "backoff",
            "original_schedule_time",
            "activation_index",
        }, bookkeeping
        assert "result" in details  # encrypted, checked with every other payload below
    for e in history["events"]:
        e.pop("upsertWorkflowSearchAttributesEventAttributes", None)
        if e.get("markerRecordedEventAttributes", {}).get("markerName") == "core_patch":
            del e["markerRecordedEventAttributes"]  # Temporal's own, checked above
    payloads = list(_payloads(history))
    assert len(payloads) >= 10  # start input, update, activity inputs and results, summary
    encodings = {base64.b64decode(p["metadata"]["encoding"]) for p in payloads}
    assert encodings == {b"binary/encrypted"}

    start_input = history["events"][0]["workflowExecutionStartedEventAttributes"]["input"]
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{endpoint}/decode", json=start_input) as refused:
            assert refused.status == 401
            assert "bearer token" in (await refused.json())["error"]
        async with http.post(
            f"{endpoint}/decode",
            json=start_input,
            headers={"Authorization": f"Bearer {TOKEN}", "Origin": UI, "X-Namespace": "default"},
        ) as shown:
            assert shown.status == 200
            assert shown.headers["Access-Control-Allow-Origin"] == UI
            [decoded] = (await shown.json())["payloads"]
    assert base64.b64decode(decoded["metadata"]["encoding"]) == b"json/plain"
    assert json.loads(base64.b64decode(decoded["data"]))["nature"] == EXAMPLE["nature"]
