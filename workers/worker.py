"""The worker process's two Temporal workers: the service's task queue, and the Maventa task queue whose
server-side activity rate keeps the whole fleet within Maventa's request budget (docs/operating.md)."""

from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from observability.interceptors import ObservabilityInterceptor
from settings import Settings
from workers.dependencies import Dependencies
from workers.keep_alive import KeepAliveInterceptor
from workers.registry import MAVENTA_ACTIVITIES, WORKFLOWS, activities_for
from workflows.activity_timeouts import HEARTBEAT

STICKY_TIMEOUT = HEARTBEAT
"""A workflow task waits this long on the queue of the worker that has the workflow cached before any worker
may take it (the SDK's default is 10 s). A SIGKILLed worker's queue is never polled again, so its workflows'
next tasks waited that long after their lost activities had already been noticed and retried; a live worker
only busy past it costs a replay of the history on another worker, not an action."""


def build_worker(client: Client, settings: Settings, dependencies: Dependencies) -> Worker:
    """Every workflow, and every activity (Maventa's too, for runs that predate the Maventa queue).

    The interceptors put company and workflow ids on every log line and heartbeat for running activities.
    """
    return Worker(
        client,
        task_queue=settings.temporal_task_queue,
        workflows=list(WORKFLOWS),
        activities=activities_for(dependencies),
        interceptors=[ObservabilityInterceptor(), KeepAliveInterceptor()],
        max_cached_workflows=settings.worker_max_cached_workflows,
        max_concurrent_workflow_tasks=settings.worker_max_concurrent_workflow_tasks,
        max_concurrent_activities=settings.worker_max_concurrent_activities,
        graceful_shutdown_timeout=timedelta(seconds=settings.worker_graceful_shutdown_s),
        sticky_queue_schedule_to_start_timeout=STICKY_TIMEOUT,
    )


def build_maventa_worker(client: Client, settings: Settings, dependencies: Dependencies) -> Worker:
    """Only the activities that call Maventa, at most `maventa_activities_per_second` across every worker of
    the fleet: the server hands out that many activity tasks a second, however many workers poll."""
    return Worker(
        client,
        task_queue=settings.maventa_task_queue,
        activities=[a for a in activities_for(dependencies) if a.__name__ in MAVENTA_ACTIVITIES],
        interceptors=[ObservabilityInterceptor(), KeepAliveInterceptor()],
        max_concurrent_activities=settings.worker_max_concurrent_activities,
        max_task_queue_activities_per_second=settings.maventa_activities_per_second,
        graceful_shutdown_timeout=timedelta(seconds=settings.worker_graceful_shutdown_s),
    )
