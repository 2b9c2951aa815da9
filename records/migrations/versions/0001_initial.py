"""The records schema of 1.0, in one revision (0001 to 0005 of before 1.0, squashed).

Nothing was deployed before 1.0, so the five steps the schema grew by are one revision
now; each step below is the original migration, run in order (and undone in reverse):

1. Initial schema: disagreements, their steps and the email outbox.
2. Practice alerts (Rutland): the alert row and its steps (responses, stages, finalisation).
3. Decisions, written confirmations, learning items and the contact directory.
4. Partnership closure days: days a partnership is closed besides bank holidays.
5. Stopped cases: a case whose workflow Temporal no longer runs, with why and when.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import SchemaItem

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


# ---- step 1: Initial schema: disagreements, their steps and the email outbox.
def _ts_1(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _upgrade_1() -> None:
    """Create the three tables with their named constraints and indexes."""
    op.create_table(
        "disagreements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workflow_id", sa.String(255), nullable=False),
        sa.Column("case_reference", sa.String(64), nullable=False),
        sa.Column("procedure", sa.String(64), nullable=False),
        sa.Column("ladder", sa.String(64), nullable=False),
        sa.Column("partnership", sa.String(255), nullable=False),
        sa.Column("raising_agency", sa.String(255), nullable=False),
        sa.Column("receiving_agency", sa.String(255), nullable=False),
        sa.Column("nature", sa.Text(), nullable=False),
        sa.Column("risk_to_child", sa.Text(), nullable=False),
        sa.Column("aim", sa.Text(), nullable=False),
        _ts_1("raised_at"),
        sa.Column("raised_late", sa.Boolean(), nullable=False),
        sa.Column("immediate_risk", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(16), server_default="open", nullable=False),
        sa.Column("current_stage", sa.String(64), nullable=True),
        _ts_1("created_at"),
        _ts_1("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disagreements")),
        sa.UniqueConstraint("workflow_id", name=op.f("uq_disagreements_workflow_id")),
        sa.CheckConstraint(
            "state IN ('open', 'resolved', 'closed')", name=op.f("ck_disagreements_state")
        ),
    )
    op.create_index(op.f("ix_disagreements_case_reference"), "disagreements", ["case_reference"])

    op.create_table(
        "steps",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("workflow_id", sa.String(255), nullable=False),
        sa.Column("case_reference", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        _ts_1("at"),
        sa.Column("stage_id", sa.String(64), nullable=True),
        sa.Column("actor", sa.String(255), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        _ts_1("due_at", nullable=True),
        sa.Column("data", JSON, nullable=False),
        _ts_1("recorded_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_steps")),
        sa.UniqueConstraint("key", name=op.f("uq_steps_key")),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["disagreements.workflow_id"],
            name=op.f("fk_steps_workflow_id_disagreements"),
        ),
    )
    op.create_index(op.f("ix_steps_workflow_id"), "steps", ["workflow_id"])
    op.create_index(op.f("ix_steps_case_reference"), "steps", ["case_reference"])

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("workflow_id", sa.String(255), nullable=False),
        sa.Column("case_reference", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("recipients", JSON, nullable=False),
        sa.Column("cc", JSON, nullable=False),
        sa.Column("message_id", sa.String(255), nullable=True),
        sa.Column("status", sa.String(16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        _ts_1("created_at"),
        _ts_1("sent_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("key", name=op.f("uq_notifications_key")),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed', 'no_recipients')",
            name=op.f("ck_notifications_status"),
        ),
    )
    op.create_index(op.f("ix_notifications_workflow_id"), "notifications", ["workflow_id"])
    op.create_index(op.f("ix_notifications_case_reference"), "notifications", ["case_reference"])


def _downgrade_1() -> None:
    """Drop everything this revision created (children first)."""
    op.drop_table("notifications")
    op.drop_table("steps")
    op.drop_table("disagreements")


# ---- step 2: Practice alerts (Rutland): the alert row and its steps.
def _ts_2(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _upgrade_2() -> None:
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
        _ts_2("raised_at"),
        sa.Column("start_stage", sa.String(64), nullable=False),
        sa.Column("serious_or_urgent", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(32), server_default="open", nullable=False),
        sa.Column("current_stage", sa.String(64), nullable=True),
        _ts_2("finalised_at", nullable=True),
        sa.Column("finalised_by", sa.String(255), nullable=True),
        _ts_2("created_at"),
        _ts_2("updated_at"),
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
        _ts_2("at"),
        _ts_2("due_at", nullable=True),
        sa.Column("in_time", sa.Boolean(), nullable=True),
        sa.Column("data", JSON, nullable=False),
        _ts_2("recorded_at"),
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


def _downgrade_2() -> None:
    """Drop everything this revision created (children first)."""
    op.drop_table("alert_steps")
    op.drop_table("practice_alerts")


# ---- step 3: Decisions, written confirmations, learning items and the contact directory.
def _ts_3(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _case_columns_3(table: str) -> list[SchemaItem]:
    """The columns and constraints every per-step table shares: key, workflow, case."""
    return [
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("workflow_id", sa.String(255), nullable=False),
        sa.Column("case_reference", sa.String(64), nullable=False),
        sa.Column("stage_id", sa.String(64), nullable=True),
        sa.Column("actor", sa.String(255), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint("key", name=op.f(f"uq_{table}_key")),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["disagreements.workflow_id"],
            name=op.f(f"fk_{table}_workflow_id_disagreements"),
        ),
    ]


def _indexes_3(table: str) -> None:
    op.create_index(op.f(f"ix_{table}_workflow_id"), table, ["workflow_id"])
    op.create_index(op.f(f"ix_{table}_case_reference"), table, ["case_reference"])


def _upgrade_3() -> None:
    """Create decisions, confirmations, learning_items and contacts; extend the outbox."""
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("unfilled_roles", JSON, nullable=True))
    op.create_table(
        "decisions",
        *_case_columns_3("decisions"),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        _ts_3("at"),
        sa.Column("data", JSON, nullable=False),
        _ts_3("recorded_at"),
    )
    _indexes_3("decisions")

    op.create_table(
        "confirmations",
        *_case_columns_3("confirmations"),
        sa.Column("text", sa.Text(), nullable=True),
        _ts_3("at"),
        _ts_3("due_at", nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        _ts_3("recorded_at"),
    )
    _indexes_3("confirmations")

    op.create_table(
        "learning_items",
        *_case_columns_3("learning_items"),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("notify", sa.Text(), nullable=True),
        _ts_3("at"),
        _ts_3("recorded_at"),
    )
    _indexes_3("learning_items")

    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("partnership", sa.String(255), nullable=False),
        sa.Column("agency", sa.String(255), server_default="", nullable=False),
        sa.Column("role", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        _ts_3("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
        sa.UniqueConstraint(
            "partnership", "agency", "role", name=op.f("uq_contacts_partnership_agency_role")
        ),
    )


def _downgrade_3() -> None:
    """Drop everything this revision created."""
    op.drop_table("contacts")
    op.drop_table("learning_items")
    op.drop_table("confirmations")
    op.drop_table("decisions")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("unfilled_roles")


# ---- step 4: Partnership closure days: days a partnership is closed besides bank holidays.
def _upgrade_4() -> None:
    """Create calendar_closures with its named unique key and index."""
    op.create_table(
        "calendar_closures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("partnership", sa.String(255), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("added_by", sa.String(255), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_closures")),
        sa.UniqueConstraint(
            "partnership", "day", name=op.f("uq_calendar_closures_partnership_day")
        ),
    )


def _downgrade_4() -> None:
    """Drop the table (its constraints go with it)."""
    op.drop_table("calendar_closures")


# ---- step 5: Stopped cases: a case whose workflow Temporal no longer runs, with why and when.
STATES_5 = {
    "disagreements": ("open", "resolved", "closed"),
    "practice_alerts": ("open", "awaiting_finalisation", "finalised"),
}
"""Each case table's states before this revision; ``stopped`` is added to them."""


