"""Practice alerts (Rutland): the alert row and its steps (responses, stages, finalisation).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

Hand-written in 0001's style: the UNIQUE ``workflow_id`` and step ``key`` make
a retried activity a no-op; the same DDL runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _ts(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Create practice_alerts and alert_steps with their named constraints and indexes."""
    op.create_table(
        "practice_alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workflow_id", sa.String(255), nullable=False),
        sa.Column("case_reference", sa.String(64), nullable=False),
        sa.Column("procedure", sa.String(64), nullable=False),
        sa.Column("reason_code", sa.String(64), nullable=False),
        sa.Column("reason_title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("agreed_action", sa.Text(), nullable=False),
        sa.Column("raised_by", sa.String(255), nullable=False),
        sa.Column("raised_by_email", sa.String(254), nullable=False),
        _ts("raised_at"),
        sa.Column("start_stage", sa.String(64), nullable=False),
        sa.Column("serious_or_urgent", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(32), server_default="open", nullable=False),
        sa.Column("current_stage", sa.String(64), nullable=True),
        _ts("finalised_at", nullable=True),
        sa.Column("finalised_by", sa.String(255), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_alerts")),
        sa.UniqueConstraint("workflow_id", name=op.f("uq_practice_alerts_workflow_id")),
        sa.CheckConstraint(
            "state IN ('open', 'awaiting_finalisation', 'finalised')",
            name=op.f("ck_practice_alerts_state"),
        ),
    )
    op.create_index(
        op.f("ix_practice_alerts_case_reference"), "practice_alerts", ["case_reference"]
    )
    op.create_index(op.f("ix_practice_alerts_reason_code"), "practice_alerts", ["reason_code"])

    op.create_table(
        "alert_steps",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("workflow_id", sa.String(255), nullable=False),
        sa.Column("case_reference", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("stage_id", sa.String(64), nullable=True),
        sa.Column("actor", sa.String(255), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        _ts("at"),
        _ts("due_at", nullable=True),
        sa.Column("in_time", sa.Boolean(), nullable=True),
        sa.Column("data", JSON, nullable=False),
        _ts("recorded_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_steps")),
        sa.UniqueConstraint("key", name=op.f("uq_alert_steps_key")),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["practice_alerts.workflow_id"],
            name=op.f("fk_alert_steps_workflow_id_practice_alerts"),
        ),
    )
    op.create_index(op.f("ix_alert_steps_workflow_id"), "alert_steps", ["workflow_id"])
    op.create_index(op.f("ix_alert_steps_case_reference"), "alert_steps", ["case_reference"])


def downgrade() -> None:
    """Drop everything this revision created (children first)."""
    op.drop_table("alert_steps")
    op.drop_table("practice_alerts")
