"""Temporal interceptors that give every log line its company and workflow, and count provisioning outcomes.

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

from activities.projection import ProjectionActivities
from observability.company import company_of
from observability.log_context import activity_company, remember_workflow_company
from observability.provisioning import PROVISIONING_OUTCOMES, provisioning_outcome, stored_state
from store.database import Sessions
from workflows.connection_models import Projection

RECORD_COMPANY = ProjectionActivities.record_company.__name__


class _ActivityObserver(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, sessions: Sessions) -> None:
        super().__init__(next)
        self._sessions = sessions

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        with activity_company(company_of(info.workflow_id or "", input.args)):
            if info.activity_type == RECORD_COMPANY and input.args and isinstance(input.args[0], Projection):
                return await self._record_company(input, input.args[0])
            return await self.next.execute_activity(input)

    async def _record_company(self, input: ExecuteActivityInput, projection: Projection) -> Any:
        before = await stored_state(self._sessions, projection.company_id)
        result = await self.next.execute_activity(input)
        outcome = provisioning_outcome(before, projection)
        if outcome is not None:
            PROVISIONING_OUTCOMES.labels(outcome).inc()
        return result


class _WorkflowObserver(WorkflowInboundInterceptor):
    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        remember_workflow_company(company_of(workflow.info().workflow_id, input.args))
        return await self.next.execute_workflow(input)


class ObservabilityInterceptor(Interceptor):
    """Install on the worker: `Worker(..., interceptors=[ObservabilityInterceptor(sessions)])`."""

    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _ActivityObserver(next, self._sessions)

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        return _WorkflowObserver
