"""Typed ways to reach a company's connection workflow; the HTTP API and the support CLI both use these.

Netvisor's report is a signal-with-start: the first one starts the lifecycle, later ones land in the running
workflow, and it is accepted even while no worker runs. Actions are updates: they need a worker and answer.
A released company's workflow has completed with its summary (R15); its id is never started again, so every
later call raises CompanyReleased with that summary.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import TypeVar

from pydantic import BaseModel
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.workflow import UpdateMethodMultiParam

from settings import Settings
from workflows.connection import ConnectionWorkflow, workflow_id
from workflows.connection_models import (
    AccountKeys,
    AccountView,
    ActionAnswer,
    ActionRequest,
    CompanyReport,
    ConnectionInput,
    ImportModeRequest,
    LinkRequest,
    ReleaseSummary,
    SendOnlyRequest,
)
from workflows.connection_policy import ConnectionStatus
from workflows.search_attributes import BUSINESS_ID, MAVENTA_STATE, NEEDS_SUPPORT, NETVISOR_COMPANY_ID

DEFAULT_BANK_CHECK_EVERY = timedelta(hours=4)
QUERY_TIMEOUT = timedelta(seconds=10)

__all__ = [
    "ActionRefused",
    "CompanyReleased",
    "ConnectionOptions",
    "ConnectionUnavailable",
    "UnknownCompany",
    "account",
    "check_bank_network_now",
    "create_connection",
    "decline",
    "link_account",
    "release",
    "report_company",
    "retry",
    "send_only",
    "send_only_with_linked_keys",
    "set_import_mode",
    "workflow_id",
]


class UnknownCompany(LookupError):
    """No connection workflow exists for the company (Netvisor has not reported it yet)."""


class ActionRefused(Exception):
    """The workflow refused the action (wrong state, nothing to do); the message says why and what to do."""


class ConnectionUnavailable(Exception):
    """The workflow could not answer in time (no worker running, or Temporal overloaded)."""


class CompanyReleased(Exception):
    """The company left Netvisor: its Maventa account was released (R15) and its workflow has ended."""

    def __init__(self, summary: ReleaseSummary) -> None:
        super().__init__(summary.message)
        self.summary = summary


class ConnectionOptions(BaseModel):
    """How new connection workflows are started; built from settings by `from_settings`."""

    task_queue: str
    maventa_task_queue: str | None = None
    bank_check_every: timedelta = DEFAULT_BANK_CHECK_EVERY
    bank_checks_on_any_day: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> "ConnectionOptions":
        return cls(
            task_queue=settings.temporal_task_queue,
            maventa_task_queue=settings.maventa_task_queue,
            bank_check_every=timedelta(seconds=settings.bank_network_check_seconds),
            bank_checks_on_any_day=settings.bank_network_check_any_day,
        )


def _handle(client: Client, company_id: str) -> WorkflowHandle[ConnectionWorkflow, ReleaseSummary]:
    return client.get_workflow_handle_for(ConnectionWorkflow.run, workflow_id(company_id))


async def _release_summary(client: Client, company_id: str) -> ReleaseSummary | None:
    """The summary of a released company (its workflow completed), or None if it was not released."""
    handle = _handle(client, company_id)
    try:
        description = await handle.describe()
    except RPCError:
        return None
    if description.status != WorkflowExecutionStatus.COMPLETED:
        return None
    return await handle.result()


@asynccontextmanager
async def _reaching(client: Client, company_id: str) -> AsyncIterator[None]:
    """Translate Temporal's errors into the four things a caller can act on."""
    try:
        yield
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            if (summary := await _release_summary(client, company_id)) is not None:
                raise CompanyReleased(summary) from None
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
) -> WorkflowHandle[ConnectionWorkflow, ReleaseSummary]:
    """Netvisor's view of a company: starts its lifecycle the first time (R1), reconciles later (R2).

    A released company is never started again (its completed run blocks the id); a run that failed or was
    terminated by an operator may be started anew."""
    modules = report.modules
    first_state = (
        ConnectionStatus.PROVISIONING
        if modules.sales or modules.purchases
        else ConnectionStatus.NO_CONNECTION
    )
    try:
        return await _start_or_signal(client, options, company_id, report, first_state)
    except WorkflowAlreadyStartedError:
        if (summary := await _release_summary(client, company_id)) is not None:
            raise CompanyReleased(summary) from None
        raise


