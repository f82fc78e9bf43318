"""The activities of a company's connection, as the workflow calls them: each on its task queue, with its
timeout, its retries and a summary the Temporal UI shows.

An activity that calls Maventa runs on the Maventa task queue, whose rate limit is Maventa's
(docs/operating.md); the others on the workflow's own. Timeouts and retries are the activity's own
(workflows/activity_timeouts.py): transient failures are retried until they pass; the activities raise
4xx-like failures as non-retryable, which the workflow turns into a step that waits for support.
"""

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from temporalio import workflow

from activities.account import AccountActivities
from activities.addresses import AddressActivities
from activities.bank_network import BankNetworkActivities
from activities.link import LinkActivities
from activities.projection import ProjectionActivities
from activities.receiving import ReceivingActivities
from activities.release import ReleaseActivities
from workflows.activity_timeouts import TIMEOUTS
from workflows.connection_models import (
    AccountRef,
    Authorization,
    AuthorizationCheck,
    AuthorizationRequest,
    BusinessIdLookup,
    BusinessIdStatus,
    CompanyRef,
    CreatedAccount,
    Forgotten,
    InvoicingAddresses,
    LinkAccount,
    Networks,
    NewAccount,
    NewUser,
    PeppolRegistration,
    Projection,
    StoredCredentials,
)

ArgT = TypeVar("ArgT")
ResultT = TypeVar("ResultT")


class ConnectionCalls:
    def __init__(self, maventa_task_queue: str | None) -> None:
        self._maventa_task_queue = maventa_task_queue
        """None: the workflow's own queue, as in runs started before the Maventa queue existed."""

    async def _run(
        self,
        activity: Callable[[Any, ArgT], Awaitable[ResultT]],
        arg: ArgT,
        summary: str,
        *,
        calls_maventa: bool = True,
    ) -> ResultT:
        return await workflow.execute_activity_method(
            activity,
            arg,
            task_queue=self._maventa_task_queue if calls_maventa else None,
            summary=summary,
            **TIMEOUTS[activity.__name__].options(),
        )

    # Creating the account (R1)

    async def look_up_business_id(self, lookup: BusinessIdLookup) -> BusinessIdStatus:
        return await self._run(
            AccountActivities.look_up_business_id, lookup, "Is the business id free at Maventa?"
        )

    async def create_maventa_user(self, user: NewUser) -> StoredCredentials:
        return await self._run(
            AccountActivities.create_maventa_user, user, "Create the company's Maventa user"
        )

    async def create_maventa_company(self, account: NewAccount) -> CreatedAccount:
        return await self._run(
            AccountActivities.create_maventa_company, account, "Create the Maventa company"
        )

    async def authorize_company(self, request: AuthorizationRequest) -> None:
        """The four-request authorization of runs from before it went in steps."""
        await self._run(AccountActivities.authorize_company, request, "Partner KYC authorization")

    async def authorization_status(self, check: AuthorizationCheck) -> Authorization:
        summary = (
            "Wait until Maventa verifies the company" if check.until_verified else "Is the company verified?"
        )
        return await self._run(AccountActivities.authorization_status, check, summary)

    async def request_authorization(self, request: AuthorizationRequest) -> Authorization:
        return await self._run(AccountActivities.request_authorization, request, "Partner KYC authorization")

    async def link_vendor(self, account: AccountRef) -> None:
        await self._run(AccountActivities.link_vendor, account, "Netvisor's vendor link")

    # Receiving and the bank network (R2, R7)

    async def open_receiving(self, account: AccountRef) -> Networks:
        return await self._run(
            ReceivingActivities.open_receiving, account, "Open receiving (VISMA network and scanning)"
        )

    async def register_peppol(self, registration: PeppolRegistration) -> Networks:
        return await self._run(
            ReceivingActivities.register_peppol, registration, "Register the company on PEPPOL"
        )

    async def request_bank_network(self, account: AccountRef) -> Networks:
        return await self._run(
            BankNetworkActivities.request_bank_network, account, "Request the bank network"
        )

    async def check_networks(self, account: AccountRef) -> Networks:
        return await self._run(BankNetworkActivities.check_networks, account, "Check the bank network")

    async def update_invoicing_addresses(self, addresses: InvoicingAddresses) -> None:
        await self._run(
            AddressActivities.update_invoicing_addresses,
            addresses,
            "Update Netvisor's invoicing addresses",
            calls_maventa=False,
        )

    # Linking an existing account (R12, R14) and releasing (R15)

    async def link_existing_account(self, link: LinkAccount) -> Networks:
        return await self._run(
            LinkActivities.link_existing_account,
            link,
            "Link Netvisor's vendor key to the existing account",
        )

    async def unregister_peppol(self, account: AccountRef) -> None:
        await self._run(
            ReleaseActivities.unregister_peppol, account, "Remove the company's PEPPOL registration"
        )

    async def unlink_vendor(self, account: AccountRef) -> None:
        await self._run(ReleaseActivities.unlink_vendor, account, "Remove Netvisor's vendor link")

    async def forget_credentials(self, company: CompanyRef) -> Forgotten:
        return await self._run(
            ReleaseActivities.forget_credentials,
            company,
            "Delete the company's stored keys",
            calls_maventa=False,
        )

    # What support and the API read

    async def record_company(self, projection: Projection) -> None:
        await self._run(
            ProjectionActivities.record_company, projection, "Record the company's state", calls_maventa=False
        )
