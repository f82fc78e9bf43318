"""Latency and errors of every Maventa and Netvisor call, measured by the clients' HTTP transport.

Labels are bounded: the endpoint is the path with every id-like segment replaced by `{id}`, so a company
uuid, an invoice id or a query string never becomes a label value.
"""

import re
import time

import httpx
from prometheus_client import Counter, Histogram

UPSTREAM_DURATION = Histogram(
    "maventa_upstream_request_duration_seconds",
    "Time of one call to Maventa or Netvisor, from sending the request to the response headers",
    ["upstream", "method", "endpoint", "status_class"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0),
)
UPSTREAM_ERRORS = Counter(
    "maventa_upstream_errors",
    "Calls to Maventa or Netvisor that failed: 4xx, 5xx, timeout or transport (no answer)",
    ["upstream", "method", "endpoint", "status_class"],
)

_WORD = re.compile(r"^(v\d+|oauth2|[a-z_]+(\.nv)?)$")


def endpoint_template(path: str) -> str:
    """`/v1/invoices/5d1c.../files/9` -> `/v1/invoices/{id}/files/{id}`; words and `*.nv` resources stay."""
    segments = path.split("/")
    return "/".join(segment if not segment or _WORD.match(segment) else "{id}" for segment in segments)


def status_class(status_code: int) -> str:
    return f"{status_code // 100}xx"


class MeasuredTransport(httpx.AsyncBaseTransport):
    """Wraps the transport an httpx client sends through; it sees the final request, never logs it."""

    def __init__(self, upstream: str, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self._upstream = upstream
        self._inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        labels = (self._upstream, request.method, endpoint_template(request.url.path))
        started = time.perf_counter()
        try:
            response = await self._inner.handle_async_request(request)
        except httpx.TimeoutException:
            self._observe(labels, "timeout", started)
            raise
        except httpx.TransportError:
            self._observe(labels, "transport", started)
            raise
        self._observe(labels, status_class(response.status_code), started)
        return response

    @staticmethod
    def _observe(labels: tuple[str, str, str], outcome: str, started: float) -> None:
        UPSTREAM_DURATION.labels(*labels, outcome).observe(time.perf_counter() - started)
        if outcome not in ("2xx", "3xx"):
            UPSTREAM_ERRORS.labels(*labels, outcome).inc()

    async def aclose(self) -> None:
        await self._inner.aclose()
