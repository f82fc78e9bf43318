"""The one `/metrics` endpoint of a worker: the service's registry followed by the Temporal SDK's series.

The SDK's own Prometheus exporter listens on a loopback port nobody scrapes; each scrape of this endpoint
fetches its text and appends it unchanged, so the SDK's series keep the names Temporal documents.
"""

import logging
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import generate_latest
from prometheus_client.registry import CollectorRegistry

log = logging.getLogger(__name__)

SDK_SCRAPE_TIMEOUT_S = 5.0
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""The classic text format, which both halves of the body are written in."""


def _sdk_series(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=SDK_SCRAPE_TIMEOUT_S) as answer:
            body: bytes = answer.read()
            return body
    except (urllib.error.URLError, TimeoutError) as error:
        log.warning("Temporal SDK metrics not read", extra={"error": type(error).__name__})
        return b""


class MetricsServer:
    """Serves GET /metrics on host:port from a daemon thread until `close()`."""

    def __init__(self, host: str, port: int, registry: CollectorRegistry, sdk_metrics_url: str) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.split("?")[0] != "/metrics":
                    self.send_error(404)
                    return
                body = generate_latest(registry) + _sdk_series(sdk_metrics_url)
                self.send_response(200)
                self.send_header("Content-Type", CONTENT_TYPE)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                """Scrapes are not logged: one line every few seconds says nothing."""

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="metrics", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
