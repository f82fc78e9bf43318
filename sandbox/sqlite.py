"""The SQLite engine behind a sandbox: a file for `make run`, and for "in memory" a private temporary file.

An in-memory SQLite database lives in a single connection, and a sandbox uses its engine from the event loop
and from the thread pool that runs synchronous dependencies: that one connection shared across threads
crashed the interpreter under load. A temporary file gives every thread a connection of its own to the same
data; it is deleted with the engine, or when the process exits.
"""

import shutil
import tempfile
import weakref
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlmodel import create_engine

IN_MEMORY_URLS = frozenset({"sqlite://", "sqlite:///:memory:"})


def sandbox_engine(url: str) -> Engine:
    """An engine on `url`; an in-memory URL gets a fresh temporary file that only this engine uses."""
    if url not in IN_MEMORY_URLS:
        return create_engine(url, connect_args={"check_same_thread": False})
    folder = Path(tempfile.mkdtemp(prefix="sandbox-"))
    engine = create_engine(f"sqlite:///{folder / 'state.db'}", connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _throwaway(dbapi_connection: Any, _record: Any) -> None:
        # Nothing here outlives the process, so nothing is synced; WAL lets readers in beside a writer.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.close()

    weakref.finalize(engine, shutil.rmtree, folder, ignore_errors=True)
    return engine
