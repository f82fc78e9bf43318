"""The SQLite engine behind a sandbox: a file for `make run`, and for "in memory" a private temporary file.

An in-memory SQLite database lives in a single connection, and a sandbox uses its engine from the event loop
and from the thread pool that runs synchronous dependencies: that one connection shared across threads
crashed the interpreter under load. A temporary file gives every thread a connection of its own to the same
data; it is deleted with the engine, or when the process exits.

The pool never makes a caller wait: a sandbox's routes check connections out on the event loop, so a checkout
that waits for one to come back blocks the loop, and with it every request that would give one back. With
SQLAlchemy's default pool (5 + 10) two workers' requests wedged the Maventa sandbox for good (bench/README.md,
"Two workers"). Connections beyond `KEPT_CONNECTIONS` are opened when needed and closed when returned.

A file is kept in WAL mode with `synchronous=NORMAL`: a commit appends to the log without waiting for the
disk, and the log is synced at checkpoints. The routes commit on the event loop, so with SQLite's defaults
(a rollback journal, every commit synced twice) each commit stopped every other request for its fsyncs: the
Maventa sandbox's HANDLED commits were the largest single item of its profile (bench/README.md). A commit
still survives the sandbox's process being killed; only the machine losing power may take the last ones.
"""

import shutil
import tempfile
import weakref
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine, event
from sqlalchemy.pool import QueuePool
from sqlmodel import create_engine

IN_MEMORY_URLS = frozenset({"sqlite://", "sqlite:///:memory:"})
KEPT_CONNECTIONS = 5
"""Connections kept open between requests; more are opened while more requests hold one."""


def sandbox_engine(url: str) -> Engine:
    """An engine on `url`; an in-memory URL gets a fresh temporary file that only this engine uses."""
    if url not in IN_MEMORY_URLS:
        return _in_wal(_engine(url), synchronous="NORMAL")
    folder = Path(tempfile.mkdtemp(prefix="sandbox-"))
    # Nothing in the throwaway file outlives the process, so nothing is synced.
    engine = _in_wal(_engine(f"sqlite:///{folder / 'state.db'}"), synchronous="OFF")
    weakref.finalize(engine, shutil.rmtree, folder, ignore_errors=True)
    return engine


def _in_wal(engine: Engine, *, synchronous: Literal["NORMAL", "OFF"]) -> Engine:
    """Every connection in WAL mode (readers beside a writer) with the given `synchronous` level."""

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()

    return engine


def _engine(url: str) -> Engine:
    return create_engine(
        url,
        connect_args={"check_same_thread": False},
        poolclass=QueuePool,
        pool_size=KEPT_CONNECTIONS,
        max_overflow=-1,
    )
