"""Alembic migrations for the escalation record (hand-written, applied by ``records.db.upgrade``)."""
