"""Many requests at once, far more than SQLAlchemy's default pool of 5 + 10 connections, as two worker
processes make them in a burst: every one answered, none left waiting (sandbox/sqlite.py,
sandbox/maventa/context.py). The sandbox served the first 15 and then stopped answering anything at all.

The sandbox runs on a thread and event loop of its own, as it runs in a process of its own beside the
service: a sandbox that stops its loop then shows as requests that time out here, not as a test that hangs.
"""

import asyncio
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn

from sandbox.maventa import create_app
from tests.contracts.recorder import ContractRecorder
from tests.sandbox.maventa.serving import MaventaSandbox, sandbox_config

INVOICES = 60
SCAN_ACTIVATIONS = 30
REQUEST_TIMEOUT_S = 30.0
"""Only so that a wedged sandbox fails the test instead of hanging it; nothing here is timed."""


@contextmanager
def sandbox_on_its_own_loop() -> Iterator[str]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    app = create_app(sandbox_config())
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="on"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[listener])), daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            pytest.fail("the sandbox did not start")
        threading.Event().wait(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(REQUEST_TIMEOUT_S)
        listener.close()


async def test_a_burst_of_concurrent_requests_beyond_the_pool_is_all_answered() -> None:
    with sandbox_on_its_own_loop() as url:
        answers = ContractRecorder(requests=False)
        many = httpx.Limits(max_connections=None, max_keepalive_connections=None)
        async with answers.client(base_url=url, timeout=REQUEST_TIMEOUT_S, limits=many) as http:
            sandbox = MaventaSandbox(url=url, http=http)
            bid, creds = await sandbox.account()
            invoice_ids = await sandbox.receive(bid, count=INVOICES)
            headers = {"Authorization": f"Bearer {await sandbox.token(creds)}"}

            async def status(method: str, path: str, **kwargs: object) -> int:
                response = await http.request(method, path, headers=headers, **kwargs)  # type: ignore[arg-type]
                return response.status_code

            calls = [
                *(status("GET", "/v1/invoices", params={"per_page": 100}) for _ in invoice_ids),
                *(
                    status("GET", f"/v1/invoices/{i}", params={"return_format": "FINVOICE30"})
                    for i in invoice_ids
                ),
                *(
                    status("PATCH", f"/v1/invoices/{i}/invoice_events", json={"state": "HANDLED"})
                    for i in invoice_ids
                ),
                # Reads its form after the token's lookup: a session open across an await.
                *(
                    status(
                        "POST", "/v1/services/scan", files={"return_address[email_address]": (None, "r@x.fi")}
                    )
                    for _ in range(SCAN_ACTIVATIONS)
                ),
            ]
            statuses = Counter(await asyncio.gather(*calls))
            listed = await http.get("/v1/invoices", params={"per_page": 100}, headers=headers)

    assert statuses == {200: 2 * INVOICES + SCAN_ACTIVATIONS, 204: INVOICES}
    assert sorted(invoice["id"] for invoice in listed.json()) == sorted(invoice_ids)
