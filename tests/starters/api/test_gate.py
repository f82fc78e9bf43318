"""The request gate (starters/api/gate.py): nobody's body is read before they are authenticated, and no route
takes a larger body than its payload needs."""

import asyncio
import re
import tracemalloc
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from bench.hostile import exchange, request_body
from settings import Settings
from starters.api.app import create_app
from starters.api.gate import DROP_AT_MOST_BYTES
from starters.api.limits import DEFAULT_BODY_BYTES, MAX_BODY_BYTES_KEY, SALES_INVOICE_BODY_BYTES
from tests.starters.api.conftest import Serve
from tests.starters.api.direct import CHUNK, call

NETVISOR = {"Authorization": "Bearer gate-netvisor-token"}
SUPPORT = {"Authorization": "Bearer gate-support-token"}
HOSTILE_BYTES = 24 * 1024 * 1024
PATH_VALUES = {"company_id": "c-1", "invoice_key": "k-1", "invoice_id": "i-1", "month": "2025-01"}


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    return create_app(
        Settings(
            data_dir=tmp_path,
            temporal_address="127.0.0.1:1",
            api_netvisor_token=SecretStr("gate-netvisor-token"),
            api_support_token=SecretStr("gate-support-token"),
            api_webhook_secret=SecretStr("gate-webhook-secret"),
        )
    )


def _operations_with_a_body(app: FastAPI) -> list[tuple[str, str]]:
    operations = []
    for path, methods in app.openapi()["paths"].items():
        for method, operation in methods.items():
            if "requestBody" in operation:
                filled = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m[1], "not-the-secret"), path)
                operations.append((method.upper(), filled))
    return operations


async def test_an_unauthenticated_24_mib_body_is_refused_on_every_route_before_a_byte_is_read(
    app: FastAPI,
) -> None:
    operations = _operations_with_a_body(app)
    assert len(operations) >= 12
    for method, path in operations:
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            answer = await call(app, method, path, headers=headers, body_size=HOSTILE_BYTES)
            expected = 404 if path.startswith("/v1/webhooks/") else 401
            assert (answer.status, answer.receive_calls) == (expected, 0), (method, path, headers)
            assert set(answer.json()["error"]) == {"code", "message", "details"}
            assert answer.headers["connection"] == "close"


async def test_the_other_roles_token_is_refused_before_the_body_too(app: FastAPI) -> None:
    support_route = await call(
        app, "POST", "/v1/support/companies/c-1/retry", headers=NETVISOR, body_size=HOSTILE_BYTES
    )
    netvisor_route = await call(app, "PUT", "/v1/companies/c-1", headers=SUPPORT, body_size=HOSTILE_BYTES)
    codec_ui = await call(app, "POST", "/codec/ui/decode", headers=SUPPORT, body_size=HOSTILE_BYTES)
    for answer in (support_route, netvisor_route, codec_ui):
        assert (answer.status, answer.receive_calls) == (401, 0)


async def test_a_declared_body_over_the_routes_limit_is_413_before_reading(app: FastAPI) -> None:
    company = await call(app, "PUT", "/v1/companies/c-1", headers=NETVISOR, body_size=HOSTILE_BYTES)
    webhook = await call(app, "POST", "/v1/webhooks/maventa/gate-webhook-secret", body_size=HOSTILE_BYTES)
    invoice = await call(
        app, "POST", "/v1/companies/c-1/sales-invoices", headers=NETVISOR, body_size=HOSTILE_BYTES
    )
    for answer in (company, webhook, invoice):
        assert (answer.status, answer.receive_calls) == (413, 0)
        assert answer.json()["error"]["code"] == "payload_too_large"
        assert answer.headers["connection"] == "close"


async def test_a_body_a_little_over_its_limit_is_dropped_and_the_connection_kept(app: FastAPI) -> None:
    """A client that writes its whole body before reading gets the 413 rather than a reset connection."""
    declared = await call(app, "PUT", "/v1/companies/c-1", headers=NETVISOR, body_size=DEFAULT_BODY_BYTES + 1)
    streamed = await call(
        app, "PUT", "/v1/companies/c-1", headers=NETVISOR, body_size=20_000, declare_length=False
    )
    for answer, size in ((declared, DEFAULT_BODY_BYTES + 1), (streamed, 20_000)):
        assert answer.json()["error"]["code"] == "payload_too_large"
        assert (answer.status, answer.body_bytes_taken, "connection" in answer.headers) == (413, size, False)


