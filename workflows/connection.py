"""One Netvisor company's Maventa connection, from founding to leaving (§3): a durable entity workflow.

The main loop reconciles the state to what Netvisor reports and what was asked for, one step at a time
(provision, open receiving, follow the bank network, update addresses), then rests. It only sets a timer
while something is due at a known time (the same-day alarm, the next bank-network check, the deadline), so
an idle CONNECTED company costs no actions. Its rules are in connection_policy.py, the activities it calls
in connection_calls.py, its answers and views in connection_answers.py and connection_views.py;
docs/lifecycle.md explains the choices.
"""

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.bank_network import BANK_NETWORK
    from activities.receiving import PEPPOL_NETWORK, PEPPOL_REFUSED
    from domain.banking_days import end_of_day_helsinki, helsinki_date
    from workflows import connection_answers as answers
    from workflows import connection_schedule as schedule
    from workflows import connection_views as views
    from workflows.action_log import action
    from workflows.connection_calls import ConnectionCalls
    from workflows.connection_models import (
        Account,
        AccountKeys,
        AccountRef,
        AccountView,
        ActionAnswer,
        ActionRecord,
        ActionRequest,
        CompanyRef,
        CompanyReport,
        ConnectionInput,
        Failure,
        ImportModeRequest,
        InvoicingAddresses,
        LinkAccount,
        LinkRequest,
        PeppolRegistration,
        QuarantineRetryRequest,
        RejoinRequest,
        Release,
        ReleaseSummary,
        SendOnlyRequest,
        Step,
    )
    from workflows.connection_policy import (
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
        import_start,
        link_refusal,
        rejoin_refusal,
        release_refusal,
        retry_refusal,
        send_only_refusal,
    )
    from workflows.connection_provisioning import create_account
    from workflows.connection_schedule import next_bank_check

WORKFLOW_ID_PREFIX = "maventa-connection-"
PEPPOL_RECEIVING = "peppol-registration-when-receiving-opens"
"""Runs that opened receiving before this patch registered VISMA and scanning only; newer ones also register
the company on PEPPOL (and a release unregisters what they registered)."""
FIRST_STEP_WITH_PUBLISH = "first-provisioning-step-beside-the-projection"
"""Runs from before this patch recorded PROVISIONING in the projection, and only then, in a workflow task of
its own, asked Maventa anything; newer ones do both in the first task."""


def workflow_id(company_id: str) -> str:
    return WORKFLOW_ID_PREFIX + company_id


def _import_mode_refused(standing: Standing, request: ImportModeRequest) -> str | None:
    today = helsinki_date(workflow.now())
    return import_mode_refusal(standing) or from_date_refusal(request.mode, request.from_date, today)


def _rejoin_refused(standing: Standing, request: RejoinRequest) -> str | None:
    today = helsinki_date(workflow.now())
    return rejoin_refusal(standing) or from_date_refusal(request.mode, request.from_date, today)


def _send_only_refused(standing: Standing, request: SendOnlyRequest) -> str | None:
    return send_only_refusal(standing, keys_given=request.keys is not None)


def _activity_failure(error: ActivityError) -> str:
    cause = error.cause
    return (cause.message if isinstance(cause, ApplicationError) else error.message).rstrip(".")


