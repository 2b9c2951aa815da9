"""Engines, sessionmakers and schema upgrades from a database URL.

One engine and one sessionmaker are built at start-up (``make_sessionmaker``)
and injected into the activity classes; each activity call opens its own
session. ``upgrade`` runs the Alembic migrations to head, the only way the
schema is created or changed, for both ``sqlite+aiosqlite://`` and
``postgresql+asyncpg://`` URLs.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

RECORDS_DIR = Path(__file__).resolve().parent
ALEMBIC_INI = RECORDS_DIR / "alembic.ini"
MIGRATIONS_DIR = RECORDS_DIR / "migrations"

SQLITE_BUSY_TIMEOUT_SECONDS = 30.0
"""How long a SQLite writer waits for a concurrent writer's lock instead of failing."""


class DatabaseMissing(LookupError):
    """A SQLite records file that is not there, for a command that must not create it.

    Opening a missing SQLite file creates it, empty: a command reading the records from the
    wrong directory would then report "no such table" and advise ``escalation db upgrade``
    on a database nobody meant. The message names the file and what creates the real one.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            f"no records database at {path}: `escalation dev` or `escalation db upgrade`"
            " creates it; set ESCALATION_HOME (the dev stack's state directory) or"
            " ESCALATION_DATABASE_URL to read another"
        )


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names (absolute), or None: another backend, or in memory."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):  # already a URI: its owner chose how to open it
        return None
    return Path(database).expanduser().absolute()


def _existing_sqlite(url: str) -> str:
    """``url`` opened read-write but never created (SQLite's ``mode=rw`` URI).

    The check before connecting gives the clear message; ``mode=rw`` keeps a file deleted
    in between from being created empty all the same.

    Raises:
        DatabaseMissing: the file does not exist.
    """
    path = sqlite_file(url)
    if path is None:
        return url
    if not path.is_file():
        raise DatabaseMissing(path)
    parsed = make_url(url).set(database=path.as_uri())
    return parsed.update_query_dict({"mode": "rw", "uri": "true"}).render_as_string(
        hide_password=False
    )


def _ensure_sqlite_directory(url: str) -> None:
    """Create the directory of a file-backed SQLite database, which SQLite will not do."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """Foreign keys enforced as PostgreSQL does (off by default), and a write-ahead log.

    In SQLite's default rollback journal a commit costs three fsyncs (4.6 ms on the
    development machine's disk) and holds the write lock meanwhile, and a reader blocks a
    writer's commit; at close of business, when a thousand cases write their rows and
    outbox marks at once, every other activity queued on that lock. The write-ahead
    log commits with one fsync (1.5 ms) and lets readers (``escalation record``, the
    reconcile sweep) read beside the writer. ``synchronous`` stays FULL: a row the
    activity reported written survives a power cut. An in-memory database keeps its
    own journal (SQLite answers 'memory' and nothing changes).
    """
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def make_engine(url: str, *, create: bool = True, **kwargs: Any) -> AsyncEngine:
    """An async engine for ``url``, with the same guarantees on SQLite as on PostgreSQL.

    On SQLite the file's directory is created, foreign keys are enforced, the journal
    is a write-ahead log and a busy timeout lets concurrent activities queue for the
    write lock.

    Args:
        url: A SQLAlchemy async URL (``sqlite+aiosqlite://...`` or ``postgresql+asyncpg://...``).
        create: Whether a missing SQLite file may be created. Only what owns the schema
            (``escalation db upgrade``, the dev stack, the worker) creates one; a command
            that reads or adds rows passes False.
        **kwargs: Passed to ``create_async_engine``.

    Raises:
        DatabaseMissing: ``create`` is False and the SQLite file does not exist.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if create:
            _ensure_sqlite_directory(url)
        else:
            url = _existing_sqlite(url)
        connect_args = dict(kwargs.pop("connect_args", {}))
        connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_SECONDS)
        engine = create_async_engine(url, connect_args=connect_args, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def sessionmaker_for(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """A sessionmaker bound to ``engine``; objects stay readable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


def make_sessionmaker(
    url: str, *, create: bool = True, **kwargs: Any
) -> async_sessionmaker[AsyncSession]:
    """Engine and sessionmaker from a URL, built once at start-up and injected.

    The engine is reachable as ``sessionmaker.kw["bind"]`` for disposal; ``create`` as
    for ``make_engine``.
    """
    return sessionmaker_for(make_engine(url, create=create, **kwargs))


def alembic_config(url: str) -> Config:
    """An Alembic config for ``url`` that works wherever the package is installed.

    Alembic is imported here, not with the module: only the commands that migrate pay
    the quarter of a second it takes, not every ``escalation`` command that reads.
    """
    from alembic.config import Config

    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation would choke on '%' in a password.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _upgrade_on(connection: Connection, config: Config, revision: str) -> None:
    """Run Alembic on an open connection (env.py picks it up from the config)."""
    from alembic import command

    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` (head by default).

    Safe to call on every start: an up-to-date database is left untouched.
    Runs inside the caller's event loop by sharing one async connection with
    Alembic, rather than letting env.py start a loop of its own.
    """
    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_on, alembic_config(url), revision)
    finally:
        await engine.dispose()
    log.info("database schema at %s for %s", revision, make_url(url).render_as_string())


async def current_revision(url: str) -> str | None:
    """The revision the database at ``url`` is at, or None if it was never migrated."""
    from alembic.runtime.migration import MigrationContext

    def _read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_read)
    finally:
        await engine.dispose()