async def test_a_streamed_body_is_cut_off_at_the_routes_limit(app: FastAPI) -> None:
    answer = await call(
        app, "PUT", "/v1/companies/c-1", headers=NETVISOR, body_size=HOSTILE_BYTES, declare_length=False
    )
    assert (answer.status, answer.headers["connection"]) == (413, "close")
    assert answer.body_bytes_taken <= DEFAULT_BODY_BYTES + DROP_AT_MOST_BYTES + 2 * CHUNK


async def test_a_body_that_understates_its_length_is_counted_as_it_arrives(app: FastAPI) -> None:
    answer = await call(
        app,
        "POST",
        "/v1/companies/c-1/sales-invoices",
        headers={**NETVISOR, "Content-Length": "100"},
        body_size=HOSTILE_BYTES,
        declare_length=False,
    )
    assert (answer.status, answer.json()["error"]["code"]) == (413, "payload_too_large")
    assert set(answer.json()["error"]) == {"code", "message", "details"}
    assert (answer.status, answer.headers["connection"]) == (413, "close")
    assert answer.body_bytes_taken <= SALES_INVOICE_BODY_BYTES + DROP_AT_MOST_BYTES + 2 * CHUNK


async def test_an_authenticated_body_refused_at_its_limit_never_filled_the_memory(app: FastAPI) -> None:
    tracemalloc.start()
    try:
        answer = await call(
            app,
            "POST",
            "/v1/companies/c-1/sales-invoices",
            headers=NETVISOR,
            body_size=HOSTILE_BYTES,
            declare_length=False,
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert answer.status == 413
    assert answer.body_bytes_taken > SALES_INVOICE_BODY_BYTES
    assert peak < 4 * 1024 * 1024, f"{peak / 2**20:.1f} MiB held for a refused body"


async def test_a_refused_body_is_not_read_on_after_the_answer(app: FastAPI, serve: Serve) -> None:
    async with serve(app) as url:
        port = urlsplit(url).port
        assert port is not None
        head = (
            "PUT /v1/companies/c-1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Authorization: {NETVISOR['Authorization']}\r\nTransfer-Encoding: chunked\r\n\r\n"
        ).encode()
        answer, sent = await asyncio.to_thread(
            exchange, port, head + request_body(HOSTILE_BYTES, chunked=True), 30
        )
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 413 ")
    assert b"connection: close" in rest.lower()
    assert b'"code":"payload_too_large"' in rest
    assert sent - len(head) < HOSTILE_BYTES, "the server read the whole body after refusing it"


async def test_a_sales_invoice_may_be_larger_than_a_company(app: FastAPI) -> None:
    big = await call(
        app, "POST", "/v1/companies/c-1/sales-invoices", headers=NETVISOR, body_size=DEFAULT_BODY_BYTES * 4
    )
    assert big.body_bytes_taken == DEFAULT_BODY_BYTES * 4
    assert (big.status, big.json()["error"]["details"]) == (422, ["body: not valid JSON"])


def test_openapi_shows_each_routes_body_limit_and_who_may_call(app: FastAPI) -> None:
    paths: dict[str, Any] = app.openapi()["paths"]
    invoice = paths["/v1/companies/{company_id}/sales-invoices"]["post"]
    webhook = paths["/v1/webhooks/maventa/{secret}"]["post"]
    assert invoice[MAX_BODY_BYTES_KEY] == SALES_INVOICE_BODY_BYTES
    assert webhook[MAX_BODY_BYTES_KEY] == 64 * 1024
    unguarded = {
        f"{method.upper()} {path}"
        for path, methods in paths.items()
        for method, operation in methods.items()
        if not operation.get("security")
    }
    assert unguarded == {"GET /healthz", "POST /v1/webhooks/maventa/{secret}"}
