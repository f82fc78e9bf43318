"""Prometheus metrics of the worker on settings.bind_host:settings.metrics_port `/metrics`.

One endpoint carries the Temporal SDK's runtime series (`temporal_*`), the process's (`process_*`,
`python_*`) and the service's own `maventa_*` series: upstream call latency and errors, provisioning outcomes,
and counts read from the store. docs/operating.md lists them.
"""

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import REGISTRY, disable_created_metrics
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from observability.endpoint import MetricsServer
from observability.store_metrics import StoreCollector
from settings import Settings
from store.database import Sessions

SDK_EXPORTER_HOST = "127.0.0.1"


def _free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind((SDK_EXPORTER_HOST, 0))
        return int(probe.getsockname()[1])


class WorkerMetrics:
    """The Temporal runtime the worker's client must use, and the endpoint serving its series with ours."""

    def __init__(self, settings: Settings) -> None:
        # `*_created` timestamps double the series and no dashboard of ours reads them.
        disable_created_metrics()
        self._settings = settings
        sdk_address = f"{SDK_EXPORTER_HOST}:{_free_loopback_port()}"
        self.sdk_metrics_url = f"http://{sdk_address}/metrics"
        self.runtime = Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=sdk_address)))

    @contextmanager
    def serving(self, sessions: Sessions) -> Iterator[None]:
        """Serve `/metrics` (with the store's counts from sessions) while the block runs."""
        collector = StoreCollector(sessions)
        REGISTRY.register(collector)
        server = MetricsServer(
            self._settings.bind_host, self._settings.metrics_port, REGISTRY, self.sdk_metrics_url
        )
        try:
            yield
        finally:
            server.close()
            REGISTRY.unregister(collector)