@workflow.defn
class ConnectionWorkflow:
    @workflow.init
    def __init__(self, input: ConnectionInput) -> None:
        self._input = input
        self._state = input.carried or input.first_state(workflow.now())
        self._calls = ConnectionCalls(input.maventa_task_queue)
        self._wake = False
        self._linking = False
        self._bank_lock = asyncio.Lock()
        self._publish_lock = asyncio.Lock()

    @property
    def actions(self) -> list[ActionRecord]:
        """The answered updates: a repeated update id gets the same answer (workflows/action_log.py)."""
        return self._state.actions

    @workflow.run
    async def run(self, input: ConnectionInput) -> ReleaseSummary:
        """Runs as long as the company uses Netvisor; ends when it is released (R15), with what was done."""
        workflow.set_current_details(views.summary(self._state, workflow.now()))
        while True:
            self._wake = False
            await self._advance()
            await self._publish()
            if self._state.status == ConnectionStatus.RELEASED:
                await workflow.wait_condition(workflow.all_handlers_finished)
                if self._state.status == ConnectionStatus.RELEASED:  # not rejoined meanwhile (§3.2)
                    return views.release_summary(self._state, workflow.now())
                continue
            if workflow.info().is_continue_as_new_suggested():
                # Handlers may be waiting for the loop (create_connection, retry): serve them before leaving.
                await workflow.wait_condition(lambda: workflow.all_handlers_finished() or self._wake)
                if not self._wake:
                    workflow.continue_as_new(self._input.model_copy(update={"carried": self._state}))
                continue
            await self._rest()

    # Messages: Netvisor's report, the user's and support's actions, the account view

    @workflow.signal
    def report_company(self, report: CompanyReport) -> None:
        """Netvisor's current view of the company (R2); the same report twice changes nothing."""
        if report == self._state.company:
            return
        self._state.company = report
        self._wake = True

    @action(refused_by=lambda standing, _: create_connection_refusal(standing))
    async def create_connection(self, request: ActionRequest) -> ActionAnswer:
        """R6 "Create Maventa connection": starts or resumes provisioning and answers with its outcome."""
        state = self._state
        if state.status in WAITING_FOR_ACCOUNT:
            state.connection_requested = True
            if state.failure is not None:
                state.failure = None
                self._start_provisioning_clock()
            self._wake = True
            await self._settle(lambda: state.failure is not None or state.status not in WAITING_FOR_ACCOUNT)
        return answers.connection_answer(state)

    @action(refused_by=lambda standing, _: bank_check_refusal(standing))
    async def check_bank_network_now(self, request: ActionRequest) -> ActionAnswer:
        """Support's "check now": asks Maventa about the BANK profile at once instead of at the next check."""
        if self._state.status == ConnectionStatus.RECEIVING:
            await self._follow_bank_network(on_demand=True)
            self._wake = True
        return answers.bank_network_answer(self._state, workflow.now())

    @action(refused_by=lambda standing, _: retry_refusal(standing))
    async def retry(self, request: ActionRequest) -> ActionAnswer:
        """Support: run the failed step again, typically after its cause was fixed."""
        failure = self._state.failure
        if failure is not None:
            self._state.failure = None
            if failure.step == Step.PROVISIONING:
                self._start_provisioning_clock()
            self._wake = True
            await self._settle(lambda: self._state.failure is not None or not self._work_pending())
        return answers.retry_answer(self._state, failure, self._work_pending())

    @action(refused_by=lambda _standing, _request: None)
    async def retry_quarantined_invoice(self, request: QuarantineRetryRequest) -> ActionAnswer:
        """Support's quarantine retry (§4): the inbox sweep imports the invoice; this workflow records who
        asked, as it does for every support action on the company."""
        return answers.quarantine_retry_answer(self._state, request.invoice_id)

    @action(refused_by=_import_mode_refused)
    async def set_import_mode(self, request: ImportModeRequest) -> ActionAnswer:
        """R10/R12: which received invoices are imported; 'now' is the moment of choosing, kept when
        repeated."""
        state = self._state
        state.import_from = import_start(
            request.mode, request.from_date, state.import_mode, state.import_from, workflow.now()
        )
        state.import_mode = request.mode
        await self._publish()
        return answers.import_answer(state)

    @action(refused_by=lambda standing, _: link_refusal(standing))
    async def link_account(self, request: LinkRequest) -> ActionAnswer:
        """R12: an existing account, its keys already checked and stored, linked to Netvisor's vendor key."""
        failed = await self._adopt(request.keys, ConnectionStatus.LINKED)
        return failed or answers.linked_answer(self._state)

    @action(refused_by=lambda standing, _: decline_refusal(standing))
    async def decline(self, request: ActionRequest) -> ActionAnswer:
        """R13: the customer keeps the account; nothing is allocated and nothing at Maventa changes."""
        self._move_to(ConnectionStatus.NOT_LINKED)
        self._state.import_mode, self._state.import_from = ImportMode.OFF, None
        await self._publish()
        return answers.declined_answer(self._state)

    @action(refused_by=_send_only_refused)
    async def send_only(self, request: SendOnlyRequest) -> ActionAnswer:
        """R14: the customer receives elsewhere and sends through Netvisor; nothing is imported afterwards."""
        if request.keys is None:
            self._move_to(ConnectionStatus.SEND_ONLY)
        elif (failed := await self._adopt(request.keys, ConnectionStatus.SEND_ONLY)) is not None:
            return failed
        self._state.import_mode, self._state.import_from = ImportMode.OFF, None
        await self._publish()
        return answers.send_only_answer(self._state)

    @action(refused_by=lambda standing, _: release_refusal(standing))
    async def release(self, request: ActionRequest) -> ActionAnswer:
        """R15: import stops at once; the vendor link and the stored keys go; the workflow then ends."""
        state = self._state
        if state.release is None:
            state.release = Release(
                requested_by=request.requested_by, requested_at=workflow.now(), state_before=state.status
            )
            state.import_mode, state.import_from = ImportMode.OFF, None
        state.failure = None
        self._wake = True
        await self._settle(lambda: state.failure is not None or state.status == ConnectionStatus.RELEASED)
        return answers.release_answer(state, workflow.now())

    @action(refused_by=_rejoin_refused)
    async def rejoin(self, request: RejoinRequest) -> ActionAnswer:
        """§3.2: a released company back in Netvisor; its own account linked again, the import as chosen."""
        state = self._state
        if (failed := await self._adopt(request.keys, ConnectionStatus.LINKED)) is not None:
            return failed
        state.release = None
        now = workflow.now()
        state.import_from = import_start(request.mode, request.from_date, ImportMode.OFF, None, now)
        state.import_mode = request.mode
        await self._publish()
        return answers.rejoined_answer(state)

    @workflow.query
    def account(self) -> AccountView:
        """The account details of R9 (the API key only masked)."""
        return views.account_view(self._state, workflow.now())

    # The company's story: whatever is due, in lifecycle order

    async def _advance(self) -> None:
        """Do whatever is due, in lifecycle order, until nothing is or a step fails; a release comes first."""
        state = self._state
        if state.release is not None:
            if state.failure is None and state.status != ConnectionStatus.RELEASED:
                await self._release()
            return
        wants_account = schedule.wants_account(state) and not self._linking
        if state.failure is None and state.status in WAITING_FOR_ACCOUNT and wants_account:
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
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(
                lambda: self._wake or workflow.info().is_continue_as_new_suggested(),
                timeout=schedule.next_wake(self._state, workflow.now()),
                timeout_summary="next bank-network check",
            )

    async def _provision(self) -> None:
        """R1: create the account now; past the end of the day support is alerted while it keeps trying."""
        if self._state.status == ConnectionStatus.NO_CONNECTION:
            self._move_to(ConnectionStatus.PROVISIONING)
        if self._state.provisioning_deadline is None:
            self._start_provisioning_clock()
        if workflow.patched(FIRST_STEP_WITH_PUBLISH):
            # The first Maventa step is scheduled in this workflow task beside the projection's write, not in
            # the next one: in a founding burst that next task waited behind every other company's first one.
            steps = asyncio.create_task(self._create_account())
            await self._publish()
        else:
            await self._publish()
            steps = asyncio.create_task(self._create_account())
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

    async def _create_account(self) -> None:
        """The account is ready (ACTIVE), or the business id is someone else's (EXISTING_ACCOUNT)."""
        created = await create_account(self._calls, self._state)
        self._move_to(ConnectionStatus.ACTIVE if created else ConnectionStatus.EXISTING_ACCOUNT)

    async def _open_receiving(self) -> None:
        """R2 + R7: the operator network, scanning and PEPPOL, then the bank-network request with its
        deadline."""
        state = self._state
        try:
            receiving = await self._calls.open_receiving(state.account_ref())
            state.networks.update(receiving.statuses)
            state.scan_address = receiving.scan_address
            if state.receiving_opened_at is None:
                state.receiving_opened_at = workflow.now()
                state.import_mode, state.import_from = ImportMode.NOW, state.receiving_opened_at
            if workflow.patched(PEPPOL_RECEIVING):
                await self._register_peppol()
            bank = await self._calls.request_bank_network(state.account_ref())
        except ActivityError as error:
            self._fail(Step.OPENING_RECEIVING, error)
            return
        requested_at = workflow.now()
        state.networks.update(bank.statuses)
        active = bank.statuses.get(BANK_NETWORK) == "active"
        next_check_at = self._next_bank_check(requested_at)
        state.bank_network = schedule.bank_network_requested(requested_at, next_check_at, active)
        self._move_to(ConnectionStatus.RECEIVING)

    async def _register_peppol(self) -> None:
        state = self._state
        registration = PeppolRegistration(account=state.account_ref(), business_id=state.company.business_id)
        peppol = await self._calls.register_peppol(registration)
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
            if bank.confirmed_at is None and (on_demand or schedule.bank_check_due(state, workflow.now())):
                await self._check_bank_network()
            # A release may have been asked for while the check ran; it goes first.
            if bank.confirmed_at is not None and state.failure is None and state.release is None:
                await self._connect()

    async def _check_bank_network(self) -> None:
        """A check that fails with a 4xx waits for support; one that keeps failing otherwise is simply made
        again at the next cadence."""
        state, bank = self._state, self._state.bank_network
        try:
            networks = await self._calls.check_networks(state.account_ref())
        except ActivityError as error:
            if isinstance(error.cause, ApplicationError) and error.cause.non_retryable:
                self._fail(Step.CHECKING_BANK_NETWORK, error)
            else:
                bank.next_check_at = self._next_bank_check(workflow.now())
                workflow.logger.warning("bank-network check failed; trying again at the next check")
            return
        now = workflow.now()
        state.networks = networks.statuses
        bank.checks += 1
        bank.last_checked_at = now
        if networks.statuses.get(BANK_NETWORK) == "active":
            bank.confirmed_at = now
        else:
            bank.next_check_at = self._next_bank_check(now)

    async def _connect(self) -> None:
        """R7: Maventa becomes the company's e-invoice address in Netvisor, and the connection is complete."""
        state = self._state
        try:
            addresses = InvoicingAddresses(company_id=state.company_id, business_id=state.company.business_id)
            await self._calls.update_invoicing_addresses(addresses)
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
        state, account, release = self._state, self._state.account, self._state.release
        assert release is not None
        await self._publish()
        try:
            if state.peppol_registered_at is not None and account.credentials_ref:
                await self._calls.unregister_peppol(state.account_ref())
                state.peppol_registered_at = None
                state.networks.pop(PEPPOL_NETWORK, None)
            if not release.vendor_unlinked and account.company_uuid and account.credentials_ref:
                await self._calls.unlink_vendor(state.account_ref())
                release.vendor_unlinked = True
            if release.secrets_deleted is None:
                forgotten = await self._calls.forget_credentials(CompanyRef(company_id=state.company_id))
                release.secrets_deleted = forgotten.secrets_deleted
        except ActivityError as error:
            self._fail(Step.RELEASING, error)
            return
        account.credentials_ref = account.api_key_masked = None
        account.vendor_linked = False
        self._move_to(ConnectionStatus.RELEASED)

    async def _adopt(self, keys: AccountKeys, status: ConnectionStatus) -> ActionAnswer | None:
        """Link the account whose keys the API stored and move to `status`; FAILED changes nothing."""
        state = self._state
        ref = AccountRef(
            company_id=state.company_id, company_uuid=keys.company_uuid, credentials_ref=keys.credentials_ref
        )
        self._linking = True
        try:
            link = LinkAccount(account=ref, replaces_ref=state.account.credentials_ref)
            networks = await self._calls.link_existing_account(link)
        except ActivityError as error:
            return answers.link_failed_answer(state, _activity_failure(error))
        finally:
            self._linking = False
        state.account = Account.linked(keys)
        state.networks, state.failure = networks.statuses, None
        self._move_to(status)
        self._wake = True
        await self._publish()
        return None

    # Bookkeeping

    async def _publish(self) -> None:
        """Show what changed: the search attributes that differ, the UI summary, the projection row."""
        async with self._publish_lock:
            now = workflow.now()
            current = workflow.info().typed_search_attributes
            wanted = views.search_attributes(self._state, now)
            if changed := [update for update in wanted if current.get(update.key) != update.value]:
                workflow.upsert_search_attributes(changed)
            workflow.set_current_details(views.summary(self._state, now))
            projection = views.projection(self._state, now)
            if not views.already_published(self._state.published, projection):
                self._state.published = projection
                await self._calls.record_company(projection)

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
        reason = f"{step.value[0].upper()}{step.value[1:]} failed: {_activity_failure(error)}."
        self._state.failure = Failure(step=step, reason=reason, at=workflow.now())
        workflow.logger.warning("%s failed; waiting for support", step.value)

    def _start_provisioning_clock(self) -> None:
        now = workflow.now()
        self._state.provisioning_started_at = now
        self._state.provisioning_deadline = end_of_day_helsinki(now).astimezone(UTC)

    def _next_bank_check(self, after: datetime) -> datetime:
        every, any_day = self._input.bank_check_every, self._input.bank_checks_on_any_day
        return next_bank_check(after, every, any_day=any_day)

    @property
    def standing(self) -> Standing:
        """What the policy's rules look at: the lifecycle state and what is under way on top of it."""
        state = self._state
        failure = state.failure.reason if state.failure is not None else None
        return Standing(state.status, failure, releasing=state.release is not None, linking=self._linking)

    def _work_pending(self) -> bool:
        return schedule.work_pending(self._state, workflow.now())
