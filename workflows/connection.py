"""One Netvisor company's Maventa connection, from founding to leaving (§3): a durable entity workflow.

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
    from activities.link import LinkActivities
    from activities.projection import ProjectionActivities
    from activities.receiving import PEPPOL_NETWORK, PEPPOL_REFUSED, ReceivingActivities
    from activities.release import ReleaseActivities
    from domain.banking_days import (
        HELSINKI,
        bank_network_deadline,
        banking_day_on_or_after,
        end_of_day_helsinki,
        helsinki_date,
    )
    from domain.identifiers import MAVENTA_OPERATOR, einvoice_address_for
    from workflows.connection_models import (
        BANK_NETWORK_OVERDUE_REASON,
        Account,
        AccountKeys,
        AccountRef,
        AccountView,
        ActionAnswer,
        ActionRecord,
        ActionRequest,
        Authorization,
        AuthorizationCheck,
        AuthorizationRequest,
        BankNetwork,
        BankNetworkView,
        BusinessIdLookup,
        CompanyRef,
        CompanyReport,
        ConnectionInput,
        ConnectionState,
        Failure,
        ImportModeRequest,
        InvoicingAddresses,
        LinkAccount,
        LinkRequest,
        NetworkStatuses,
        NewAccount,
        NewUser,
        Outcome,
        PeppolRegistration,
        Projection,
        Release,
        ReleaseSummary,
        SendOnlyRequest,
        Step,
    )
    from workflows.connection_policy import (
        CONTACT_SUPPORT,
        IMPORT_PATH,
        IMPORTING,
        KEYS_PATH,
        SENDING_ALLOCATED,
        WAITING_FOR_ACCOUNT,
        ConnectionStatus,
        ImportMode,
        Standing,
        bank_check_refusal,
        can_move,
        create_connection_refusal,
        decline_refusal,
        from_date_refusal,
        import_mode_refusal,
        link_refusal,
        release_refusal,
        retry_refusal,
        send_only_refusal,
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
WHILE_ASKED = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=10), maximum_attempts=4
)
"""Linking answers the person waiting: a Maventa that stays down gets a FAILED answer to try again later."""
ACTIONS_KEPT = 50
AUTHORIZATION_IN_STEPS = "authorization-in-steps-on-the-maventa-queue"
"""Runs from before this patch keep the one four-request authorize_company activity; newer ones ask in
single-request steps, every Maventa activity on the rate-limited Maventa queue (docs/operating.md)."""
PEPPOL_RECEIVING = "peppol-registration-when-receiving-opens"
"""Runs that opened receiving before this patch registered VISMA and scanning only; newer ones also register
the company on PEPPOL (and a release unregisters what they registered)."""
LEFT_IN_MAVENTA = (
    "Received invoices not yet imported stay in the customer's Maventa account (handed back with it)."
)


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


def _refuse_if(reason: str | None) -> None:
    """A validator's refusal: the update is rejected with the policy's reason and changes nothing."""
    if reason is not None:
        raise ApplicationError(reason, type="ActionRefused", non_retryable=True)


def _activity_failure(error: ActivityError) -> str:
    cause = error.cause
    return (cause.message if isinstance(cause, ApplicationError) else error.message).rstrip(".")


@workflow.defn
class ConnectionWorkflow:
    @workflow.init
    def __init__(self, input: ConnectionInput) -> None:
        self._input = input
        self._state = input.carried or ConnectionState(
            company_id=input.company_id, company=input.company, founded_at=workflow.now()
        )
        self._wake = False
        self._linking = False
        self._bank_lock = asyncio.Lock()
        self._publish_lock = asyncio.Lock()

    @workflow.run
    async def run(self, input: ConnectionInput) -> ReleaseSummary:
        """Runs as long as the company uses Netvisor; ends when it is released (R15), with what was done."""
        workflow.set_current_details(self._summary())
        while True:
            self._wake = False
            await self._advance()
            await self._publish()
            if self._state.status == ConnectionStatus.RELEASED:
                await workflow.wait_condition(workflow.all_handlers_finished)
                return self._release_summary()
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
        if self._earlier_answer() is None:
            _refuse_if(create_connection_refusal(self._standing()))

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
        if self._earlier_answer() is None:
            _refuse_if(bank_check_refusal(self._standing()))

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
        if self._earlier_answer() is None:
            _refuse_if(retry_refusal(self._standing()))

    @workflow.update
    async def set_import_mode(self, request: ImportModeRequest) -> ActionAnswer:
        """R10/R12: which received invoices are imported; 'now' is the moment of choosing, kept if
        repeated."""
        if (earlier := self._earlier_answer()) is not None:
            return earlier
        state = self._state
        if request.mode == ImportMode.FROM_DATE:
            assert request.from_date is not None
            state.import_from = datetime.combine(request.from_date, time(0), tzinfo=HELSINKI).astimezone(UTC)
        elif request.mode == ImportMode.NOW:
            if state.import_mode != ImportMode.NOW or state.import_from is None:
                state.import_from = workflow.now()
        else:
            state.import_from = None
        state.import_mode = request.mode
        await self._publish()
        return self._record("set_import_mode", request, self._import_answer())

    @set_import_mode.validator
    def _validate_set_import_mode(self, request: ImportModeRequest) -> None:
        if self._earlier_answer() is None:
            _refuse_if(import_mode_refusal(self._standing()))
            _refuse_if(from_date_refusal(request.mode, request.from_date, helsinki_date(workflow.now())))

    @workflow.update
    async def link_account(self, request: LinkRequest) -> ActionAnswer:
        """R12: an existing account, its keys already checked and stored, linked to Netvisor's vendor key."""
        if (earlier := self._earlier_answer()) is not None:
            return earlier
        failed = await self._adopt(request.keys, ConnectionStatus.LINKED)
        return self._record("link_account", request, failed or self._linked_answer())

    @link_account.validator
    def _validate_link_account(self, request: LinkRequest) -> None:
        if self._earlier_answer() is None:
            _refuse_if(link_refusal(self._standing()))

    @workflow.update
    async def decline(self, request: ActionRequest) -> ActionAnswer:
        """R13: the customer keeps the account; nothing is allocated and nothing at Maventa changes."""
        if (earlier := self._earlier_answer()) is not None:
            return earlier
        state = self._state
        self._move_to(ConnectionStatus.NOT_LINKED)
        state.import_mode, state.import_from = ImportMode.OFF, None
        await self._publish()
        return self._record(
            "decline",
            request,
            self._answer(
                Outcome.DONE,
                "The company's Maventa account stays as it is and is not linked to Netvisor: no receiving, "
                f"scanning or sending through Netvisor. It can be linked later with {KEYS_PATH}.",
            ),
        )

    @decline.validator
    def _validate_decline(self, request: ActionRequest) -> None:
        if self._earlier_answer() is None:
            _refuse_if(decline_refusal(self._standing()))

    @workflow.update
    async def send_only(self, request: SendOnlyRequest) -> ActionAnswer:
        """R14: the customer receives elsewhere and sends through Netvisor; nothing is imported afterwards."""
        if (earlier := self._earlier_answer()) is not None:
            return earlier
        state = self._state
        if request.keys is not None:
            failed = await self._adopt(request.keys, ConnectionStatus.SEND_ONLY)
            if failed is not None:
                return self._record("send_only", request, failed)
        else:
            self._move_to(ConnectionStatus.SEND_ONLY)
        state.import_mode, state.import_from = ImportMode.OFF, None
        await self._publish()
        return self._record(
            "send_only",
            request,
            self._answer(
                Outcome.DONE,
                "Sales invoices are sent through Netvisor; purchase invoices are received in the customer's "
                "other system, so nothing is imported into Netvisor.",
            ),
        )

    @send_only.validator
    def _validate_send_only(self, request: SendOnlyRequest) -> None:
        if self._earlier_answer() is None:
            _refuse_if(send_only_refusal(self._standing(), keys_given=request.keys is not None))

    @workflow.update
    async def release(self, request: ActionRequest) -> ActionAnswer:
        """R15: import stops at once; the vendor link and the stored keys go; the workflow then ends."""
        if (earlier := self._earlier_answer()) is not None:
            return earlier
        state = self._state
        if state.release is None:
            state.release = Release(
                requested_by=request.requested_by, requested_at=workflow.now(), state_before=state.status
            )
            state.import_mode, state.import_from = ImportMode.OFF, None
            state.failure = None
        elif state.failure is not None:
            state.failure = None
        self._wake = True
        await self._settle(lambda: state.failure is not None or state.status == ConnectionStatus.RELEASED)
        return self._record("release", request, self._release_answer())

    @release.validator
    def _validate_release(self, request: ActionRequest) -> None:
        if self._earlier_answer() is None:
            _refuse_if(release_refusal(self._standing()))

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
                peppol=state.networks.get(PEPPOL_NETWORK),
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
            next_step=self._next_step(),
            recent_actions=state.actions,
        )

    # The loop's work

    async def _advance(self) -> None:
        """Do whatever is due, in lifecycle order, until nothing is or a step fails; a release comes first."""
        state = self._state
        if state.release is not None:
            if state.failure is None:
                await self._release()
            return
        if (
            state.failure is None
            and state.status in WAITING_FOR_ACCOUNT
            and self._wants_account()
            and not self._linking
        ):
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
            bank = state.bank_network
            # A check already due (it fell due while a step or a write ran) is made at once; a deadline
            # counts only until it has passed, when support has been told.
            due = [bank.next_check_at] if bank.next_check_at else []
            if bank.deadline and bank.deadline > now:
                due.append(bank.deadline)
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
                calls_maventa=True,
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
                calls_maventa=True,
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
                calls_maventa=True,
            )
            account.company_uuid = created.company_uuid
        if not account.authorized:
            request = AuthorizationRequest(
                account=self._account_ref(), business_id=company.business_id, auth_email=company.email
            )
            if workflow.patched(AUTHORIZATION_IN_STEPS):
                await self._authorize(request)
            else:
                await self._run(
                    AccountActivities.authorize_company,
                    request,
                    "Partner KYC authorization",
                    calls_maventa=True,
                )
            account.authorized = True
        if not account.vendor_linked:
            await self._run(
                AccountActivities.link_vendor,
                self._account_ref(),
                "Netvisor's vendor link",
                calls_maventa=True,
            )
            account.vendor_linked = True
        self._move_to(ConnectionStatus.ACTIVE)

    async def _authorize(self, request: AuthorizationRequest) -> None:
        """Partner KYC one Maventa request per activity, so the queue's activity rate tracks requests: the
        state, the request only when none is under way (its answer leaves the state unknown), then polling."""
        check = AuthorizationCheck(account=request.account)
        status: Authorization = await self._run(
            AccountActivities.authorization_status, check, "Is the company verified?", calls_maventa=True
        )
        if not status.verified and not status.under_way:
            status = await self._run(
                AccountActivities.request_authorization,
                request,
                "Partner KYC authorization",
                calls_maventa=True,
            )
        if not status.verified:
            await self._run(
                AccountActivities.authorization_status,
                check.model_copy(update={"until_verified": True}),
                "Wait until Maventa verifies the company",
                calls_maventa=True,
            )

    async def _open_receiving(self) -> None:
        """R2 + R7: the operator network, scanning and PEPPOL, then the bank-network request with its
        deadline."""
        state = self._state
        account = self._account_ref()
        try:
            receiving = await self._run(
                ReceivingActivities.open_receiving,
                account,
                "Open receiving (VISMA network and scanning)",
                calls_maventa=True,
            )
            state.networks.update(receiving.statuses)
            state.scan_address = receiving.scan_address
            if state.receiving_opened_at is None:
                state.receiving_opened_at = workflow.now()
                state.import_mode = ImportMode.NOW
                state.import_from = state.receiving_opened_at
            if workflow.patched(PEPPOL_RECEIVING):
                await self._register_peppol()
            bank = await self._run(
                BankNetworkActivities.request_bank_network,
                account,
                "Request the bank network",
                calls_maventa=True,
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

    async def _register_peppol(self) -> None:
        state = self._state
        peppol = await self._run(
            ReceivingActivities.register_peppol,
            PeppolRegistration(account=self._account_ref(), business_id=state.company.business_id),
            "Register the company on PEPPOL",
            calls_maventa=True,
        )
        state.networks.update(peppol.statuses)
        if state.peppol_registered_at is None and peppol.statuses.get(PEPPOL_NETWORK) != PEPPOL_REFUSED:
            state.peppol_registered_at = workflow.now()

    async def _follow_bank_network(self, *, on_demand: bool) -> None:
        """Check the BANK profile when due (or asked), and connect once it is confirmed; one at a time."""
        async with self._bank_lock:
            state = self._state
            bank = state.bank_network
            if state.status != ConnectionStatus.RECEIVING or state.failure is not None:
                return
            if bank.confirmed_at is None and (on_demand or self._bank_check_due()):
                await self._check_bank_network()
            # A release may have been asked for while the check ran; it goes first.
            if bank.confirmed_at is not None and state.failure is None and state.release is None:
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
                calls_maventa=True,
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
                calls_maventa=False,
            )
        except ActivityError as error:
            self._fail(Step.UPDATING_ADDRESSES, error)
            return
        state.addresses_updated_at = workflow.now()
        if state.status == ConnectionStatus.RECEIVING:  # not released meanwhile (support's check runs alone)
            self._move_to(ConnectionStatus.CONNECTED)

    async def _release(self) -> None:
        """R15 in order: import off in the projection (no new imports), the PEPPOL registration the service
        made and the vendor link removed at Maventa while the key is still there, then every stored secret of
        the company deleted."""
        state = self._state
        release = state.release
        account = state.account
        assert release is not None
        await self._publish()
        try:
            if state.peppol_registered_at is not None and account.credentials_ref:
                await self._run(
                    ReleaseActivities.unregister_peppol,
                    self._account_ref(),
                    "Remove the company's PEPPOL registration",
                    calls_maventa=True,
                )
                state.peppol_registered_at = None
                state.networks.pop(PEPPOL_NETWORK, None)
            if not release.vendor_unlinked and account.company_uuid and account.credentials_ref:
                await self._run(
                    ReleaseActivities.unlink_vendor,
                    self._account_ref(),
                    "Remove Netvisor's vendor link",
                    calls_maventa=True,
                )
                release.vendor_unlinked = True
            if release.secrets_deleted is None:
                forgotten = await self._run(
                    ReleaseActivities.forget_credentials,
                    CompanyRef(company_id=state.company_id),
                    "Delete the company's stored keys",
                    calls_maventa=False,
                )
                release.secrets_deleted = forgotten.secrets_deleted
        except ActivityError as error:
            self._fail(Step.RELEASING, error)
            return
        account.credentials_ref = None
        account.api_key_masked = None
        account.vendor_linked = False
        self._move_to(ConnectionStatus.RELEASED)

    async def _adopt(self, keys: AccountKeys, status: ConnectionStatus) -> ActionAnswer | None:
        """Link the account whose keys the API stored and move to `status`; FAILED changes nothing."""
        state = self._state
        self._linking = True
        try:
            networks = await self._run(
                LinkActivities.link_existing_account,
                LinkAccount(
                    account=AccountRef(
                        company_id=state.company_id,
                        company_uuid=keys.company_uuid,
                        credentials_ref=keys.credentials_ref,
                    ),
                    replaces_ref=state.account.credentials_ref,
                ),
                "Link Netvisor's vendor key to the existing account",
                WHILE_ASKED,
                calls_maventa=True,
            )
        except ActivityError as error:
            return self._answer(
                Outcome.FAILED,
                f"The account could not be linked: {_activity_failure(error)}. Nothing changed; try again "
                "later, or contact Netvisor customer service if it keeps failing.",
            )
        finally:
            self._linking = False
        state.account = Account(
            company_uuid=keys.company_uuid,
            credentials_ref=keys.credentials_ref,
            api_key_masked=keys.api_key_masked,
            authorized=True,
            vendor_linked=True,
        )
        state.networks = networks.statuses
        state.failure = None
        self._move_to(status)
        self._wake = True
        await self._publish()
        return None

    async def _publish(self) -> None:
        """Show what changed: the search attributes that differ, the UI summary, the projection row."""
        async with self._publish_lock:
            self._upsert_search_attributes()
            workflow.set_current_details(self._summary())
            projection = self._projection()
            if self._already_published(projection):
                return
            self._state.published = projection
            await self._run(
                ProjectionActivities.record_company,
                projection,
                "Record the company's state",
                calls_maventa=False,
            )

    def _already_published(self, projection: Projection) -> bool:
        """A projection carried over from a run that predates `lifecycle_state` is compared without it, so
        replaying such a run schedules the same activities; the next write that is due carries it."""
        published = self._state.published
        if published is not None and published.lifecycle_state is None:
            return projection.model_copy(update={"lifecycle_state": None}) == published
        return projection == published

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
        *,
        calls_maventa: bool,
    ) -> ResultT:
        """An activity that calls Maventa goes to the Maventa task queue, whose rate limit is Maventa's."""
        return await workflow.execute_activity_method(
            activity,
            arg,
            task_queue=self._input.maventa_task_queue if calls_maventa else None,
            start_to_close_timeout=STEP_TIMEOUT,
            retry_policy=retry_policy,
            summary=summary,
        )

    async def _settle(self, settled: Callable[[], bool]) -> None:
        """Let a handler wait for the loop's outcome, but answer within `answer_within` either way."""
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(
                settled, timeout=self._input.answer_within, timeout_summary="answer the request"
            )

    def _move_to(self, status: ConnectionStatus) -> None:
        current = self._state.status
        if status == current:
            return
        if not can_move(current, status):
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
        if state.release is not None:
            return state.status != ConnectionStatus.RELEASED
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

    def _standing(self) -> Standing:
        state = self._state
        return Standing(
            status=state.status,
            failure=state.failure.reason if state.failure is not None else None,
            releasing=state.release is not None,
            linking=self._linking,
        )

    def _shown_state(self) -> str:
        return self._standing().shown

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
                f"{BANK_NETWORK_OVERDUE_REASON}: requested {_minute(bank.requested_at)}, "
                f"not confirmed by the end of {_day(bank.deadline)}; still checking."
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
            lifecycle_state=state.status,
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
        if state.status in IMPORTING:
            lines.append(f"Import: {state.import_mode.value}")
        if state.release is not None:
            lines.append(f"Released on request of {state.release.requested_by}")
        if reason:
            lines.append(f"Needs support: {reason}")
        return "\n\n".join(lines)

    def _next_step(self) -> str | None:
        """What the user is expected to do, shown in the account view (R12: start the import)."""
        state = self._state
        keys_path = KEYS_PATH.format(company_id=state.company_id)
        if state.status == ConnectionStatus.LINKED and state.import_mode == ImportMode.OFF:
            return (
                "Start importing purchase invoices, now or from a date, with "
                f"{IMPORT_PATH.format(company_id=state.company_id)}; invoices received earlier can be moved "
                "to Netvisor with the manual transfer."
            )
        if state.status == ConnectionStatus.EXISTING_ACCOUNT:
            return (
                f"The business id already has a Maventa account: link it with its API keys ({keys_path}), "
                "or ask Netvisor customer service to leave it unlinked or to use it for sending only."
            )
        if state.status == ConnectionStatus.NOT_LINKED:
            return f"Not linked to Netvisor; the account can be linked later with {keys_path}."
        return None

    def _release_summary(self) -> ReleaseSummary:
        state = self._state
        release = state.release
        assert release is not None and release.secrets_deleted is not None
        released_at = workflow.now()
        unlinked = (
            "Netvisor's vendor link was removed at Maventa"
            if release.vendor_unlinked
            else "Netvisor had no vendor link on an account to remove"
        )
        return ReleaseSummary(
            company_id=state.company_id,
            business_id=state.company.business_id,
            name=state.company.name,
            released_at=released_at,
            requested_by=release.requested_by,
            state_before=release.state_before,
            maventa_company_id=state.account.company_uuid,
            vendor_unlinked=release.vendor_unlinked,
            secrets_deleted=release.secrets_deleted,
            message=(
                f"Released on request of {release.requested_by}: import stopped, {unlinked}, "
                f"{release.secrets_deleted} stored key(s) deleted; the Maventa account is the customer's. "
                + LEFT_IN_MAVENTA
            ),
        )

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

    def _import_answer(self) -> ActionAnswer:
        state = self._state
        earlier = "earlier ones can be moved to Netvisor with the manual transfer."
        if state.import_mode == ImportMode.OFF or state.import_from is None:
            return self._answer(
                Outcome.DONE,
                "Import is off: received invoices stay in Maventa and can be moved to Netvisor with the "
                "manual transfer.",
            )
        if state.import_mode == ImportMode.NOW:
            return self._answer(
                Outcome.DONE,
                f"Purchase invoices received from {_minute(state.import_from)} (Helsinki) on are imported "
                f"automatically; {earlier}",
            )
        return self._answer(
            Outcome.DONE,
            f"Purchase invoices received on or after {helsinki_date(state.import_from)} are imported "
            f"automatically; {earlier}",
        )

    def _linked_answer(self) -> ActionAnswer:
        state = self._state
        if state.status == ConnectionStatus.LINKED and state.import_mode != ImportMode.OFF:
            return self._answer(Outcome.DONE, "The new keys are linked; import continues as chosen.")
        return self._answer(
            Outcome.DONE,
            "The Maventa account is linked to Netvisor and can send e-invoices. Importing purchase invoices "
            f"has not started: choose now or a date with {IMPORT_PATH.format(company_id=state.company_id)}. "
            "Invoices received before that can be moved with the manual transfer.",
        )

    def _release_answer(self) -> ActionAnswer:
        state = self._state
        if state.status == ConnectionStatus.RELEASED:
            return self._answer(Outcome.DONE, self._release_summary().message)
        if state.failure is not None:
            return self._answer(
                Outcome.FAILED,
                f"{state.failure.reason} Import is stopped; release again (or retry) once the cause is "
                "fixed.",
            )
        return self._answer(
            Outcome.IN_PROGRESS,
            "Import is stopped; the vendor link and the stored keys are being removed (Maventa has not "
            "answered yet).",
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
