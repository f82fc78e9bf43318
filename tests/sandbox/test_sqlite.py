"""The sandboxes' "in memory" databases: safe from many threads at once, private to one app, and left behind
by nobody."""

import asyncio
import gc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlalchemy import Engine

from sandbox.netvisor import create_app
from sandbox.sqlite import KEPT_CONNECTIONS, sandbox_engine
from tests.sandbox.netvisor.serving import business_id, sandbox_config, serve
from tests.sandbox.netvisor.signing import purchase_invoice_xml, signed_headers


def _count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.exec_driver_sql("SELECT count(*) FROM numbers").scalar_one())


def test_in_memory_mode_takes_writes_and_reads_from_many_threads_at_once() -> None:
    engine = sandbox_engine("sqlite://")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE numbers (n INTEGER)")

    def write_and_read(number: int) -> int:
        with engine.begin() as connection:
            connection.exec_driver_sql("INSERT INTO numbers (n) VALUES (?)", (number,))
        return _count(engine)

    with ThreadPoolExecutor(16) as pool:
        seen = list(pool.map(write_and_read, range(400)))

    assert _count(engine) == 400
    assert all(1 <= count <= 400 for count in seen)
    engine.dispose()


def test_an_engine_hands_out_more_connections_than_it_keeps_without_waiting(tmp_path: Path) -> None:
    """A sandbox checks connections out on its event loop, where a wait for one would block every request that
    could give one back; SQLAlchemy's default pool (5 + 10) made the 16th wait 30 s and then fail."""
    for engine in (sandbox_engine("sqlite://"), sandbox_engine(f"sqlite:///{tmp_path / 'state.db'}")):
        held = [engine.connect() for _ in range(4 * (KEPT_CONNECTIONS + 10))]
        assert [c.exec_driver_sql("SELECT 1").scalar_one() for c in held] == [1] * len(held)
        for connection in held:
            connection.close()
        assert engine.pool.checkedin() == KEPT_CONNECTIONS  # type: ignore[attr-defined]
        engine.dispose()


def test_a_file_commits_to_a_log_without_waiting_for_the_disk(tmp_path: Path) -> None:
    """The routes commit on the event loop: a commit that waits for fsync holds up every other request."""
    engine = sandbox_engine(f"sqlite:///{tmp_path / 'state.db'}")
    with engine.connect() as connection:
        journal = connection.exec_driver_sql("PRAGMA journal_mode").scalar_one()
        synchronous = connection.exec_driver_sql("PRAGMA synchronous").scalar_one()
    engine.dispose()
    assert (journal, synchronous) == ("wal", 1)  # 1 = NORMAL: the log is synced at checkpoints only


def test_every_in_memory_engine_has_its_own_data_and_its_file_goes_with_it() -> None:
    first, second = sandbox_engine("sqlite:///:memory:"), sandbox_engine("sqlite://")
    with first.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE numbers (n INTEGER)")
    with second.connect() as connection:
        tables = connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'").all()
    assert tables == []

    database = first.url.database
    assert database is not None and Path(database).exists()
    first.dispose()
    del first
    gc.collect()
    assert not Path(database).parent.exists()
    second.dispose()


async def test_the_netvisor_sandbox_in_memory_serves_concurrent_imports() -> None:
    """Each import authenticates in the thread pool and writes on the event loop, many at the same time."""
    organisations = [business_id() for _ in range(40)]
    async with serve(create_app(sandbox_config())) as url, httpx.AsyncClient(timeout=30) as http:
        target = f"{url}/purchaseinvoice.nv"
        answers = await asyncio.gather(
            *(
                http.post(target, content=purchase_invoice_xml(f"P-{n}"), headers=signed_headers(target, org))
                for n, org in enumerate(organisations)
            )
        )
        listed = await asyncio.gather(
            *(http.get(f"{url}/_sandbox/companies/{org}/purchase-invoices") for org in organisations)
        )

    assert all(b"<Status>OK</Status>" in answer.content for answer in answers)
    assert [[invoice["invoice_number"] for invoice in page.json()] for page in listed] == [
        [f"P-{n}"] for n in range(len(organisations))
    ]
