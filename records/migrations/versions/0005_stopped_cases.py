"""Stopped cases: a case whose workflow Temporal no longer runs, with why and when.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

Hand-written in 0001's style. ``escalation reconcile`` marks a case the record
holds open, but whose workflow was terminated, failed, timed out or was
cancelled, as ``stopped``: both case tables accept the new state and gain
``stopped_at`` (Temporal's close time) and ``stop_reason`` (its close status and
reason). On SQLite the CHECK constraint is replaced by rebuilding the table
(batch mode); PostgreSQL alters it in place.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATES = {
    "disagreements": ("open", "resolved", "closed"),
    "practice_alerts": ("open", "awaiting_finalisation", "finalised"),
}
"""Each case table's states before this revision; ``stopped`` is added to them."""


def _check(states: Sequence[str]) -> str:
    return "state IN (" + ", ".join(f"'{s}'" for s in states) + ")"


def upgrade() -> None:
    """Accept ``stopped`` and add when and why on both case tables."""
    for table, states in STATES.items():
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True))
            batch.add_column(sa.Column("stop_reason", sa.Text(), nullable=True))
            batch.drop_constraint(op.f(f"ck_{table}_state"), type_="check")
            batch.create_check_constraint(op.f(f"ck_{table}_state"), _check([*states, "stopped"]))


def downgrade() -> None:
    """Back to the earlier states; a stopped case is open again (nothing else would fit)."""
    for table, states in STATES.items():
        op.execute(sa.text(f"UPDATE {table} SET state = 'open' WHERE state = 'stopped'"))
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f"ck_{table}_state"), type_="check")
            batch.create_check_constraint(op.f(f"ck_{table}_state"), _check(states))
            batch.drop_column("stop_reason")
            batch.drop_column("stopped_at")
