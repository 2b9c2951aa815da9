"""The bare workflows: start, wait for one signal (or one timer), run one activity, finish.

Written the way the product's workflow is (models passed through the sandbox,
the activity called by name), so the comparison is between the product's logic
and none, not between two ways of using the SDK.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from bench.bare_models import (
        BareDecision,
        BareDue,
        BareRow,
        BareStart,
        BareTimerStart,
    )


@workflow.defn(name="BareCase")
class BareCase:
    """Wait for one decision, record it, finish."""

    def __init__(self) -> None:
        self._decision: BareDecision | None = None

    @workflow.run
    async def run(self, start: BareStart) -> None:
        """Start, one signal, one activity."""
        await workflow.wait_condition(lambda: self._decision is not None)
        assert self._decision is not None
        await workflow.execute_activity(
            "bare_record",
            BareRow(key=start.key, by=self._decision.by),
            start_to_close_timeout=timedelta(seconds=30),
        )

    @workflow.signal(name="decide")
    def decide(self, decision: BareDecision) -> None:
        """The one decision."""
        self._decision = decision


@workflow.defn(name="BareTimer")
class BareTimer:
    """The burst's bare side: a timer to the shared deadline, then one row (``bench.burst``)."""

    def __init__(self) -> None:
        self._due: BareDue | None = None

    @workflow.run
    async def run(self, start: BareTimerStart) -> None:
        """Start, told the deadline, one timer to it, one activity."""
        await workflow.wait_condition(lambda: self._due is not None)
        assert self._due is not None
        delay = self._due.at - workflow.now()
        if delay > timedelta(0):
            await workflow.sleep(delay)
        await workflow.execute_activity(
            "bare_record",
            BareRow(key=start.key, by="deadline"),
            start_to_close_timeout=timedelta(seconds=30),
        )

    @workflow.signal(name="due")
    def due(self, due: BareDue) -> None:
        """The shared deadline."""
        self._due = due