def _check_5(states: Sequence[str]) -> str:
    return "state IN (" + ", ".join(f"'{s}'" for s in states) + ")"


def _upgrade_5() -> None:
    """Accept ``stopped`` and add when and why on both case tables."""
    for table, states in STATES_5.items():
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True))
            batch.add_column(sa.Column("stop_reason", sa.Text(), nullable=True))
            batch.drop_constraint(op.f(f"ck_{table}_state"), type_="check")
            batch.create_check_constraint(op.f(f"ck_{table}_state"), _check_5([*states, "stopped"]))


def _downgrade_5() -> None:
    """Back to the earlier states; a stopped case is open again (nothing else would fit)."""
    for table, states in STATES_5.items():
        op.execute(sa.text(f"UPDATE {table} SET state = 'open' WHERE state = 'stopped'"))
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f"ck_{table}_state"), type_="check")
            batch.create_check_constraint(op.f(f"ck_{table}_state"), _check_5(states))
            batch.drop_column("stop_reason")
            batch.drop_column("stopped_at")


def upgrade() -> None:
    """Create the 1.0 schema from an empty database."""
    for step in (_upgrade_1, _upgrade_2, _upgrade_3, _upgrade_4, _upgrade_5):
        step()


def downgrade() -> None:
    """Drop everything, in the reverse order it was made."""
    for step in (_downgrade_5, _downgrade_4, _downgrade_3, _downgrade_2, _downgrade_1):
        step()
