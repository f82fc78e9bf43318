"""Provisioning a company's Maventa account the day it is founded (R1).

Each step looks at what is already recorded (store, vault, Maventa) before it acts, so an activity retried
after a crash or a timeout finishes the work instead of creating a second user or company.
"""

import asyncio
import re

from pydantic import SecretStr
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.credentials import account_credentials
from activities.maventa_failures import maventa_failures
from clients.maventa import MaventaClient, MaventaCredentials, NewCompany
from store.companies import CompanyChanges, get_company, upsert_company
from store.database import Sessions, reading, unit_of_work
from store.vault import USER_API_KEY, UnknownSecretError, get_secret, mask, put_secret, secret_ref
from workflows.connection_models import (
    AUTHORIZATION_UNDER_WAY,
    VERIFIED,
    AccountRef,
    Authorization,
    AuthorizationCheck,
    AuthorizationRequest,
    BusinessIdLookup,
    BusinessIdStatus,
    CreatedAccount,
    NewAccount,
    NewUser,
    StoredCredentials,
)

USER_LAST_NAME = "Netvisor"


def maventa_user_email(company_email: str, company_id: str) -> str:
    """The company's e-mail tagged with its Netvisor id: Maventa allows one user per e-mail address, and
    several Netvisor companies often share one (an accounting office), so each gets its own address that
    still reaches the same mailbox."""
    local, _, domain = company_email.partition("@")
    tag = re.sub(r"[^A-Za-z0-9-]", "-", company_id)
    return f"{local.split('+')[0]}+netvisor-{tag}@{domain}"


