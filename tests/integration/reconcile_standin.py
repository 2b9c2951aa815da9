"""A workflow that continues-as-new once and then waits: a case that is *not* stopped.

Its own module so the workflow sandbox imports only this. Reconcile describes a
workflow id without a run id, which answers for the latest run: this one's first
run closed as CONTINUED_AS_NEW, but the id is running.
"""

from __future__ import annotations

from temporalio import workflow


@workflow.defn(name="ContinuesOnce")
class ContinuesOnce:
    """Generation 0 continues as generation 1, which waits until terminated."""

    @workflow.run
    async def run(self, generation: int) -> None:
        """Continue-as-new once, then wait."""
        if generation == 0:
            workflow.continue_as_new(1)
        await workflow.wait_condition(lambda: False)
