"""Netvisor's one message at a time per organisation (docs/facts/netvisor.md §1), across every worker process.

The Netvisor client already takes an organisation's messages one at a time within a process; with more than
one worker process, a company's status report from one and its received invoice from another would overlap,
and Netvisor refuses the second with an error that may as well have come after a commit, so an import waited
its 90 s recheck for nothing (bench/README.md). A turn is a lock the whole fleet shares, held for one message:
a PostgreSQL advisory lock on a connection of its own, or, for a SQLite store (one machine by nature), an
exclusive flock on a file beside the database. Either is let go by the operating system or the database the
moment its process dies, so a SIGKILLed worker holds up no organisation. Waiting polls, so it never blocks a
thread the store's calls need.
"""

import asyncio
import fcntl
import hashlib
import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import Connection, create_engine, make_url, text
from sqlalchemy.pool import NullPool

POLL_S = 0.02


def _advisory_key(organisation_id: str) -> int:
    """A signed 64-bit key of the organisation, as pg_advisory_lock takes it."""
    return int.from_bytes(hashlib.sha256(organisation_id.encode()).digest()[:8], "big", signed=True)


class NetvisorTurns:
    """`async with turns(organisation_id):` until no other process of the fleet talks to that organisation."""

    def __init__(self, store_url: str) -> None:
        url = make_url(store_url)
        self._folder: Path | None = None
        self._engine = None
        if url.get_backend_name() == "sqlite":
            if url.database and url.database != ":memory:":
                self._folder = Path(url.database).parent / "netvisor-turns"
        else:
            self._engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")

    @asynccontextmanager
    async def __call__(self, organisation_id: str) -> AsyncIterator[None]:
        if self._engine is not None:
            async with self._advisory(organisation_id):
                yield
        elif self._folder is not None:
            async with self._flock(organisation_id):
                yield
        else:
            yield  # an in-memory store is one process's own

    @asynccontextmanager
    async def _advisory(self, organisation_id: str) -> AsyncIterator[None]:
        assert self._engine is not None
        key = _advisory_key(organisation_id)
        connection: Connection = await asyncio.to_thread(self._engine.connect)

        def try_lock() -> bool:
            return bool(connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())

        try:
            while True:
                if await asyncio.to_thread(try_lock):
                    break
                await asyncio.sleep(POLL_S)
            try:
                yield
            finally:
                await asyncio.to_thread(connection.execute, text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        finally:
            await asyncio.to_thread(connection.close)

    @asynccontextmanager
    async def _flock(self, organisation_id: str) -> AsyncIterator[None]:
        assert self._folder is not None
        self._folder.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_-]", "_", organisation_id)
        descriptor = os.open(self._folder / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            while True:
                try:
                    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    await asyncio.sleep(POLL_S)
            try:
                yield
            finally:
                fcntl.flock(descriptor, fcntl.LOCK_UN)
        finally:
            os.close(descriptor)

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
