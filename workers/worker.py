"""The worker: the registered workflows and activities on the service's task queue, tuned by settings."""

from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from observability.interceptors import ObservabilityInterceptor
from settings import Settings
from workers.dependencies import Dependencies
from workers.registry import WORKFLOWS, activities_for


def build_worker(client: Client, settings: Settings, dependencies: Dependencies) -> Worker:
    """One queue for now; the activities-per-second limit is enforced by the server across every worker.

    The interceptor puts company and workflow ids on every log line and counts provisioning outcomes.
    """
    return Worker(
        client,
        task_queue=settings.temporal_task_queue,
        workflows=list(WORKFLOWS),
        activities=activities_for(dependencies),
        interceptors=[ObservabilityInterceptor(dependencies.sessions)],
        max_cached_workflows=settings.worker_max_cached_workflows,
        max_concurrent_workflow_tasks=settings.worker_max_concurrent_workflow_tasks,
        max_concurrent_activities=settings.worker_max_concurrent_activities,
        max_task_queue_activities_per_second=settings.worker_max_task_queue_activities_per_second or None,
        graceful_shutdown_timeout=timedelta(seconds=settings.worker_graceful_shutdown_s),
    )
