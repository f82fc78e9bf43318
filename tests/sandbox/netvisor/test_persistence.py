"""State lives in the SQLite file: it survives a restart, and `python -m sandbox.netvisor` serves it."""

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench.harness import free_port
from sandbox.netvisor import create_app
from tests.sandbox.netvisor.serving import business_id, sandbox_config, serve
from tests.sandbox.netvisor.signing import purchase_invoice_xml, signed_headers


async def _import(url: str, organisation: str, transaction_id: str) -> httpx.Response:
    target = f"{url}/purchaseinvoice.nv"
    async with httpx.AsyncClient(timeout=10) as http:
        return await http.post(
            target,
            content=purchase_invoice_xml("P-1"),
            headers=signed_headers(target, organisation, transaction_id=transaction_id),
        )


async def test_invoices_and_used_transaction_ids_survive_a_restart(tmp_path: Path) -> None:
    config = sandbox_config(f"sqlite:///{tmp_path / 'netvisor-sandbox.db'}")
    organisation = business_id()
    async with serve(create_app(config)) as url:
        assert b"<Status>OK</Status>" in (await _import(url, organisation, "TX-RESTART")).content

    async with serve(create_app(config)) as url:
        replay = await _import(url, organisation, "TX-RESTART")
        async with httpx.AsyncClient(base_url=url) as http:
            invoices = (await http.get(f"/_sandbox/companies/{organisation}/purchase-invoices")).json()

    assert b"REQUEST_NOT_UNIQUE" in replay.content
    assert [invoice["invoice_number"] for invoice in invoices] == ["P-1"]


def test_module_serves_on_the_configured_port_with_a_state_file(tmp_path: Path) -> None:
    port = free_port()
    data_dir = tmp_path / "data"
    env = {
        **os.environ,
        "NETVISOR_SANDBOX_PORT": str(port),
        "DATA_DIR": str(data_dir),
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen([sys.executable, "-m", "sandbox.netvisor"], env=env)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/_sandbox/health", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert health.json() == {"status": "ok"}
    assert (data_dir / "netvisor-sandbox.db").is_file()
