"""Alembic environment: runs migrations on a shared connection or from the command line.

``records.db.upgrade`` passes an open connection in ``config.attributes`` so the
migrations run inside the caller's event loop. The ``alembic`` command line has
no connection: it builds an async engine from ``sqlalchemy.url`` (or
``ESCALATION_DATABASE_URL``) and runs its own loop.
"""

from __future__ import annotations

import asyncio
import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from records.schema import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("ESCALATION_DATABASE_URL")
    if not url:
        raise RuntimeError("no database URL: set sqlalchemy.url or ESCALATION_DATABASE_URL")
    return url


def _run(connection: Connection) -> None:
    # render_as_batch lets future ALTERs work on SQLite, which rebuilds tables to alter them.
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    from records.db import make_engine

    engine = make_engine(_url())
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


def run_migrations_offline() -> None:
    """Emit SQL to stdout (``alembic upgrade head --sql``) for a DBA to review."""
    context.configure(
        url=_url(), target_metadata=target_metadata, literal_binds=True, dialect_opts={}
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate a live database, on the caller's connection if it passed one."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    if config.config_file_name is not None:
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    asyncio.run(_run_async())


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
