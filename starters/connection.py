"""Typed ways to reach a company's connection workflow; the HTTP API and the support CLI both use these.

Netvisor's report is a signal-with-start: the first one starts the lifecycle, later ones land in the running
workflow, and it is accepted even while no worker runs. Actions are updates: they need a worker and answer.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from pydantic import BaseModel
from temporalio.client import (
    Client,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from settings import Settings
from workflows.connection import ConnectionWorkflow, workflow_id
from workflows.connection_models import (
    AccountView,
    ActionAnswer,
    ActionRequest,
    CompanyReport,
    ConnectionInput,
    ConnectionStatus,
)
from workflows.search_attributes import BUSINESS_ID, MAVENTA_STATE, NEEDS_SUPPORT, NETVISOR_COMPANY_ID

DEFAULT_BANK_CHECK_EVERY = timedelta(hours=4)
QUERY_TIMEOUT = timedelta(seconds=10)

__all__ = [
    "ActionRefused",
    "ConnectionOptions",
    "ConnectionUnavailable",
    "UnknownCompany",
    "account",
    "check_bank_network_now",
    "create_connection",
    "report_company",
    "retry",
    "workflow_id",
]


class UnknownCompany(LookupError):
    """No connection workflow exists for the company (Netvisor has not reported it yet)."""


class ActionRefused(Exception):
    """The workflow refused the action (wrong state, nothing to do); the message says why and what to do."""


class ConnectionUnavailable(Exception):
    """The workflow could not answer in time (no worker running, or Temporal overloaded)."""


class ConnectionOptions(BaseModel):
    """How new connection workflows are started; built from settings by `from_settings`."""

    task_queue: str
    bank_check_every: timedelta = DEFAULT_BANK_CHECK_EVERY
    bank_checks_on_any_day: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> "ConnectionOptions":
        return cls(
            task_queue=settings.temporal_task_queue,
            bank_check_every=timedelta(seconds=settings.bank_network_check_seconds),
            bank_checks_on_any_day=settings.bank_network_check_any_day,
        )


def _handle(client: Client, company_id: str) -> WorkflowHandle[ConnectionWorkflow, None]:
    return client.get_workflow_handle_for(ConnectionWorkflow.run, workflow_id(company_id))


@asynccontextmanager
async def _reaching(company_id: str) -> AsyncIterator[None]:
    """Translate Temporal's errors into the three things a caller can act on."""
    try:
        yield
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise UnknownCompany(f"company {company_id} has no Maventa connection workflow") from None
        if error.status == RPCStatusCode.DEADLINE_EXCEEDED:
            raise ConnectionUnavailable("the connection workflow did not answer in time") from None
        raise
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        raise ConnectionUnavailable("the connection workflow did not answer in time") from None
    except WorkflowUpdateFailedError as error:
        cause = error.cause
        if isinstance(cause, ApplicationError) and cause.type == "ActionRefused":
            raise ActionRefused(cause.message) from None
        raise
    except WorkflowQueryFailedError as error:
        raise ConnectionUnavailable(f"the connection workflow could not answer: {error.message}") from None


async def report_company(
    client: Client, options: ConnectionOptions, company_id: str, report: CompanyReport
) -> WorkflowHandle[ConnectionWorkflow, None]:
    """Netvisor's view of a company: starts its lifecycle the first time (R1), reconciles later (R2)."""
    modules = report.modules
    first_state = (
        ConnectionStatus.PROVISIONING
        if modules.sales or modules.purchases
        else ConnectionStatus.NO_CONNECTION
    )
    return await client.start_workflow(
        ConnectionWorkflow.run,
        ConnectionInput(
            company_id=company_id,
            company=report,
            bank_check_every=options.bank_check_every,
            bank_checks_on_any_day=options.bank_checks_on_any_day,
        ),
        id=workflow_id(company_id),
        task_queue=options.task_queue,
        start_signal="report_company",
        start_signal_args=[report],
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(NETVISOR_COMPANY_ID, company_id),
                SearchAttributePair(BUSINESS_ID, report.business_id),
                SearchAttributePair(MAVENTA_STATE, first_state.value),
                SearchAttributePair(NEEDS_SUPPORT, False),
            ]
        ),
        static_summary=f"Maventa connection of Netvisor company {company_id}",
    )


async def account(client: Client, company_id: str) -> AccountView:
    """The account details of R9, as the workflow knows them now."""
    async with _reaching(company_id):
        return await _handle(client, company_id).query(ConnectionWorkflow.account, rpc_timeout=QUERY_TIMEOUT)


async def create_connection(
    client: Client, company_id: str, requested_by: str, request_id: str | None = None
) -> ActionAnswer:
    """R6 "Create Maventa connection". A request id makes a repeated request (a retried HTTP call) answer
    the same instead of acting twice."""
    async with _reaching(company_id):
        return await _handle(client, company_id).execute_update(
            ConnectionWorkflow.create_connection, ActionRequest(requested_by=requested_by), id=request_id
        )


async def check_bank_network_now(
    client: Client, company_id: str, requested_by: str, request_id: str | None = None
) -> ActionAnswer:
    """Support's "check the bank network now" (R7)."""
    async with _reaching(company_id):
        return await _handle(client, company_id).execute_update(
            ConnectionWorkflow.check_bank_network_now, ActionRequest(requested_by=requested_by), id=request_id
        )


async def retry(
    client: Client, company_id: str, requested_by: str, request_id: str | None = None
) -> ActionAnswer:
    """Support's retry of the step that failed for good."""
    async with _reaching(company_id):
        return await _handle(client, company_id).execute_update(
            ConnectionWorkflow.retry, ActionRequest(requested_by=requested_by), id=request_id
        )
