"""Prometheus metrics of the worker: the SDK's runtime series and the service's own `maventa_*` series.

Activities and workflows record their own series through `activity.metric_meter()` or
`workflow.metric_meter()`, so everything is served from the one endpoint below.
"""

from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from settings import Settings


def metrics_runtime(settings: Settings) -> Runtime:
    """A runtime that serves `/metrics` on settings.bind_host:settings.metrics_port."""
    bind_address = f"{settings.bind_host}:{settings.metrics_port}"
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=bind_address)))