async def _start_or_signal(
    client: Client,
    options: ConnectionOptions,
    company_id: str,
    report: CompanyReport,
    first_state: ConnectionStatus,
) -> WorkflowHandle[ConnectionWorkflow, ReleaseSummary]:
    return await client.start_workflow(
        ConnectionWorkflow.run,
        ConnectionInput(
            company_id=company_id,
            company=report,
            bank_check_every=options.bank_check_every,
            bank_checks_on_any_day=options.bank_checks_on_any_day,
            maventa_task_queue=options.maventa_task_queue,
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
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    )


async def account(client: Client, company_id: str) -> AccountView:
    """The account details of R9, as the workflow knows them now."""
    async with _reaching(client, company_id):
        view = await _handle(client, company_id).query(ConnectionWorkflow.account, rpc_timeout=QUERY_TIMEOUT)
    if view.lifecycle_state == ConnectionStatus.RELEASED:
        # The workflow ends as soon as the release's answer is out; its result is the summary.
        handle = _handle(client, company_id)
        raise CompanyReleased(await handle.result(rpc_timeout=QUERY_TIMEOUT))
    return view


RequestT = TypeVar("RequestT", bound=ActionRequest)


async def _act(
    client: Client,
    company_id: str,
    update: UpdateMethodMultiParam[[ConnectionWorkflow, RequestT], ActionAnswer],
    request: RequestT,
    request_id: str | None,
) -> ActionAnswer:
    """One action on the company's workflow. A request id makes a repeated request (a retried HTTP call)
    answer the same instead of acting twice."""
    async with _reaching(client, company_id):
        return await _handle(client, company_id).execute_update(update, request, id=request_id)


async def create_connection(
    client: Client, company_id: str, requested_by: str, request_id: str | None = None
) -> ActionAnswer:
    """R6 "Create Maventa connection"."""
    request = ActionRequest(requested_by=requested_by)
    return await _act(client, company_id, ConnectionWorkflow.create_connection, request, request_id)


async def check_bank_network_now(
    client: Client, company_id: str, requested_by: str, request_id: str | None = None
) -> ActionAnswer:
    """Support's "check the bank network now" (R7)."""
    request = ActionRequest(requested_by=requested_by)
    return await _act(client, company_id, ConnectionWorkflow.check_bank_network_now, request, request_id)


async def retry(
    client: Client, company_id: str, requested_by: str, request_id: str | None = None
) -> ActionAnswer:
    """Support's retry of the step that failed for good."""
    request = ActionRequest(requested_by=requested_by)
    return await _act(client, company_id, ConnectionWorkflow.retry, request, request_id)


async def set_import_mode(
    client: Client, company_id: str, request: ImportModeRequest, request_id: str | None = None
) -> ActionAnswer:
    """R10/R12: off, now (from this moment) or from a date; refused for companies that import nothing."""
    return await _act(client, company_id, ConnectionWorkflow.set_import_mode, request, request_id)


async def link_account(
    client: Client, company_id: str, requested_by: str, keys: AccountKeys, request_id: str | None = None
) -> ActionAnswer:
    """R12: link an existing account whose keys were checked with Maventa and stored in the vault."""
    request = LinkRequest(requested_by=requested_by, keys=keys)
    return await _act(client, company_id, ConnectionWorkflow.link_account, request, request_id)


async def decline(
    client: Client, company_id: str, requested_by: str, request_id: str | None = None
) -> ActionAnswer:
    """R13: the customer keeps an existing account to themselves; nothing is allocated."""
    request = ActionRequest(requested_by=requested_by)
    return await _act(client, company_id, ConnectionWorkflow.decline, request, request_id)


async def send_only(
    client: Client,
    company_id: str,
    requested_by: str,
    keys: AccountKeys | None = None,
    request_id: str | None = None,
) -> ActionAnswer:
    """R14: sending through Netvisor, receiving elsewhere (keys unless the account is linked already)."""
    request = SendOnlyRequest(requested_by=requested_by, keys=keys)
    return await _act(client, company_id, ConnectionWorkflow.send_only, request, request_id)


async def send_only_with_linked_keys(
    client: Client, company_id: str, requested_by: str, request_id: str | None = None
) -> ActionAnswer:
    """R14 for an account whose keys are linked already."""
    return await send_only(client, company_id, requested_by, None, request_id)


async def release(
    client: Client, company_id: str, requested_by: str, request_id: str | None = None
) -> ActionAnswer:
    """R15: the company leaves Netvisor; the answer is DONE once the account is the customer's."""
    request = ActionRequest(requested_by=requested_by)
    return await _act(client, company_id, ConnectionWorkflow.release, request, request_id)
