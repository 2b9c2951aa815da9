"""Alembic migrations for the escalation record (hand-written; see ``records.db.upgrade``)."""