class AccountActivities:
    """Maventa calls of R1, with the partner's own credentials for the business-id lookup."""

    def __init__(self, maventa: MaventaClient, sessions: Sessions, partner: MaventaCredentials) -> None:
        self._maventa = maventa
        self._sessions = sessions
        self._partner = partner

    @activity.defn
    async def look_up_business_id(self, lookup: BusinessIdLookup) -> BusinessIdStatus:
        """Taken at Maventa is ours when an earlier attempt recorded the company; otherwise someone else's."""
        recorded = await asyncio.to_thread(self._recorded_company_uuid, lookup.company_id)
        if recorded is not None:
            return BusinessIdStatus(taken_elsewhere=False, our_company_uuid=recorded)
        with maventa_failures("looking up the business id"):
            statuses = await self._maventa.lookup_companies(self._partner, [lookup.business_id])
        status = statuses.get(lookup.business_id, "FREE")
        return BusinessIdStatus(taken_elsewhere=status == "RESERVED")

    @activity.defn
    async def create_maventa_user(self, user: NewUser) -> StoredCredentials:
        """The company's Maventa user; its API key goes straight into the vault, only the ref comes back."""
        stored = await asyncio.to_thread(self._stored_key, user.company_id)
        if stored is not None:
            return StoredCredentials(
                credentials_ref=secret_ref(user.company_id, USER_API_KEY), api_key_masked=mask(stored)
            )
        with maventa_failures("creating the company's Maventa user"):
            key = await self._maventa.create_user(
                maventa_user_email(user.email, user.company_id), user.name, USER_LAST_NAME
            )
        ref = await asyncio.to_thread(self._store_key, user.company_id, key)
        return StoredCredentials(credentials_ref=ref, api_key_masked=mask(key))

    @activity.defn
    async def create_maventa_company(self, new: NewAccount) -> CreatedAccount:
        """The Maventa company (linked to Netvisor's vendor key at creation), recorded once it exists."""
        recorded = await asyncio.to_thread(self._recorded_company_uuid, new.company_id)
        if recorded is not None:
            return CreatedAccount(company_uuid=recorded)
        key = await asyncio.to_thread(self._secret, new.credentials_ref)
        company = new.company
        details = NewCompany(
            name=company.name,
            business_id=company.business_id,
            email=company.email,
            street=company.address.street,
            post_code=company.address.post_code,
            city=company.address.city,
            country=company.address.country,
        )
        with maventa_failures("creating the Maventa company"):
            company_uuid = await self._maventa.create_company(key, details)
        await asyncio.to_thread(
            self._record, new.company_id, CompanyChanges(maventa_company_uuid=company_uuid)
        )
        return CreatedAccount(company_uuid=company_uuid)

    @activity.defn
    async def authorize_company(self, request: AuthorizationRequest) -> None:
        """Partner KYC in one activity of up to four requests: only runs scheduled before the Maventa task
        queue still call it (the workflow's AUTHORIZATION_IN_STEPS patch); new runs use the two below.

        Raises a retryable error while verification is still pending, so the retry policy does the polling.
        """
        creds = await account_credentials(self._sessions, request.account)
        with maventa_failures("authorizing the company (KYC)"):
            status = await self._maventa.authorization_status(creds)
            if status.company_state == VERIFIED:
                return
            if status.auth_state not in AUTHORIZATION_UNDER_WAY:
                await self._maventa.request_authorization(creds, request.auth_email, _kyc_proof(request))
                status = await self._maventa.authorization_status(creds)
        if status.company_state != VERIFIED:
            raise _pending(status.auth_state)

    @activity.defn
    async def authorization_status(self, check: AuthorizationCheck) -> Authorization:
        """One request (plus the company's token on its first call): where Maventa's KYC stands."""
        creds = await account_credentials(self._sessions, check.account)
        with maventa_failures("reading the company's authorization (KYC)"):
            status = await self._maventa.authorization_status(creds)
        if check.until_verified and not status.verified:
            raise _pending(status.auth_state)
        return Authorization(auth_state=status.auth_state, company_state=status.company_state)

    @activity.defn
    async def request_authorization(self, request: AuthorizationRequest) -> Authorization:
        """Partner KYC, one request: Netvisor vouches for the company, so Maventa verifies it without a
        signature round. Maventa answers the request's result (`{status, count}`), not the company's state,
        so the state comes back unknown and the workflow reads it next."""
        creds = await account_credentials(self._sessions, request.account)
        with maventa_failures("authorizing the company (KYC)"):
            await self._maventa.request_authorization(creds, request.auth_email, _kyc_proof(request))
        return Authorization()

    @activity.defn
    async def link_vendor(self, account: AccountRef) -> None:
        """Netvisor's vendor key on the company; a new company has it already, so this usually only looks."""
        creds = await account_credentials(self._sessions, account)
        with maventa_failures("linking the company to Netvisor's vendor key"):
            if await self._maventa.vendor_link_state(creds) is None:
                await self._maventa.link_vendor(creds)

    def _recorded_company_uuid(self, company_id: str) -> str | None:
        with reading(self._sessions) as session:
            row = get_company(session, company_id)
            return row.maventa_company_uuid if row is not None else None

    def _stored_key(self, company_id: str) -> SecretStr | None:
        with reading(self._sessions) as session:
            try:
                return get_secret(session, secret_ref(company_id, USER_API_KEY))
            except UnknownSecretError:
                return None

    def _store_key(self, company_id: str, key: SecretStr) -> str:
        with unit_of_work(self._sessions) as session:
            ref = put_secret(session, company_id, USER_API_KEY, key)
            upsert_company(session, company_id, CompanyChanges(credentials_ref=ref))
            return ref

    def _secret(self, ref: str) -> SecretStr:
        with reading(self._sessions) as session:
            return get_secret(session, ref)

    def _record(self, company_id: str, changes: CompanyChanges) -> None:
        with unit_of_work(self._sessions) as session:
            upsert_company(session, company_id, changes)


def _kyc_proof(request: AuthorizationRequest) -> dict[str, str]:
    return {"kyc_by": "Netvisor", "business_id": request.business_id}


def _pending(auth_state: str | None) -> ApplicationError:
    return ApplicationError(
        f"Maventa has not verified the company yet (authorization {auth_state})", type="AuthorizationPending"
    )
