"""Temporal interceptors that give every log line its company and workflow.

They wrap the registered workflows and activities from outside, so no workflow or activity code changes, and
they issue no commands: replaying an old history is unaffected.
"""

from typing import Any

from temporalio import activity, workflow
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    ExecuteWorkflowInput,
    Interceptor,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

from observability.company import company_of
from observability.log_context import activity_company, remember_workflow_company


class _ActivityObserver(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        with activity_company(company_of(info.workflow_id or "", input.args)):
            return await self.next.execute_activity(input)


class _WorkflowObserver(WorkflowInboundInterceptor):
    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        remember_workflow_company(company_of(workflow.info().workflow_id, input.args))
        return await self.next.execute_workflow(input)


class ObservabilityInterceptor(Interceptor):
    """Install on the worker: `Worker(..., interceptors=[ObservabilityInterceptor()])`."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _ActivityObserver(next)

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        return _WorkflowObserver
