"""Runs the worker until told to stop, then lets running activities finish (graceful shutdown)."""

import asyncio
import logging
from contextlib import nullcontext

from settings import Settings
from settings.safety import refuse_unsafe
from starters.inbound import start_receiving
from workers.bytecode import cache_workflow_bytecode
from workers.client import connect_temporal
from workers.dependencies import open_dependencies
from workers.metrics import WorkerMetrics
from workers.schedules import ensure_billing_schedule
from workers.worker import build_maventa_worker, build_worker

log = logging.getLogger(__name__)

READY_MESSAGE = "worker ready"


async def run_worker(
    settings: Settings, *, stop: asyncio.Event, metrics: WorkerMetrics | None = None
) -> None:
    """Poll both task queues until `stop` is set; a readiness line is logged once polling has begun.

    On the way up it brings the billing schedule up to date, subscribes Maventa's webhook and starts the inbox
    sweep: all idempotent, so every worker of a fleet may do it. With `metrics`, `/metrics` is served too.
    Settings production must not serve (settings/safety.py) raise UnsafeSettings before anything starts.
    """
    refuse_unsafe(settings, "worker")
    cache_workflow_bytecode()
    client = await connect_temporal(settings, runtime=metrics.runtime if metrics else None)
    await ensure_billing_schedule(client, settings)
    async with open_dependencies(settings) as dependencies:
        worker = build_worker(client, settings, dependencies)
        maventa_worker = build_maventa_worker(client, settings, dependencies)
        with metrics.serving(dependencies.sessions) if metrics else nullcontext():
            async with worker, maventa_worker:
                await start_receiving(client, dependencies)
                log.info(
                    READY_MESSAGE,
                    extra={
                        "task_queue": settings.temporal_task_queue,
                        "maventa_task_queue": settings.maventa_task_queue,
                        "maventa_activities_per_second": settings.maventa_activities_per_second,
                        "namespace": client.namespace,
                    },
                )
                await stop.wait()
                log.info("worker stopping", extra={"task_queue": settings.temporal_task_queue})
                # Both at once: neither queue takes new work while the other drains, and the stop takes one
                # grace period (WORKER_GRACEFUL_SHUTDOWN_S), not one per queue.
                await asyncio.gather(worker.shutdown(), maventa_worker.shutdown())
