"""Maventa and Netvisor calls as an operator sees them on /metrics: bounded labels, errors by status class."""

import httpx
import pytest
from prometheus_client import REGISTRY

from observability.upstream import MeasuredTransport, endpoint_template


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/oauth2/token", "/oauth2/token"),
        ("/v1/invoices/0b6f5c1e-2f1d-4a4e-9d7c-3f0a1b2c3d4e", "/v1/invoices/{id}"),
        ("/v1/invoices/0b6f5c1e-2f1d-4a4e-9d7c-3f0a1b2c3d4e/files/77", "/v1/invoices/{id}/files/{id}"),
        ("/v1/invoices/a1/invoice_events", "/v1/invoices/{id}/invoice_events"),
        ("/v1/partner/invoice_events/received", "/v1/partner/invoice_events/received"),
        ("/internal/salesinvoicedeliverystatus.nv", "/internal/salesinvoicedeliverystatus.nv"),
    ],
)
def test_ids_never_become_label_values(path: str, template: str) -> None:
    assert endpoint_template(path) == template


def _errors(labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value("maventa_upstream_errors_total", labels) or 0.0


def _calls(labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value("maventa_upstream_request_duration_seconds_count", labels) or 0.0


async def test_answers_and_failures_are_counted_by_status_class() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/timeout"):
            raise httpx.ReadTimeout("slow", request=request)
        return httpx.Response(int(request.url.path.rsplit("/", 1)[-1]))

    base = {"upstream": "netvisor-test", "method": "GET"}
    ok = {**base, "endpoint": "/status/{id}", "status_class": "2xx"}
    server_error = {**base, "endpoint": "/status/{id}", "status_class": "5xx"}
    timeout = {**base, "endpoint": "/status/timeout", "status_class": "timeout"}
    before = (_calls(ok), _errors(ok), _errors(server_error), _errors(timeout))

    transport = MeasuredTransport("netvisor-test", httpx.MockTransport(answer))
    async with httpx.AsyncClient(transport=transport, base_url="http://netvisor.test") as http:
        await http.get("/status/200")
        await http.get("/status/503")
        with pytest.raises(httpx.ReadTimeout):
            await http.get("/status/timeout")

    assert _calls(ok) == before[0] + 1
    assert _errors(ok) == before[1], "a 2xx answer is no error"
    assert _errors(server_error) == before[2] + 1
    assert _errors(timeout) == before[3] + 1
