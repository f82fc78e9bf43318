"""The sandbox's webhook POSTs: every one delivered, never more than POSTS_IN_FLIGHT at once however many
invoices arrive together (sandbox/maventa/webhooks.py)."""

import asyncio

import httpx

from sandbox.maventa.webhooks import INVOICE_RECEIVED, POSTS_IN_FLIGHT, WebhookSender


async def test_a_burst_of_webhooks_is_delivered_a_few_at_a_time() -> None:
    received: list[str] = []
    in_flight = 0
    most = 0

    async def answer(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        received.append(request.read().decode())
        in_flight -= 1
        return httpx.Response(200)

    sender = WebhookSender(timeout_s=5.0)
    await sender._http.aclose()
    sender._http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    payloads = [{"event": INVOICE_RECEIVED, "invoice_id": f"inv-{n}"} for n in range(50)]
    await asyncio.gather(*(sender._post("http://service.invalid/hook", p) for p in payloads))
    await sender.aclose()

    assert len(received) == 50
    assert 1 < most <= POSTS_IN_FLIGHT
