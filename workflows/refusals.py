"""Refused inputs, kept so nothing is silently lost, and summarised so a flood is bounded.

Every refused signal or update is counted and the latest ``KEEP`` are kept whole in
the status; the first ``ROWS_PER_RUN`` of each run are written to the record one by
one, the rest counted by name and written as one summary row when the case hands
over to its next run or closes. So a caller sending ten thousand bad signals leaves
a readable record and a status of bounded size, and the case goes on.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.carry import RefusalCarry
    from models.status import RejectedInput
    from workflows.text import truncate

KEEP = 50
"""Refused inputs kept whole in the status."""

ROWS_PER_RUN = 50
"""Refused inputs written to the record one by one in each run; the rest are counted."""


class Refusals:
    """The refused inputs of one case across its runs."""

    def __init__(self, carried: RefusalCarry | None = None) -> None:
        carried = carried or RefusalCarry()
        self.kept = list(carried.kept)
        self.total = carried.total
        self.unrecorded = dict(carried.unrecorded)
        self._rows = 0

    def add(self, name: str, payload: str, error: str) -> bool:
        """Count a refusal; True when it should have a record row of its own."""
        workflow.logger.warning("refused %s: %s", name, truncate(error, 200))
        self.total += 1
        self.kept.append(
            RejectedInput(at=workflow.now(), name=name, error=error, payload=truncate(payload))
        )
        del self.kept[:-KEEP]
        if self._rows < ROWS_PER_RUN:
            self._rows += 1
            return True
        self.unrecorded[name] = self.unrecorded.get(name, 0) + 1
        return False

    def summary(self) -> str | None:
        """The refusals not recorded one by one since the last summary (then forgotten)."""
        if not self.unrecorded:
            return None
        count = sum(self.unrecorded.values())
        kinds = ", ".join(f"{name}: {n:,}" for name, n in sorted(self.unrecorded.items()))
        self.unrecorded = {}
        return (
            f"{count:,} further refused input(s) not recorded one by one ({kinds}); "
            f"the latest {KEEP} are in the case's status"
        )

    def carry(self) -> RefusalCarry:
        """What the next run starts from."""
        return RefusalCarry(
            kept=list(self.kept), total=self.total, unrecorded=dict(self.unrecorded)
        )
