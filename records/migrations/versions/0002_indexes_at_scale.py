"""Indexes for the records at scale: the reads of issue 17, measured by ``python -m bench.records``.

Each index serves a read that scanned a whole table once a deployment held years
of cases (100,000 disagreements, 1.2 million steps on the bench):

- ``steps (workflow_id, key)``: a case's steps in the order they were written, which
  the record, the quarterly report and ``record_step`` (the latest confirmation due)
  all ask for. It replaces ``ix_steps_workflow_id``, whose column leads it, so a step
  written at 17:00 updates no more indexes than before.
- ``steps (kind, at, workflow_id)``: the report's "over before the quarter began"
  (a ``closed`` or ``stopped`` step before its start), read from the index alone
  instead of every step.
- ``disagreements (state)``, ``practice_alerts (state)``: the reconcile sweep every 15
  minutes (the open cases; the stopped ones), a few rows among all the closed ones.
- ``notifications (status)``: the worker's pending-emails gauge, counted at every
  Prometheus scrape by every worker replica, among all the emails ever sent.
- ``disagreements (raised_at)``, ``practice_alerts (raised_at)``: the report's quarter
  and the tracker's window, raised before or between two moments.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES: dict[str, tuple[str, list[str]]] = {
    "ix_steps_workflow_id_key": ("steps", ["workflow_id", "key"]),
    "ix_steps_kind_at": ("steps", ["kind", "at", "workflow_id"]),
    "ix_disagreements_state": ("disagreements", ["state"]),
    "ix_disagreements_raised_at": ("disagreements", ["raised_at"]),
    "ix_practice_alerts_state": ("practice_alerts", ["state"]),
    "ix_practice_alerts_raised_at": ("practice_alerts", ["raised_at"]),
    "ix_notifications_status": ("notifications", ["status"]),
}
"""Name → table and columns (the names ``records.schema`` gives them)."""


def upgrade() -> None:
    """Create the indexes; drop the single-column one the composite makes redundant."""
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)
    op.drop_index("ix_steps_workflow_id", table_name="steps")


def downgrade() -> None:
    """Back to 0001's indexes."""
    op.create_index("ix_steps_workflow_id", "steps", ["workflow_id"])
    for name, (table, _) in INDEXES.items():
        op.drop_index(name, table_name=table)
