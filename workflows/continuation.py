"""When a case continues as new, and the wait that lets it hand over cleanly.

Temporal terminates a workflow whose history passes 50 MB or 51,200 events, and a
case can wait for months while anyone may signal it: a flood of refused signals
(each kept in history whole, up to the server's blob size limit) would end the case
with "history size exceeds limit". So a case continues as new, under the same
workflow id, carrying its whole state (``models/carry.py``), well before that:

- when Temporal suggests it (``is_continue_as_new_suggested``), or
- when its history passes ``HISTORY_BYTES_LIMIT`` bytes or ``HISTORY_EVENTS_LIMIT``
  events, whichever comes first.

A normal case stays far below both (a Redbridge case confirmed at its last stage has
under 150 events and 200 KB), so only a flood or a case of years continues. Clients
keep using the workflow id (never a run id), so every client, the decision page and
the Web UI follow the case into its new run.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, ValidationError

    from workflows.inputs import wait_for_input

M = TypeVar("M", bound=BaseModel)

HISTORY_BYTES_LIMIT = 2 * 1024 * 1024
"""2 MiB of history: a twenty-fifth of Temporal's 50 MB limit."""

HISTORY_EVENTS_LIMIT = 5_000
"""5,000 events: a tenth of Temporal's 51,200-event limit."""

SETTLE = timedelta(minutes=1)
"""How long the hand-over waits for emails and record writes in flight to finish; what
has not finished by then is carried and done again by the next run (same keys)."""


def due() -> bool:
    """Whether this run's history is large enough to hand over to a new run."""
    info = workflow.info()
    return (
        info.is_continue_as_new_suggested()
        or info.get_current_history_size() >= HISTORY_BYTES_LIMIT
        or info.get_current_history_length() >= HISTORY_EVENTS_LIMIT
    )


def continued() -> bool:
    """Whether this run was started by a continue-as-new (not by a caller)."""
    return workflow.info().continued_run_id is not None


async def settle(quiet: Callable[[], bool], interrupted: Callable[[], bool]) -> bool:
    """Wait up to ``SETTLE`` for ``quiet()``; False if ``interrupted()`` came first.

    ``interrupted`` is a decision arriving meanwhile: the caller applies it first and
    decides again, so no update is left waiting across the hand-over.
    """
    if interrupted():
        return False
    if quiet() and workflow.all_handlers_finished():
        return True
    try:
        await workflow.wait_condition(
            lambda: interrupted() or (quiet() and workflow.all_handlers_finished()),
            timeout=SETTLE,
        )
    except TimeoutError:
        pass
    return not interrupted() and workflow.all_handlers_finished()


def checked(request: M) -> M | None:
    """``request`` if the next run can read it back, else None (and a warning).

    The next run's input is validated when its first workflow task decodes it; a
    state it could not read would fail that task on every retry, and the case would
    stop. So the hand-over is proved here first, and refused if it would not round-trip:
    the case then runs on in this run, which is safe, if larger.
    """
    try:
        type(request).model_validate_json(request.model_dump_json())
    except ValidationError as exc:
        workflow.logger.warning("continue-as-new refused, state would not round-trip: %s", exc)
        return None
    return request


class HandsOver:
    """What both workflows share to continue as new: the wait that wakes for it, the hand-over.

    The case kernel (``workflows.kernel``) mixes this in and provides ``_decisions_waiting``
    and ``_quiet`` (nothing being written or sent); each workflow provides
    ``_carry_request`` (its start request carrying its whole state), built on the ledger's
    ``_carried``, which sets ``_handing_over`` so the recorder starts no write the
    hand-over would strand.
    """

    _stay: bool = False
    """True once a hand-over was refused: the case runs on in this run for good."""
    _handing_over: bool = False

    def _quiet(self) -> bool:
        raise NotImplementedError

    def _decisions_waiting(self) -> bool:
        raise NotImplementedError

    def _carry_request(self) -> BaseModel:
        raise NotImplementedError

    async def _wait_until(self, wake: datetime | None) -> None:
        """Sleep until ``wake`` (a durable timer), a decision arrives, or the history is full."""
        await wait_for_input(lambda: self._decisions_waiting() or (due() and not self._stay), wake)

    async def _continue_if_due(self) -> None:
        """Hand the case to a new run when its history is large.

        Only between decisions: with none waiting and every handler finished, after up
        to a minute for emails and record writes in flight; a decision arriving
        meanwhile is applied first. Raises ``ContinueAsNewError`` (the run ends there).
        """
        if self._stay or not due() or self._decisions_waiting():
            return
        if await settle(self._quiet, lambda: self._decisions_waiting()):
            nxt = checked(self._carry_request())
            if nxt is None:
                # The case runs on in this run (rows are written again) and stops trying.
                self._handing_over, self._stay = False, True
                return
            workflow.continue_as_new(nxt)
