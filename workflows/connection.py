"""One Netvisor company's Maventa connection, from founding to leaving (SPEC §3): a durable entity workflow.

The main loop reconciles the state to what Netvisor reports and what was asked for, one step at a time
(provision, open receiving, follow the bank network, update addresses), then rests. It only sets a timer
while something is due at a known time (the same-day alarm, the next bank-network check, the deadline), so
an idle CONNECTED company costs no actions. docs/lifecycle.md explains the choices.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.account import AccountActivities
    from activities.addresses import AddressActivities
    from activities.bank_network import BANK_NETWORK, BankNetworkActivities
    from activities.projection import ProjectionActivities
    from activities.receiving import ReceivingActivities
    from domain.banking_days import (
        HELSINKI,
        bank_network_deadline,
        banking_day_on_or_after,
        end_of_day_helsinki,
        helsinki_date,
    )
    from domain.identifiers import MAVENTA_OPERATOR, einvoice_address_for
    from workflows.connection_models import (
        NEEDS_SUPPORT_STATE,
        SENDING_ALLOCATED,
        TRANSITIONS,
        AccountRef,
        AccountView,
        ActionAnswer,
        ActionRecord,
        ActionRequest,
        AuthorizationRequest,
        BankNetwork,
        BankNetworkView,
        BusinessIdLookup,
        CompanyReport,
        ConnectionInput,
        ConnectionState,
        ConnectionStatus,
        Failure,
        ImportMode,
        InvoicingAddresses,
        NetworkStatuses,
        NewAccount,
        NewUser,
        Outcome,
        Projection,
        Step,
    )
    from workflows.search_attributes import (
        BANK_NETWORK_DEADLINE,
        BUSINESS_ID,
        MAVENTA_STATE,
        NEEDS_SUPPORT,
        NETVISOR_COMPANY_ID,
    )

ArgT = TypeVar("ArgT")
ResultT = TypeVar("ResultT")

WORKFLOW_ID_PREFIX = "maventa-connection-"
STEP_TIMEOUT = timedelta(seconds=60)
KEEP_TRYING = RetryPolicy(
    initial_interval=timedelta(seconds=1), backoff_coefficient=2.0, maximum_interval=timedelta(minutes=5)
)
"""Transient failures (5xx, 429, timeouts) are retried until they pass; 4xx-like ones are non-retryable."""
CHECK_ONCE = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30), maximum_attempts=3
)
"""A periodic bank-network check that keeps failing is simply tried again at the next cadence."""
ACTIONS_KEPT = 50
CONTACT_SUPPORT = "Contact Netvisor customer service; they can see the reason and fix it."
WAITING_FOR_ACCOUNT = frozenset({ConnectionStatus.NO_CONNECTION, ConnectionStatus.PROVISIONING})


def workflow_id(company_id: str) -> str:
    return WORKFLOW_ID_PREFIX + company_id


def on_the_finnish_calendar(compute: Callable[[], ResultT]) -> ResultT:
    """Run a banking-day computation outside the sandbox's restrictions.

    The holidays package imports a country's calendar lazily and reads the locale (for holiday names) when
    it builds a year; neither changes which days are holidays, so the result is deterministic.
    """
    with workflow.unsafe.imports_passed_through(), workflow.unsafe.sandbox_unrestricted():
        return compute()


def next_bank_check(after: datetime, every: timedelta, *, any_day: bool = False) -> datetime:
    """`every` later, or the start of the next Finnish banking day when that would not be a banking day."""
    candidate = after + every
    if any_day:
        return candidate
    day = helsinki_date(candidate)
    banking_day = on_the_finnish_calendar(lambda: banking_day_on_or_after(day))
    if banking_day != day:
        candidate = datetime.combine(banking_day, time(0), tzinfo=HELSINKI)
    return candidate.astimezone(UTC)


def _day(deadline: datetime) -> str:
    """The Finnish calendar day an end-of-day deadline closes (deadlines are the next day's 00:00)."""
    return helsinki_date(deadline - timedelta(seconds=1)).isoformat()


def _minute(at: datetime) -> str:
    return at.astimezone(HELSINKI).strftime("%Y-%m-%d %H:%M")


def _refuse(message: str) -> ApplicationError:
    return ApplicationError(message, type="ActionRefused", non_retryable=True)


@workflow.defn
class ConnectionWorkflow:
    @workflow.init
    def __init__(self, input: ConnectionInput) -> None:
        self._input = input
        self._state = input.carried or ConnectionState(
            company_id=input.company_id, company=input.company, founded_at=workflow.now()
        )
        self._wake = False
        self._bank_lock = asyncio.Lock()
        self._publish_lock = asyncio.Lock()

    @workflow.run
    async def run(self, input: ConnectionInput) -> None:
        workflow.set_current_details(self._summary())
        while True:
            self._wake = False
            await self._advance()
            await self._publish()
            if workflow.info().is_continue_as_new_suggested():
                # Handlers may be waiting for the loop (create_connection, retry): serve them before leaving.
                await workflow.wait_condition(lambda: workflow.all_handlers_finished() or self._wake)
                if not self._wake:
                    workflow.continue_as_new(self._input.model_copy(update={"carried": self._state}))
                continue
            await self._rest()

    # Messages

    @workflow.signal
    def report_company(self, report: CompanyReport) -> None:
        """Netvisor's current view of the company (R2); the same report twice changes nothing."""
        if report == self._state.company:
            return
        self._state.company = report
        self._wake = True

    @workflow.update
    async def create_connection(self, request: ActionRequest) -> ActionAnswer:
        """R6 "Create Maventa connection": starts or resumes provisioning and answers with its outcome."""
        if (earlier := self._earlier_answer()) is not None:
            return earlier
        state = self._state
        if state.status in WAITING_FOR_ACCOUNT:
            state.connection_requested = True
            if state.failure is not None:
                state.failure = None
                self._start_provisioning_clock()
            self._wake = True
            await self._settle(lambda: state.failure is not None or state.status not in WAITING_FOR_ACCOUNT)
        return self._record("create_connection", request, self._connection_answer())

    @create_connection.validator
    def _validate_create_connection(self, request: ActionRequest) -> None:
        if self._earlier_answer() is not None:
            return
        status = self._state.status
        if status == ConnectionStatus.EXISTING_ACCOUNT:
            raise _refuse(
                "This business id already has a Maventa account used outside Netvisor, so a new one cannot "
                "be created. " + CONTACT_SUPPORT
            )
        if status in (ConnectionStatus.NOT_LINKED, ConnectionStatus.RELEASED):
            raise _refuse(
                f"The Maventa account is {status.value.replace('_', ' ').lower()}. {CONTACT_SUPPORT}"
            )

    @workflow.update
    async def check_bank_network_now(self, request: ActionRequest) -> ActionAnswer:
        """Support's "check now": asks Maventa about the BANK profile at once instead of at the next check."""
        if (earlier := self._earlier_answer()) is not None:
            return earlier
        if self._state.status == ConnectionStatus.RECEIVING:
            await self._follow_bank_network(on_demand=True)
            self._wake = True
        return self._record("check_bank_network_now", request, self._bank_network_answer())

    @check_bank_network_now.validator
    def _validate_check_bank_network_now(self, request: ActionRequest) -> None:
        if self._earlier_answer() is not None:
            return
        state = self._state
        if state.failure is not None:
            raise _refuse(f"A step failed: {state.failure.reason} Retry it first.")
        if state.status not in (ConnectionStatus.RECEIVING, ConnectionStatus.CONNECTED):
            raise _refuse(
                f"No bank network has been requested: that happens when receiving opens (the purchase "
                f"module). The connection is {self._shown_state()}."
            )

    @workflow.update
    async def retry(self, request: ActionRequest) -> ActionAnswer:
        """Support: run the failed step again, typically after its cause was fixed."""
        if (earlier := self._earlier_answer()) is not None:
            return earlier
        failure = self._state.failure
        if failure is not None:
            self._state.failure = None
            if failure.step == Step.PROVISIONING:
                self._start_provisioning_clock()
            self._wake = True
            await self._settle(lambda: self._state.failure is not None or not self._work_pending())
        return self._record("retry", request, self._retry_answer(failure))

    @retry.validator
    def _validate_retry(self, request: ActionRequest) -> None:
        if self._earlier_answer() is not None or self._state.failure is not None:
            return
        hint = ""
        if self._state.status == ConnectionStatus.RECEIVING:
            hint = " To ask Maventa about the bank network now, use the bank-network check."
        raise _refuse(
            f"Nothing to retry: no step has failed (the connection is {self._shown_state()}).{hint}"
        )

    @workflow.query
    def account(self) -> AccountView:
        """The account details of R9 (the API key only masked)."""
        state = self._state
        bank = state.bank_network
        reason = self._support_reason()
        has_account = state.status in SENDING_ALLOCATED and state.account.company_uuid is not None
        return AccountView(
            company_id=state.company_id,
            state=self._shown_state(),
            lifecycle_state=state.status,
            needs_support=reason is not None,
            needs_support_reason=reason,
            business_id=state.company.business_id,
            name=state.company.name,
            maventa_company_id=state.account.company_uuid,
            einvoice_address=einvoice_address_for(state.company.business_id) if has_account else None,
            operator=MAVENTA_OPERATOR if has_account else None,
            networks=NetworkStatuses(
                operator=state.networks.get("VISMA"),
                bank=state.networks.get(BANK_NETWORK),
                scan=state.networks.get("SCAN"),
                peppol=state.networks.get("PEPPOL"),
            ),
            scan_address=state.scan_address,
            bank_network=BankNetworkView(
                requested_at=bank.requested_at,
                deadline=bank.deadline,
                confirmed_at=bank.confirmed_at,
                overdue=self._bank_network_overdue(),
                last_checked_at=bank.last_checked_at,
                next_check_at=bank.next_check_at if state.status == ConnectionStatus.RECEIVING else None,
            ),
            invoicing_addresses_updated_at=state.addresses_updated_at,
            import_mode=state.import_mode,
            import_from=state.import_from,
            sending_allocated=state.status in SENDING_ALLOCATED,
            api_key_masked=state.account.api_key_masked,
            recent_actions=state.actions,
        )

    # The loop's work

    async def _advance(self) -> None:
        """Do whatever is due, in lifecycle order, until nothing is or a step fails."""
        state = self._state
        if state.failure is None and state.status in WAITING_FOR_ACCOUNT and self._wants_account():
            await self._provision()
        if (
            state.failure is None
            and state.status == ConnectionStatus.ACTIVE
            and state.company.modules.purchases
        ):
            await self._open_receiving()
        if state.failure is None and state.status == ConnectionStatus.RECEIVING:
            await self._follow_bank_network(on_demand=False)

    async def _rest(self) -> None:
        """Wait for a change; with a timer only when a bank-network check or deadline is due at a set time."""
        state = self._state
        timeout: timedelta | None = None
        if state.failure is None and state.status == ConnectionStatus.RECEIVING:
            now = workflow.now()
            due = [
                at
                for at in (state.bank_network.next_check_at, state.bank_network.deadline)
                if at and at > now
            ]
            if due:
                timeout = max(min(due) - now, timedelta(seconds=1))
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(
                lambda: self._wake or workflow.info().is_continue_as_new_suggested(),
                timeout=timeout,
                timeout_summary="next bank-network check",
            )

    async def _provision(self) -> None:
        """R1: create the account now; past the end of the day support is alerted while it keeps trying."""
        if self._state.status == ConnectionStatus.NO_CONNECTION:
            self._move_to(ConnectionStatus.PROVISIONING)
        if self._state.provisioning_deadline is None:
            self._start_provisioning_clock()
        await self._publish()
        steps = asyncio.create_task(self._provisioning_steps())
        deadline = self._state.provisioning_deadline
        assert deadline is not None
        left = deadline - workflow.now()
        if left > timedelta(0):
            alarm = asyncio.create_task(workflow.sleep(left, summary="end of the founding day"))
            await workflow.wait([steps, alarm], return_when=asyncio.FIRST_COMPLETED)
            alarm.cancel()
        if not steps.done():
            await self._publish()
        try:
            await steps
        except ActivityError as error:
            self._fail(Step.PROVISIONING, error)

    async def _provisioning_steps(self) -> None:
        state = self._state
        account = state.account
        company = state.company
        if account.company_uuid is None:
            found = await self._run(
                AccountActivities.look_up_business_id,
                BusinessIdLookup(company_id=state.company_id, business_id=company.business_id),
                "Is the business id free at Maventa?",
            )
            if found.taken_elsewhere:
                self._move_to(ConnectionStatus.EXISTING_ACCOUNT)
                return
            account.company_uuid = found.our_company_uuid
        if account.credentials_ref is None:
            stored = await self._run(
                AccountActivities.create_maventa_user,
                NewUser(company_id=state.company_id, email=company.email, name=company.name),
                "Create the company's Maventa user",
            )
            account.credentials_ref = stored.credentials_ref
            account.api_key_masked = stored.api_key_masked
        if account.company_uuid is None:
            created = await self._run(
                AccountActivities.create_maventa_company,
                NewAccount(
                    company_id=state.company_id, credentials_ref=account.credentials_ref, company=company
                ),
                "Create the Maventa company",
            )
            account.company_uuid = created.company_uuid
        if not account.authorized:
            await self._run(
                AccountActivities.authorize_company,
                AuthorizationRequest(
                    account=self._account_ref(), business_id=company.business_id, auth_email=company.email
                ),
                "Partner KYC authorization",
            )
            account.authorized = True
        if not account.vendor_linked:
            await self._run(AccountActivities.link_vendor, self._account_ref(), "Netvisor's vendor link")
            account.vendor_linked = True
        self._move_to(ConnectionStatus.ACTIVE)

    async def _open_receiving(self) -> None:
        """R2 + R7: the operator network and scanning, then the bank-network request with its deadline."""
        state = self._state
        account = self._account_ref()
        try:
            receiving = await self._run(
                ReceivingActivities.open_receiving, account, "Open receiving (VISMA network and scanning)"
            )
            state.networks.update(receiving.statuses)
            state.scan_address = receiving.scan_address
            if state.receiving_opened_at is None:
                state.receiving_opened_at = workflow.now()
                state.import_mode = ImportMode.NOW
                state.import_from = state.receiving_opened_at
            bank = await self._run(
                BankNetworkActivities.request_bank_network, account, "Request the bank network"
            )
        except ActivityError as error:
            self._fail(Step.OPENING_RECEIVING, error)
            return
        requested_at = workflow.now()
        state.networks.update(bank.statuses)
        state.bank_network = BankNetwork(
            requested_at=requested_at,
            deadline=on_the_finnish_calendar(lambda: bank_network_deadline(requested_at)).astimezone(UTC),
            next_check_at=next_bank_check(
                requested_at, self._input.bank_check_every, any_day=self._input.bank_checks_on_any_day
            ),
        )
        if bank.statuses.get(BANK_NETWORK) == "active":
            state.bank_network.confirmed_at = requested_at
        self._move_to(ConnectionStatus.RECEIVING)

    async def _follow_bank_network(self, *, on_demand: bool) -> None:
        """Check the BANK profile when due (or asked), and connect once it is confirmed; one at a time."""
        async with self._bank_lock:
            state = self._state
            bank = state.bank_network
            if state.status != ConnectionStatus.RECEIVING or state.failure is not None:
                return
            if bank.confirmed_at is None and (on_demand or self._bank_check_due()):
                await self._check_bank_network()
            if bank.confirmed_at is not None and state.failure is None:
                await self._connect()

    async def _check_bank_network(self) -> None:
        state = self._state
        bank = state.bank_network
        try:
            networks = await self._run(
                BankNetworkActivities.check_networks,
                self._account_ref(),
                "Check the bank network",
                CHECK_ONCE,
            )
        except ActivityError as error:
            if isinstance(error.cause, ApplicationError) and error.cause.non_retryable:
                self._fail(Step.CHECKING_BANK_NETWORK, error)
            else:
                bank.next_check_at = next_bank_check(
                    workflow.now(), self._input.bank_check_every, any_day=self._input.bank_checks_on_any_day
                )
                workflow.logger.warning("bank-network check failed; trying again at the next check")
            return
        now = workflow.now()
        state.networks = networks.statuses
        bank.checks += 1
        bank.last_checked_at = now
        if networks.statuses.get(BANK_NETWORK) == "active":
            bank.confirmed_at = now
        else:
            bank.next_check_at = next_bank_check(
                now, self._input.bank_check_every, any_day=self._input.bank_checks_on_any_day
            )

    async def _connect(self) -> None:
        """R7: Maventa becomes the company's e-invoice address in Netvisor, and the connection is complete."""
        state = self._state
        try:
            await self._run(
                AddressActivities.update_invoicing_addresses,
                InvoicingAddresses(company_id=state.company_id, business_id=state.company.business_id),
                "Update Netvisor's invoicing addresses",
            )
        except ActivityError as error:
            self._fail(Step.UPDATING_ADDRESSES, error)
            return
        state.addresses_updated_at = workflow.now()
        self._move_to(ConnectionStatus.CONNECTED)

    async def _publish(self) -> None:
        """Show what changed: the search attributes that differ, the UI summary, the projection row."""
        async with self._publish_lock:
            self._upsert_search_attributes()
            workflow.set_current_details(self._summary())
            projection = self._projection()
            if projection == self._state.published:
                return
            self._state.published = projection
            await self._run(ProjectionActivities.record_company, projection, "Record the company's state")

    def _upsert_search_attributes(self) -> None:
        state = self._state
        wanted: list[SearchAttributeUpdate[Any]] = [
            NETVISOR_COMPANY_ID.value_set(state.company_id),
            BUSINESS_ID.value_set(state.company.business_id),
            MAVENTA_STATE.value_set(self._shown_state()),
            NEEDS_SUPPORT.value_set(self._support_reason() is not None),
        ]
        if state.bank_network.deadline is not None:
            wanted.append(BANK_NETWORK_DEADLINE.value_set(state.bank_network.deadline))
        current = workflow.info().typed_search_attributes
        changed = [update for update in wanted if current.get(update.key) != update.value]
        if changed:
            workflow.upsert_search_attributes(changed)

    # Helpers

    async def _run(
        self,
        activity: Callable[[Any, ArgT], Awaitable[ResultT]],
        arg: ArgT,
        summary: str,
        retry_policy: RetryPolicy = KEEP_TRYING,
    ) -> ResultT:
        return await workflow.execute_activity_method(
            activity, arg, start_to_close_timeout=STEP_TIMEOUT, retry_policy=retry_policy, summary=summary
        )

    async def _settle(self, settled: Callable[[], bool]) -> None:
        """Let a handler wait for the loop's outcome, but answer within `answer_within` either way."""
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(
                settled, timeout=self._input.answer_within, timeout_summary="answer the request"
            )

    def _move_to(self, status: ConnectionStatus) -> None:
        current = self._state.status
        if status not in TRANSITIONS[current]:
            raise RuntimeError(f"no transition from {current} to {status}")
        workflow.logger.info("connection %s -> %s", current.value, status.value)
        self._state.status = status

    def _fail(self, step: Step, error: ActivityError) -> None:
        cause = error.cause
        detail = cause.message if isinstance(cause, ApplicationError) else error.message
        reason = f"{step.value[0].upper()}{step.value[1:]} failed: {detail.rstrip('.')}."
        self._state.failure = Failure(step=step, reason=reason, at=workflow.now())
        workflow.logger.warning("%s failed; waiting for support", step.value)

    def _start_provisioning_clock(self) -> None:
        now = workflow.now()
        self._state.provisioning_started_at = now
        self._state.provisioning_deadline = end_of_day_helsinki(now).astimezone(UTC)

    def _wants_account(self) -> bool:
        modules = self._state.company.modules
        return self._state.connection_requested or modules.sales or modules.purchases

    def _bank_check_due(self) -> bool:
        next_check_at = self._state.bank_network.next_check_at
        return next_check_at is None or workflow.now() >= next_check_at

    def _work_pending(self) -> bool:
        state = self._state
        if state.status in WAITING_FOR_ACCOUNT:
            return self._wants_account()
        if state.status == ConnectionStatus.ACTIVE:
            return state.company.modules.purchases
        if state.status == ConnectionStatus.RECEIVING:
            return state.bank_network.confirmed_at is not None or self._bank_check_due()
        return False

    def _account_ref(self) -> AccountRef:
        account = self._state.account
        assert account.company_uuid is not None and account.credentials_ref is not None
        return AccountRef(
            company_id=self._state.company_id,
            company_uuid=account.company_uuid,
            credentials_ref=account.credentials_ref,
        )

    def _shown_state(self) -> str:
        return NEEDS_SUPPORT_STATE if self._state.failure is not None else self._state.status.value

    def _bank_network_overdue(self) -> bool:
        state = self._state
        deadline = state.bank_network.deadline
        return (
            state.status == ConnectionStatus.RECEIVING
            and state.bank_network.confirmed_at is None
            and deadline is not None
            and workflow.now() >= deadline
        )

    def _support_reason(self) -> str | None:
        """Why support should look, derived from the state and the clock; None when all is well."""
        state = self._state
        if state.failure is not None:
            return state.failure.reason
        deadline = state.provisioning_deadline
        if state.status == ConnectionStatus.PROVISIONING and deadline and workflow.now() >= deadline:
            return (
                f"The Maventa account was not ready by the end of {_day(deadline)} (Helsinki); still trying."
            )
        if self._bank_network_overdue():
            bank = state.bank_network
            assert bank.requested_at is not None and bank.deadline is not None
            return (
                f"Bank network overdue: requested {_minute(bank.requested_at)}, not confirmed by the end of "
                f"{_day(bank.deadline)}; still checking."
            )
        return None

    def _projection(self) -> Projection:
        state = self._state
        reason = self._support_reason()
        return Projection(
            company_id=state.company_id,
            business_id=state.company.business_id,
            name=state.company.name,
            state=self._shown_state(),
            needs_support=reason is not None,
            needs_support_reason=reason,
            maventa_company_uuid=state.account.company_uuid,
            credentials_ref=state.account.credentials_ref,
            import_mode=state.import_mode,
            import_from=state.import_from,
        )

    def _summary(self) -> str:
        state = self._state
        bank = state.bank_network
        reason = self._support_reason()
        lines = [f"**{self._shown_state()}** · {state.company.name} ({state.company.business_id})"]
        if state.status == ConnectionStatus.RECEIVING and bank.requested_at and bank.deadline:
            lines.append(
                f"Bank network requested {_minute(bank.requested_at)}, deadline end of {_day(bank.deadline)}"
                + (f", next check {_minute(bank.next_check_at)}" if bank.next_check_at else "")
            )
        if state.status == ConnectionStatus.CONNECTED:
            lines.append(
                f"E-invoice address {einvoice_address_for(state.company.business_id)} via {MAVENTA_OPERATOR}"
            )
        if reason:
            lines.append(f"Needs support: {reason}")
        return "\n\n".join(lines)

    # Answers

    def _earlier_answer(self) -> ActionAnswer | None:
        """The recorded answer to this update id, so a repeat (even after continue-as-new) is not redone."""
        info = workflow.current_update_info()
        if info is None:
            return None
        return next((record.answer for record in self._state.actions if record.update_id == info.id), None)

    def _record(self, action: str, request: ActionRequest, answer: ActionAnswer) -> ActionAnswer:
        info = workflow.current_update_info()
        assert info is not None
        self._state.actions.append(
            ActionRecord(
                update_id=info.id,
                action=action,
                requested_by=request.requested_by,
                at=workflow.now(),
                answer=answer,
            )
        )
        del self._state.actions[:-ACTIONS_KEPT]
        workflow.logger.info("%s asked by %s: %s", action, request.requested_by, answer.outcome.value)
        return answer

    def _answer(self, outcome: Outcome, message: str) -> ActionAnswer:
        return ActionAnswer(outcome=outcome, state=self._shown_state(), message=message)

    def _connection_answer(self) -> ActionAnswer:
        state = self._state
        if state.status in SENDING_ALLOCATED:
            return self._answer(Outcome.DONE, "The Maventa connection is ready; e-invoices can be sent.")
        if state.status == ConnectionStatus.EXISTING_ACCOUNT:
            return self._answer(
                Outcome.FAILED,
                "This business id already has a Maventa account used outside Netvisor. " + CONTACT_SUPPORT,
            )
        if state.failure is not None:
            return self._answer(
                Outcome.FAILED, "The Maventa connection could not be created. " + CONTACT_SUPPORT
            )
        return self._answer(
            Outcome.IN_PROGRESS, "The Maventa connection is being created; it shows here once it is ready."
        )

    def _bank_network_answer(self) -> ActionAnswer:
        state = self._state
        bank = state.bank_network
        if state.failure is not None:
            return self._answer(Outcome.FAILED, state.failure.reason)
        if state.status == ConnectionStatus.CONNECTED and bank.confirmed_at is not None:
            return self._answer(
                Outcome.DONE,
                f"The bank network was confirmed {_minute(bank.confirmed_at)} and Netvisor's invoicing "
                "addresses point to Maventa.",
            )
        assert bank.requested_at is not None and bank.deadline is not None
        overdue = " It is overdue." if self._bank_network_overdue() else ""
        return self._answer(
            Outcome.DONE,
            f"The banks have not confirmed the bank network yet (requested {_minute(bank.requested_at)}, "
            f"deadline end of {_day(bank.deadline)}).{overdue}",
        )

    def _retry_answer(self, failure: Failure | None) -> ActionAnswer:
        state = self._state
        if failure is None:
            return self._answer(Outcome.DONE, "Nothing had failed.")
        if state.failure is not None:
            return self._answer(Outcome.FAILED, state.failure.reason)
        if self._work_pending():
            return self._answer(
                Outcome.IN_PROGRESS,
                f"Retrying {failure.step.value}; Maventa or Netvisor has not answered yet.",
            )
        return self._answer(
            Outcome.DONE, f"Retried {failure.step.value}: the connection is {state.status.value}."
        )
