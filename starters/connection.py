"""Typed ways to reach a company's connection workflow; the HTTP API and the support CLI both use these.

Netvisor's report is a signal-with-start: the first one starts the lifecycle, later ones land in the running
workflow, and it is accepted even while no worker runs. Actions are updates: they need a worker and answer.
A released company's workflow has completed with its summary (R15); Netvisor's report never starts its id
again, so every later call raises CompanyReleased with that summary, until customer service rejoins it (§3.2):
that starts the id's next run together with the update that links the account again (update-with-start).
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import TypeVar

from pydantic import BaseModel
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
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
    Outcome,
    QuarantineRetryRequest,
    RejoinRequest,
    ReleaseSummary,
    SendOnlyRequest,
)
from workflows.connection_policy import ConnectionStatus, Standing, rejoin_refusal
from workflows.search_attributes import BUSINESS_ID, MAVENTA_STATE, NEEDS_SUPPORT, NETVISOR_COMPANY_ID

DEFAULT_BANK_CHECK_EVERY = timedelta(hours=4)
QUERY_TIMEOUT = timedelta(seconds=10)

__all__ = [
    "ActionFailed",
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
    "record_quarantine_retry",
    "rejoin",
    "release",
    "release_company",
    "released_summary",
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


class ActionFailed(Exception):
    """The workflow took the action but a step of it failed (Maventa refused); the message says what to do."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


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


def _input(
    options: ConnectionOptions,
    company_id: str,
    report: CompanyReport,
    returning: ReleaseSummary | None = None,
) -> ConnectionInput:
    return ConnectionInput(
        company_id=company_id,
        company=report,
        bank_check_every=options.bank_check_every,
        bank_checks_on_any_day=options.bank_checks_on_any_day,
        maventa_task_queue=options.maventa_task_queue,
        returning=returning,
    )


def _search_attributes(company_id: str, business_id: str, state: ConnectionStatus) -> TypedSearchAttributes:
    return TypedSearchAttributes(
        [
            SearchAttributePair(NETVISOR_COMPANY_ID, company_id),
            SearchAttributePair(BUSINESS_ID, business_id),
            SearchAttributePair(MAVENTA_STATE, state.value),
            SearchAttributePair(NEEDS_SUPPORT, False),
        ]
    )


def _static_summary(company_id: str) -> str:
    return f"Maventa connection of Netvisor company {company_id}"


async def _start_or_signal(
    client: Client,
    options: ConnectionOptions,
    company_id: str,
    report: CompanyReport,
    first_state: ConnectionStatus,
) -> WorkflowHandle[ConnectionWorkflow, ReleaseSummary]:
    return await client.start_workflow(
        ConnectionWorkflow.run,
        _input(options, company_id, report),
        id=workflow_id(company_id),
        task_queue=options.task_queue,
        start_signal="report_company",
        start_signal_args=[report],
        search_attributes=_search_attributes(company_id, report.business_id, first_state),
        static_summary=_static_summary(company_id),
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    )


async def released_summary(client: Client, company_id: str) -> ReleaseSummary:
    """What releasing the company did; ActionRefused, in the policy's words, when it has not left."""
    try:
        view = await account(client, company_id)
    except CompanyReleased as released:
        return released.summary
    raise ActionRefused(
        rejoin_refusal(Standing(view.lifecycle_state)) or "The company has not left Netvisor."
    )


async def earlier_answer(client: Client, company_id: str, request_id: str | None) -> ActionAnswer | None:
    """The answer the company's workflow gave to this request id before, from its action log (an action that
    starts a run, like rejoin, cannot leave the repeat to the workflow's own deduplication)."""
    if request_id is None:
        return None
    view = await account(client, company_id)
    return next((record.answer for record in view.recent_actions if record.update_id == request_id), None)


async def rejoin(
    client: Client,
    options: ConnectionOptions,
    summary: ReleaseSummary,
    report: CompanyReport,
    request: RejoinRequest,
    request_id: str | None = None,
) -> ActionAnswer:
    """§3.2: the company's next run starts where the released one ended and links the account in the same
    call; should the company be running after all, the update reaches that run and its validator refuses."""
    company_id = summary.company_id
    start = WithStartWorkflowOperation(
        ConnectionWorkflow.run,
        _input(options, company_id, report, returning=summary),
        id=workflow_id(company_id),
        task_queue=options.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        search_attributes=_search_attributes(company_id, report.business_id, ConnectionStatus.RELEASED),
        static_summary=_static_summary(company_id),
    )
    async with _reaching(client, company_id):
        return await client.execute_update_with_start_workflow(
            ConnectionWorkflow.rejoin, request, start_workflow_operation=start, id=request_id
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


async def record_quarantine_retry(
    client: Client, company_id: str, requested_by: str, invoice_id: str, request_id: str | None = None
) -> ActionAnswer:
    """Support's quarantine retry in the company's action log, with who asked (the inbox sweep does it)."""
    request = QuarantineRetryRequest(requested_by=requested_by, invoice_id=invoice_id)
    return await _act(client, company_id, ConnectionWorkflow.retry_quarantined_invoice, request, request_id)


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


async def release_company(
    client: Client, company_id: str, requested_by: str, request_id: str | None = None
) -> ActionAnswer:
    """R15 for the support route and the console: a step that failed for good raises ActionFailed."""
    answer = await release(client, company_id, requested_by, request_id)
    if answer.outcome == Outcome.FAILED:
        raise ActionFailed("release_failed", answer.message)
    return answer
