"""What a case keeps: its record rows, its emails, its refusals, and what it hands over.

Every case writes its record beside the timeline, in batches (one activity for what
was queued meanwhile), sends its emails beside it (a failure is listed, never fatal),
counts every refused input and records them one by one until a flood is summarised,
and, on continue-as-new, carries what is unwritten and unsent to its next run, where
the same keys make each write and email idempotent. ``workflows.kernel`` builds the
case's run on this. Deterministic like all workflow code.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Any, ClassVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel

    from models.common import Person
    from models.notifications import Notification
    from models.pack import PolicyPack
    from models.status import DeadlineChange
    from workflows import steps
    from workflows.continuation import HandsOver
    from workflows.refusals import Refusals
    from workflows.text import truncate


class CaseLedger(HandsOver):
    """Record rows, emails, refusals and the hand-over of a case."""

    ROW: ClassVar[type[BaseModel]]
    """The model of one of the case's record rows."""
    OPENED: ClassVar[type[BaseModel]]
    """The model of the case's own row (written once, when it opens)."""

    def _init_ledger(self, case_reference: str) -> None:
        self._case_reference = case_reference
        self._pack: PolicyPack | None = None
        self._closures: list[date] = []
        self._changes: list[DeadlineChange] = []
        self._refusals = Refusals()
        self._failures: list[str] = []
        self._records: list[Any] = []
        self._writing: list[Any] = []
        self._recording = True
        self._handing_over = False
        self._stepping = False  # True while the kernel runs one step (recorder waits)
        self._sends: list[asyncio.Task[None]] = []
        self._unsent: dict[str, Notification] = {}
        self._seq = 0
        self._runs = 0

    # ------------------------------------------------------------- asked of the case

    def _stage_id(self) -> str | None:
        raise NotImplementedError

    def _person(self, role: str) -> Person | None:
        """Who holds ``role`` in this case, if the start request names them."""
        raise NotImplementedError

    async def _write_rows(self, batch: list[Any]) -> None:
        """Write one batch of this case's record rows (an activity, idempotent by key)."""
        raise NotImplementedError

    # --------------------------------------------------------------------- views

    def _pack_(self) -> PolicyPack:
        assert self._pack is not None, "pack not loaded yet"
        return self._pack

    def _holder_text(self, role: str) -> str:
        """A role as people read it: its title, and the person named for it."""
        title = self._pack_().role_title(role)
        person = self._person(role)
        return f"{title} ({person.name})" if person else title

    # ------------------------------------------------------------------ hand-over

    def _restore_kernel(self, c: Any) -> None:
        """Take up what every case carries across a continue-as-new (``_carried``)."""
        self._runs, self._seq = c.runs, c.seq
        self._closures, self._changes = list(c.closures), list(c.changes)
        self._refusals, self._failures = Refusals(c.refusals), list(c.failures)
        self._records = [*([c.opened] if c.opened else []), *c.steps]
        self._unsent = {n.key: n for n in c.mail}

    def _carried(self) -> dict[str, Any]:
        """What every case carries to its next run: unwritten rows and unsent mail too.

        Stops the recorder starting a write the hand-over would strand, and records the
        refusals not yet summarised, so the next run starts with nothing owed.
        """
        self._handing_over = True
        self._record_refusal_summary()
        rows = [*self._writing, *self._records]
        opened = [r for r in rows if isinstance(r, self.OPENED)]
        return {
            "runs": self._runs + 1,
            "seq": self._seq,
            "current": self._stage_id(),
            "closures": self._closures,
            "changes": self._changes,
            "refusals": self._refusals.carry(),
            "failures": self._failures,
            "opened": opened[0] if opened else None,
            "steps": [r for r in rows if isinstance(r, self.ROW)],
            "mail": list(self._unsent.values()),
        }

    def _record(
        self,
        kind: str,
        *,
        stage_id: str | None = None,
        actor: str | None = None,
        text: str | None = None,
        due_at: datetime | None = None,
        state: str | None = None,
        data: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        """Queue one record row (``ROW``); the recorder writes rows in order beside the
        timeline. A row with a ``state`` also names the stage the case is at."""
        self._records.append(
            self.ROW(
                key=self._next_key("step"),
                workflow_id=workflow.info().workflow_id,
                case_reference=self._case_reference,
                kind=kind,
                at=workflow.now(),
                stage_id=stage_id,
                actor=actor,
                text=text,
                due_at=due_at,
                state=state,
                current_stage=self._stage_id() if state is not None else None,
                data=data or {},
                **extra,
            )
        )

    # -------------------------------------------------------- record and mail

    def _split(self, batch: list[Any]) -> tuple[Any, list[Any]]:
        """A batch as the record activity takes it: the case's own row (if in it), the steps."""
        opened = [r for r in batch if isinstance(r, self.OPENED)]
        return (opened[0] if opened else None), [r for r in batch if isinstance(r, self.ROW)]

    def _next_key(self, prefix: str) -> str:
        # Workflow id, not run id: a retried or replayed step maps to the same row or email.
        self._seq += 1
        return f"{workflow.info().workflow_id}/{prefix}-{self._seq:04d}"

    def _quiet(self) -> bool:
        """Nothing being written or sent: the moment to hand over without repeating a step."""
        return not self._records and not self._writing and not self._unsent

    async def _recorder(self) -> None:
        """Write the queued rows in order, everything queued meanwhile in one activity;
        never in the middle of a step, so a step's rows go in one write."""
        while True:
            # Once the case hands over (continue-as-new), rows wait for the next run: a write
            # scheduled in the same workflow task as the hand-over would never run. Mid-step
            # (awaiting a deadline plan) rows wait for the rest of the step's.
            await workflow.wait_condition(
                lambda: (
                    (bool(self._records) and not self._handing_over and not self._stepping)
                    or not self._recording
                )
            )
            if not self._records:
                return
            batch, self._records = steps.take_batch(self._records)
            self._writing = batch  # carried if the case continues as new meanwhile
            await self._write_rows(batch)
            self._writing = []

    def _mail_out(
        self,
        kind: str,
        headline: str,
        lines: list[str],
        due_at: datetime | None,
        to: list[Person],
        cc: list[Person],
        **fields: Any,
    ) -> None:
        """Send one email about this case beside the timeline (``_mail``); ``fields`` are
        the procedure's own (the stage a decision link is for, who decides, ...)."""
        pack = self._pack_()
        self._mail(
            Notification(
                key=self._next_key("mail"),
                workflow_id=workflow.info().workflow_id,
                case_reference=self._case_reference,
                kind=kind,
                partnership=pack.partnership,
                timezone=pack.calendar.timezone,
                headline=headline,
                lines=lines,
                due_at=due_at,
                to=to,
                cc=cc,
                **fields,
            )
        )

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

    def _refusal_row(self, text: str, payload: str | None) -> None:
        self._record(
            "rejected_input",
            stage_id=self._stage_id(),
            text=text,
            data={"payload": payload} if payload is not None else None,
        )

    def _record_refusal_summary(self) -> None:
        """The refusals not recorded one by one since the last summary, in one row."""
        if (summary := self._refusals.summary()) is not None:
            self._refusal_row(summary, None)
