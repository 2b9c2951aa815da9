"""The written record of truth: the SQLAlchemy schema, its migrations and its queries.

Temporal's history is deleted after the namespace's retention period; the rows
kept here are what stays on the child's file. Alembic owns the schema
(``records/migrations``); ``records.db.upgrade`` brings a database to head.
"""
