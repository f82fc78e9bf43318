"""Engines, sessions and units of work for the store.

The store's API is synchronous: SQLAlchemy sessions must not be shared across tasks, and the volume is small.
Async callers (activities, the API) run a whole unit of work in a thread with `asyncio.to_thread`, e.g.
`await asyncio.to_thread(record, sessions)` where `record` opens `with unit_of_work(sessions) as session:`.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

SQLITE_BUSY_TIMEOUT_MS = 10_000
_READ_ONLY = "store_read_only"


def make_engine(url: str) -> Engine:
    """Build an engine: SQLite in WAL mode with a busy timeout and foreign keys, or a pooled PostgreSQL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def _sqlite_engine(url: str) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Transactions are begun explicitly below; the driver's own implicit BEGIN is switched off.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        # Taking the write lock up front makes concurrent writers wait for each other (busy timeout)
        # instead of failing when a read transaction tries to upgrade to a write. A read-only unit of work
        # takes no lock: in WAL mode it reads a snapshot while a writer commits.
        if connection.get_execution_options().get(_READ_ONLY):
            connection.exec_driver_sql("BEGIN DEFERRED")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Sessions:
    """Opens sessions on one engine; hand one of these to whatever needs the store."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._reading_engine = engine.execution_options(**{_READ_ONLY: True})

    @classmethod
    def for_url(cls, url: str) -> "Sessions":
        return cls(make_engine(url))

    def __call__(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def reader(self) -> Session:
        """A session for reading only: on SQLite it does not wait for, or hold up, the writers."""
        return Session(self._reading_engine, expire_on_commit=False)

    def dispose(self) -> None:
        self.engine.dispose()


@contextmanager
def unit_of_work(sessions: Sessions) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back if it raises."""
    with sessions() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def reading(sessions: Sessions) -> Iterator[Session]:
    """One read-only transaction, for hot paths such as a webhook's company lookup or the import's ledger
    check; nothing written in it is kept."""
    with sessions.reader() as session:
        try:
            yield session
        finally:
            session.rollback()
