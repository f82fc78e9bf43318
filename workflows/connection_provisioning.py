"""Creating a company's Maventa account the day it is founded (R1): the business id looked up, the user, the
company, partner KYC and Netvisor's vendor link, each skipped once done, so that a retry never makes a second
account. docs/lifecycle.md tells why each step is safe to repeat.
"""

from temporalio import workflow

from workflows.connection_calls import ConnectionCalls
from workflows.connection_models import (
    AuthorizationCheck,
    AuthorizationRequest,
    BusinessIdLookup,
    ConnectionState,
    NewAccount,
    NewUser,
)

AUTHORIZATION_IN_STEPS = "authorization-in-steps-on-the-maventa-queue"
"""Runs from before this patch keep the one four-request authorize_company activity; newer ones ask in
single-request steps, every Maventa activity on the rate-limited Maventa queue (docs/operating.md)."""


async def create_account(calls: ConnectionCalls, state: ConnectionState) -> bool:
    """True once the account is ready; False when the business id has someone else's account (R12-R14)."""
    account, company = state.account, state.company
    if account.company_uuid is None:
        lookup = BusinessIdLookup(company_id=state.company_id, business_id=company.business_id)
        found = await calls.look_up_business_id(lookup)
        if found.taken_elsewhere:
            return False
        account.company_uuid = found.our_company_uuid
    if account.credentials_ref is None:
        user = NewUser(company_id=state.company_id, email=company.email, name=company.name)
        stored = await calls.create_maventa_user(user)
        account.credentials_ref, account.api_key_masked = stored.credentials_ref, stored.api_key_masked
    if account.company_uuid is None:
        new = NewAccount(
            company_id=state.company_id, credentials_ref=account.credentials_ref, company=company
        )
        account.company_uuid = (await calls.create_maventa_company(new)).company_uuid
    if not account.authorized:
        await authorize(calls, state)
        account.authorized = True
    if not account.vendor_linked:
        await calls.link_vendor(state.account_ref())
        account.vendor_linked = True
    return True


async def authorize(calls: ConnectionCalls, state: ConnectionState) -> None:
    """Partner KYC one Maventa request per activity, so the queue's activity rate tracks requests: the
    state, the request only when none is under way (its answer leaves the state unknown), then polling."""
    request = AuthorizationRequest(
        account=state.account_ref(), business_id=state.company.business_id, auth_email=state.company.email
    )
    if not workflow.patched(AUTHORIZATION_IN_STEPS):
        await calls.authorize_company(request)
        return
    check = AuthorizationCheck(account=request.account)
    status = await calls.authorization_status(check)
    if not status.verified and not status.under_way:
        status = await calls.request_authorization(request)
    if not status.verified:
        await calls.authorization_status(check.model_copy(update={"until_verified": True}))
