"""What every case does whatever its procedure: keys, the record, emails, refusals, hand-over.

Both workflows (a disagreement, a practice alert) write their record beside the timeline
in batches, send their emails beside it, count and record what they refuse, and hand
over to a new run when their history is large (``workflows/continuation.py``). That
plumbing lives here once; a workflow class says only what its procedure means, plus the
few things the kernel asks of it: how a batch of its rows is written
(``_write_rows``), how a refusal is recorded (``_refusal_row``), and whether decisions
are waiting (``_decisions_waiting``). Deterministic like all workflow code.
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.notifications import Notification
    from workflows import steps
    from workflows.continuation import HandsOver
    from workflows.refusals import Refusals
    from workflows.text import truncate


class CaseKernel(HandsOver):
    """The plumbing every case shares; subclasses call ``_init_kernel`` in ``__init__``."""

    def _init_kernel(self) -> None:
        self._refusals = Refusals()
        self._failures: list[str] = []
        self._records: list[Any] = []
        self._writing: list[Any] = []
        self._recording = True
        self._handing_over = False
        self._stay = False  # True once a hand-over was refused (workflows/continuation.py)
        self._sends: list[asyncio.Task[None]] = []
        self._unsent: dict[str, Notification] = {}
        self._seq = 0
        self._runs = 0

    # ------------------------------------------------------------- asked of the case

    async def _write_rows(self, batch: list[Any]) -> None:
        """Write one batch of this case's record rows (an activity, idempotent by key)."""
        raise NotImplementedError

    def _refusal_row(self, text: str, payload: str | None) -> None:
        """Queue the record row of a refusal (or of a summary of refusals)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ the kernel

    def _next_key(self, prefix: str) -> str:
        # Workflow id, not run id: a retried or replayed step maps to the same row or email.
        self._seq += 1
        return f"{workflow.info().workflow_id}/{prefix}-{self._seq:04d}"

    def _quiet(self) -> bool:
        """Nothing being written or sent: the moment to hand over without repeating a step."""
        return not self._records and not self._writing and not self._unsent

    async def _recorder(self) -> None:
        """Write the queued rows in order, everything queued meanwhile in one activity."""
        while True:
            # Once the case hands over (continue-as-new), rows wait for the next run: a write
            # scheduled in the same workflow task as the hand-over would never run.
            await workflow.wait_condition(
                lambda: (bool(self._records) and not self._handing_over) or not self._recording
            )
            if not self._records:
                return
            batch, self._records = steps.take_batch(self._records)
            self._writing = batch  # carried if the case continues as new meanwhile
            await self._write_rows(batch)
            self._writing = []

    def _mail(self, n: Notification) -> None:
        """Send ``n`` beside the timeline; a failure is listed, never fatal."""
        self._unsent[n.key] = n
        self._sends.append(asyncio.create_task(self._send(n)))

    def _resume_sending(self) -> None:
        """Send again what the previous run handed over unsent (the keys make it idempotent)."""
        for n in self._unsent.values():
            self._sends.append(asyncio.create_task(self._send(n)))

    async def _send(self, n: Notification) -> None:
        if (failure := await steps.send_beside(n)) is not None:
            self._failures.append(failure)
        self._unsent.pop(n.key, None)

    def _reject(self, name: str, payload: str, error: str) -> None:
        """Refuse an input: counted always, recorded one by one until a flood is summarised."""
        if self._refusals.add(name, payload, error):
            self._refusal_row(f"{name}: {error}", truncate(payload))

    def _record_refusal_summary(self) -> None:
        """The refusals not recorded one by one since the last summary, in one row."""
        if (summary := self._refusals.summary()) is not None:
            self._refusal_row(summary, None)
