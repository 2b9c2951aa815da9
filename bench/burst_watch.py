"""What ``python -m bench.burst`` watches while the deadlines fire: rows, mail, processes.

A case counts as escalated when both halves are there: its rows in the database
(seen by polling, stamped with the time they were first seen) and its stage-2
email accepted by the relay (stamped by the relay itself as it accepts). The
deadline is an instant on the wall clock, which the dev server keeps too, so
every figure is seconds after that instant. The processes' CPU and memory are
read with psutil at the deadline and as the burst runs; the histories say what
one escalation cost in workflow tasks and activities, and where its time went.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from typing import Any

import psutil
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from bench.measure import percentile
from starter.smtp_sink import SmtpSink

MIB = 1024 * 1024


class StampingSink(SmtpSink):
    """The relay, noting for each accepted message when (wall clock), for which case, what.

    Only the headers are parsed: the sink shares the machine's two cores with the
    worker, so it does no more than a relay's acknowledgement needs.
    """

    def __init__(self) -> None:
        super().__init__()
        self.stamps: list[tuple[float, str, str, str]] = []
        """(accepted at, case reference, kind, subject), in arrival order."""
        self._lock = threading.Lock()
        self._parser = BytesHeaderParser()

    def accept(
        self,
        raw: bytes,
        rcpt_tos: list[str],
        mail_from: str,
        *,
        tls: bool = False,
        login: str | None = None,
    ) -> None:
        """Stamp the message (called by the SMTP handler, in the sink's own thread)."""
        at = time.time()
        headers = self._parser.parsebytes(raw)
        entry = (
            at,
            str(headers.get("X-Escalation-Case", "")),
            str(headers.get("X-Escalation-Kind", "")),
            str(headers.get("Subject", "")),
        )
        with self._lock:
            self.stamps.append(entry)

    def accepted(self, kind: str, subject_has: str) -> dict[str, float]:
        """Each case's first message of ``kind`` whose subject has ``subject_has``: when."""
        with self._lock:
            stamps = list(self.stamps)
        seen: dict[str, float] = {}
        for at, case, k, subject in stamps:
            if k == kind and subject_has in subject and case not in seen:
                seen[case] = at
        return seen


@dataclass
class Stamped:
    """When each case was first seen done (wall clock), per half of 'escalated'."""

    recorded: dict[str, float] = field(default_factory=dict)
    emailed: dict[str, float] = field(default_factory=dict)


async def watch(
    cases: int,
    rows: Callable[[], Awaitable[set[str]]],
    emails: Callable[[], dict[str, float]] | None,
    procs: ProcSampler,
    timeout: float,  # noqa: ASYNC109 - a bounded wait
    every: float = 0.25,
) -> Stamped:
    """Poll until every case is recorded (and emailed, if ``emails``) or ``timeout`` passes."""
    import asyncio

    stamped = Stamped()
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        now = time.time()
        for key in await rows():
            stamped.recorded.setdefault(key, now)
        if emails is not None:
            stamped.emailed = emails()
        procs.sample()
        done = len(stamped.recorded) >= cases and (emails is None or len(stamped.emailed) >= cases)
        if done:
            break
        await asyncio.sleep(every)
    return stamped


def seconds_after(deadline: float, stamps: dict[str, float], cases: int) -> dict[str, Any]:
    """Seconds from the deadline until 50%, 95% and 100% of ``cases`` were done."""
    after = [max(0.0, t - deadline) for t in stamps.values()]
    figures: dict[str, Any] = {"done": len(after)}
    for p in (50, 95, 100):
        needed = max(1, -(-cases * p // 100))  # ceil
        figures[f"p{p}_s"] = round(sorted(after)[needed - 1], 2) if len(after) >= needed else None
    return figures


def escalated(stamped: Stamped, with_email: bool) -> dict[str, float]:
    """When each case had both halves: its rows and (``with_email``) its email."""
    if not with_email:
        return dict(stamped.recorded)
    both = stamped.recorded.keys() & stamped.emailed.keys()
    return {k: max(stamped.recorded[k], stamped.emailed[k]) for k in both}


class ProcSampler:
    """CPU seconds and resident memory of the workers and the server over the burst."""

    def __init__(self, workers: list[psutil.Process], server: psutil.Process | None) -> None:
        self.workers = workers
        self.server = server
        self._cpu0: list[float] = []
        self._server0 = 0.0
        self._t0 = 0.0
        self.rss_start = [0.0 for _ in workers]
        self.rss_peak = [0.0 for _ in workers]

    @staticmethod
    def _cpu(p: psutil.Process) -> float:
        t = p.cpu_times()
        return float(t.user + t.system)

    def start(self) -> None:
        """Take the baseline, at the deadline."""
        self._t0 = time.monotonic()
        self._cpu0 = [self._cpu(p) for p in self.workers]
        self._server0 = self._cpu(self.server) if self.server else 0.0
        self.rss_start = [p.memory_info().rss / MIB for p in self.workers]
        self.rss_peak = list(self.rss_start)

    def sample(self) -> None:
        """Note each worker's memory (the peak is what a host must hold)."""
        for i, p in enumerate(self.workers):
            self.rss_peak[i] = max(self.rss_peak[i], p.memory_info().rss / MIB)

    def report(self) -> dict[str, Any]:
        """CPU seconds since the baseline (and as a share of one core), memory at start and peak."""
        wall = max(1e-6, time.monotonic() - self._t0)
        cpu = [self._cpu(p) - c0 for p, c0 in zip(self.workers, self._cpu0, strict=True)]
        server = self._cpu(self.server) - self._server0 if self.server else 0.0
        return {
            "wall_s": round(wall, 2),
            "worker_cpu_s": [round(c, 2) for c in cpu],
            "worker_cpu_percent_of_one_core": [round(100 * c / wall, 1) for c in cpu],
            "worker_rss_at_deadline_mib": [round(r, 1) for r in self.rss_start],
            "worker_rss_peak_mib": [round(r, 1) for r in self.rss_peak],
            "server_cpu_s": round(server, 2),
            "server_cpu_percent_of_one_core": round(100 * server / wall, 1),
        }


def _ms(a: Any, b: Any) -> float:
    return float((b.ToDatetime() - a.ToDatetime()).total_seconds() * 1000)


async def after_timer(client: Client, workflow_ids: list[str]) -> dict[str, Any]:
    """What one escalation cost, from the histories of ``workflow_ids`` after their last timer.

    Counts the workflow tasks, activities by type and local activities (markers) that
    followed the deadline's timer, and the waits between them: how long a task sat in
    the queue before a worker took it (schedule-to-start), and how long each activity
    ran. Medians over the sampled cases.
    """
    counts: dict[str, list[float]] = {}
    waits: dict[str, list[float]] = {}

    def add(into: dict[str, list[float]], key: str, value: float) -> None:
        into.setdefault(key, []).append(value)

    for wid in workflow_ids:
        events = [e async for e in client.get_workflow_handle(wid).fetch_history_events()]
        fired = [
            i for i, e in enumerate(events) if e.event_type == EventType.EVENT_TYPE_TIMER_FIRED
        ]
        if not fired:
            continue
        tail = events[fired[-1] :]
        per: dict[str, float] = {}
        scheduled: dict[int, Any] = {}
        names: dict[int, str] = {}
        for e in tail:
            name = EventType.Name(e.event_type).removeprefix("EVENT_TYPE_").lower()
            per[name] = per.get(name, 0) + 1
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                kind = e.activity_task_scheduled_event_attributes.activity_type.name
                per[f"activity:{kind}"] = per.get(f"activity:{kind}", 0) + 1
                scheduled[e.event_id] = e.event_time
                names[e.event_id] = kind
            elif e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
                sid = e.activity_task_started_event_attributes.scheduled_event_id
                add(waits, f"{names[sid]} schedule-to-start ms", _ms(scheduled[sid], e.event_time))
                scheduled[-sid] = e.event_time
            elif e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
                sid = e.activity_task_completed_event_attributes.scheduled_event_id
                add(waits, f"{names[sid]} run ms", _ms(scheduled[-sid], e.event_time))
            elif e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
                scheduled[e.event_id] = e.event_time
            elif e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
                sid = e.workflow_task_started_event_attributes.scheduled_event_id
                add(waits, "workflow task schedule-to-start ms", _ms(scheduled[sid], e.event_time))
                scheduled[-sid] = e.event_time
            elif e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
                sid = e.workflow_task_completed_event_attributes.scheduled_event_id
                add(waits, "workflow task run ms", _ms(scheduled[-sid], e.event_time))
        add(waits, "timer fired to last event ms", _ms(tail[0].event_time, tail[-1].event_time))
        for key, value in per.items():
            add(counts, key, value)
    return {
        "sampled": len(workflow_ids),
        "events_after_timer": {k: statistics.median(v) for k, v in sorted(counts.items())},
        "median_ms": {k: round(statistics.median(v), 1) for k, v in sorted(waits.items())},
        "p95_ms": {k: round(percentile(v, 95), 1) for k, v in sorted(waits.items())},
    }
