"""Typed errors: what a retry can cure (5xx, 429, timeouts, refused connections) and what it cannot (4xx)."""

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from bench.harness import free_port
from clients.maventa import MaventaRequestError, MaventaUnavailable
from tests.sandbox.maventa.serving import MaventaSandbox, maventa_client, running_sandbox


@pytest_asyncio.fixture(loop_scope="session")
async def maventa() -> AsyncIterator[MaventaSandbox]:
    async with running_sandbox() as sandbox:
        yield sandbox


async def test_rate_limiting_is_retryable_and_carries_retry_after(maventa: MaventaSandbox) -> None:
    _, creds = await maventa.account()
    await maventa.control("PUT", "/faults", json={"rate_limit_per_s": 2})
    async with maventa_client(maventa.url) as client:
        with pytest.raises(MaventaUnavailable) as caught:
            for _ in range(5):
                await client.list_profiles(creds)
    assert caught.value.status == 429
    assert caught.value.retryable is True
    assert caught.value.retry_after_s is not None and caught.value.retry_after_s >= 1


async def test_server_errors_are_retryable(maventa: MaventaSandbox) -> None:
    _, creds = await maventa.account()
    await maventa.control("PUT", "/faults", json={"error_rate": 1.0, "status": 502, "paths": ["/v1/"]})
    async with maventa_client(maventa.url) as client:
        with pytest.raises(MaventaUnavailable) as caught:
            await client.list_profiles(creds)
        assert caught.value.status == 502
        assert caught.value.retryable is True
        await maventa.control("DELETE", "/faults")
        assert await client.list_profiles(creds)


async def test_timeouts_are_retryable(maventa: MaventaSandbox) -> None:
    _, creds = await maventa.account()
    await maventa.control("PUT", "/faults", json={"latency_ms": 400})
    async with maventa_client(maventa.url, timeout_s=0.1) as client:
        with pytest.raises(MaventaUnavailable) as caught:
            await client.current_company(creds)
    assert caught.value.status is None
    assert "timed out" in caught.value.message


async def test_a_closed_port_is_retryable() -> None:
    async with maventa_client(f"http://127.0.0.1:{free_port()}", timeout_s=2) as client:
        with pytest.raises(MaventaUnavailable):
            await client.create_user("a@example.invalid", "A", "B")


async def test_client_errors_carry_maventas_code_and_are_final(maventa: MaventaSandbox) -> None:
    _, creds = await maventa.account()
    async with maventa_client(maventa.url) as client:
        with pytest.raises(MaventaRequestError) as caught:
            await client.get_invoice(creds, "00000000-0000-0000-0000-000000000000")
    assert caught.value.status == 404
    assert caught.value.code == "not_found"
    assert caught.value.retryable is False
