"""A case's history stays small: far from Temporal's limits, no payload bigger than it needs.

A disagreement can wait for months, and its whole history is replayed whenever a
worker picks it up without a cache; Temporal warns at 10,240 events or 10 MB and
terminates a workflow at 51,200 events or 50 MB. Each scenario's history is
measured (events, bytes, largest payload) and printed, so a change that makes
histories grow (a loop of activities, a status copied into every payload) shows
up here before it reaches a case that has been open for a year.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload

from tests.workflows.scenarios import SCENARIOS, Scenario, play
from tests.workflows.support import jump_to, running

log = logging.getLogger(__name__)

TEMPORAL_WARN_EVENTS = 10_240
TEMPORAL_WARN_BYTES = 10 * 1024 * 1024
MAX_EVENTS = TEMPORAL_WARN_EVENTS // 10
"""Our own bound, a tenth of Temporal's warning, so a case busier than any scenario
(months of reminders, many refused signals) still has ample headroom."""
MAX_BYTES = TEMPORAL_WARN_BYTES // 20
MAX_PAYLOAD_BYTES = 64 * 1024
"""No single payload may come near this (Temporal warns at 512 KiB per payload)."""
BULKY_BYTES = 4 * 1024
"""Only the policy pack, loaded once per case, is allowed to be bigger than this."""


def payload_sizes(message: Message) -> list[tuple[str, int]]:
    """Every Payload inside a protobuf message, as (field path, serialized size)."""
    found: list[tuple[str, int]] = []

    def walk(msg: Message, path: str) -> None:
        if isinstance(msg, Payload):
            found.append((path, msg.ByteSize()))
            return
        for desc, value in msg.ListFields():
            if desc.message_type is None:
                continue
            here = f"{path}.{desc.name}" if path else desc.name
            if desc.is_repeated:
                items: Any = value.values() if desc.message_type.GetOptions().map_entry else value
                for i, item in enumerate(items):
                    if isinstance(item, Message):
                        walk(item, f"{here}[{i}]")
            else:
                walk(value, here)

    walk(message, "")
    return found


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
async def test_history_is_far_below_temporal_limits(
    env, db, mail, scenario: Scenario, capsys: pytest.CaptureFixture[str]
) -> None:
    async with running(env, db, mail) as h:

        async def jump(when: Any) -> None:
            await jump_to(env, when)

        [wid] = await play(scenario, [h.client], jump)
        if scenario.finished:
            await h.client.handle(wid).result()
        history = await h.client.handle(wid).fetch_history()

    events = len(history.events)
    size = sum(e.ByteSize() for e in history.events)
    payloads = [
        (f"event {e.event_id} {path}", n) for e in history.events for path, n in payload_sizes(e)
    ]
    where, largest = max(payloads, key=lambda p: p[1])
    report = (
        f"{scenario.name}: {events} events, {size:,} bytes, {len(payloads)} payloads, "
        f"largest {largest:,} bytes ({where})"
    )
    with capsys.disabled():
        print(f"\nhistory size: {report}")
    log.info("history size: %s", report)

    assert len(payloads) > 10, "the walker found the payloads"
    assert events < MAX_EVENTS, report
    assert size < MAX_BYTES, report
    assert largest < MAX_PAYLOAD_BYTES, report
    # The pack (read once, by the load_pack activity) is the only bulky payload: no
    # status, pack or start request is copied into activity inputs or results.
    # The workflow's own answer (its status, with each stage's timescale in words) is the
    # result, not a copy: it is left out.
    bulky = [
        p
        for p, n in payloads
        if n > BULKY_BYTES and "workflow_execution_completed_event_attributes" not in p
    ]
    assert len(bulky) <= 1, (report, bulky)
    load_pack = [
        e
        for e in history.events
        if e.activity_task_scheduled_event_attributes.activity_type.name == "load_pack"
    ]
    assert len(load_pack) == 1, "the pack is loaded once per case"
