"""The exception cases (§7): Netvisor links an existing Maventa account by API keys (R12) and chooses
what is imported (R10, R12); support declines (R13), makes a company send-only (R14) or releases it (R15).

The user's API key goes from the request straight into the vault after Maventa accepted it; the workflow only
ever gets the vault reference and the masked key. A link the workflow refuses or cannot make leaves nothing
behind: the stored key is deleted again.
"""

import asyncio
import hashlib
import re
import uuid
from collections.abc import Awaitable
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field, SecretStr, model_validator
from temporalio.client import Client

from clients.maventa import MaventaClient, MaventaCredentials, MaventaRequestError, MaventaUnavailable
from domain.banking_days import helsinki_date
from starters import connection
from starters.api.auth import netvisor_caller, support_caller
from starters.api.clock import Now
from starters.api.companies import (
    CompanyId,
    IdempotencyKey,
    answering_connection_errors,
    released,
    unavailable,
    unknown_company,
)
from starters.api.errors import ERROR_RESPONSES, ApiError
from starters.api.maventa import fresh_maventa_client
from starters.api.support import SupportUser, act, store_sessions
from starters.api.temporal import temporal_client
from store.database import Sessions, unit_of_work
from store.vault import USER_API_KEY, forget_secret, mask, put_secret
from workflows.connection_models import AccountKeys, ActionAnswer, ImportModeRequest, Outcome
from workflows.connection_policy import (
    ConnectionStatus,
    ImportMode,
    Standing,
    from_date_refusal,
    link_refusal,
    send_only_refusal,
)

router = APIRouter(
    prefix="/v1/companies",
    tags=["companies"],
    dependencies=[Depends(netvisor_caller)],
    responses=ERROR_RESPONSES,
)

TemporalClient = Annotated[Client, Depends(temporal_client)]
UUID_PATTERN = r"^[A-Za-z0-9-]{8,64}$"
LINKED_KEY_KIND = USER_API_KEY + ":linked:"


def linked_key_kind(attempt: str | None) -> str:
    """The vault kind of keys given in one request: the same Idempotency-Key gives the same kind (a repeat
    replaces, not adds), and any key fits the vault's kind column (a digest, not the key itself)."""
    token = hashlib.sha256(attempt.encode()).hexdigest()[:32] if attempt else uuid.uuid4().hex
    return LINKED_KEY_KIND + token


class ApiKeysBody(BaseModel):
    """An existing account's keys (Maventa: Settings > Company settings > Company information)."""

    company_uuid: str = Field(pattern=UUID_PATTERN, max_length=64, description="The account's company UUID")
    user_api_key: SecretStr = Field(min_length=8, max_length=200, description="A user's API key; never shown")
    requested_by: str = Field("netvisor", min_length=1, max_length=200, description="The Netvisor user")


class ImportBody(BaseModel):
    mode: ImportMode = Field(description="off, now (from this moment) or from_date (received on or after it)")
    from_date: date | None = Field(None, description="YYYY-MM-DD, only with mode from_date; not future")
    requested_by: str = Field("netvisor", min_length=1, max_length=200, description="The Netvisor user")


def _digits(business_id: str | None) -> str:
    return re.sub(r"\D", "", business_id or "")


async def _check_with_maventa(maventa: MaventaClient, creds: MaventaCredentials, business_id: str) -> None:
    """Ask Maventa who these keys are (a fresh client, so no cached token can vouch for a wrong key)."""
    try:
        company = await maventa.current_company(creds)
    except MaventaRequestError:
        raise ApiError(
            422,
            "invalid_api_keys",
            "Maventa did not accept this company UUID and API key. Check both in Maventa (Settings > "
            "Company settings > Company information) and send them again; nothing was changed.",
        ) from None
    except MaventaUnavailable:
        raise ApiError(
            503, "maventa_unavailable", "Maventa could not check the keys right now; try again shortly."
        ) from None
    if _digits(company.bid) != _digits(business_id):
        raise ApiError(
            422,
            "keys_of_another_company",
            f"These keys belong to a Maventa account with another business id than {business_id}; send "
            "the keys of this company's own account. Nothing was changed.",
        )


async def checked_keys(
    request: Request,
    company_id: str,
    business_id: str,
    company_uuid: str,
    user_api_key: SecretStr,
    attempt: str | None,
) -> AccountKeys:
    """Keys Maventa accepted for this business id, stored in the vault under a reference of their own."""
    creds = MaventaCredentials(company_uuid=company_uuid, user_api_key=user_api_key)
    await _check_with_maventa(fresh_maventa_client(request), creds, business_id)
    sessions = store_sessions(request)
    kind = linked_key_kind(attempt)

    def store() -> str:
        with unit_of_work(sessions) as session:
            return put_secret(session, company_id, kind, user_api_key)

    ref = await asyncio.to_thread(store)
    return AccountKeys(company_uuid=company_uuid, credentials_ref=ref, api_key_masked=mask(user_api_key))


async def forget_unused(sessions: Sessions, keys: AccountKeys) -> None:
    """A key the workflow did not adopt (refused or failed) is deleted again: a refusal leaves no trace."""

    def forget() -> None:
        with unit_of_work(sessions) as session:
            forget_secret(session, keys.credentials_ref)

    await asyncio.to_thread(forget)


async def current_state(client: Client, company_id: str) -> tuple[ConnectionStatus, str]:
    """The company's lifecycle state and business id, translating the connection's errors for the API."""
    with answering_connection_errors(company_id):
        view = await connection.account(client, company_id)
    return view.lifecycle_state, view.business_id


@router.put("/{company_id}/maventa/api-keys")
async def link_api_keys(
    company_id: CompanyId,
    body: ApiKeysBody,
    request: Request,
    client: TemporalClient,
    idempotency_key: IdempotencyKey = None,
) -> ActionAnswer:
    """R12: link an existing Maventa account. The keys are checked with Maventa first (wrong keys: 422,
    nothing changes); then Netvisor's vendor key is linked and the state is LINKED. Import does not start by
    itself: choose it with PUT /v1/companies/{company_id}/maventa/import."""
    return await link_with_keys(
        request, client, company_id, body.requested_by, body.company_uuid, body.user_api_key, idempotency_key
    )


async def link_with_keys(
    request: Request,
    client: Client,
    company_id: str,
    requested_by: str,
    company_uuid: str,
    user_api_key: SecretStr,
    attempt: str | None,
) -> ActionAnswer:
    """R12 for Netvisor's route and the support console: refused for the state, checked with Maventa, kept
    in the vault, then adopted by the workflow (or deleted again)."""
    status, business_id = await current_state(client, company_id)
    if (reason := link_refusal(Standing(status))) is not None:
        raise ApiError(409, "action_refused", reason)
    keys = await checked_keys(request, company_id, business_id, company_uuid, user_api_key, attempt)
    return await _adopt(
        request, keys, connection.link_account(client, company_id, requested_by, keys, attempt), company_id
    )


async def _adopt(
    request: Request,
    keys: AccountKeys,
    update: Awaitable[ActionAnswer],
    company_id: str,
) -> ActionAnswer:
    """Send the update that adopts stored keys; delete them again unless the workflow took them."""
    sessions = store_sessions(request)
    try:
        answer = await update
    except connection.ActionRefused as refused:
        await forget_unused(sessions, keys)
        raise ApiError(409, "action_refused", str(refused)) from None
    except connection.CompanyReleased as error:
        await forget_unused(sessions, keys)
        raise released(error) from None
    except connection.UnknownCompany:
        await forget_unused(sessions, keys)
        raise unknown_company(company_id) from None
    except connection.ConnectionUnavailable as error:
        raise unavailable(error) from None
    if answer.outcome == Outcome.FAILED:
        await forget_unused(sessions, keys)
        raise ApiError(409, "link_failed", answer.message)
    return answer


@router.put("/{company_id}/maventa/import")
async def set_import(
    company_id: CompanyId,
    body: ImportBody,
    client: TemporalClient,
    now: Now,
    idempotency_key: IdempotencyKey = None,
) -> ActionAnswer:
    """R10/R12: which received purchase invoices are imported automatically: off, now (from this moment) or
    from a date. Refused (409) for companies that import nothing: send-only, not linked, released, not yet
    receiving. Invoices outside the mode stay available to the manual transfer."""
    if (reason := from_date_refusal(body.mode, body.from_date, helsinki_date(now))) is not None:
        raise ApiError(422, "invalid_request", reason)
    request = ImportModeRequest(requested_by=body.requested_by, mode=body.mode, from_date=body.from_date)
    with answering_connection_errors(company_id):
        return await connection.set_import_mode(client, company_id, request, idempotency_key)


support_router = APIRouter(
    prefix="/v1/support/companies",
    tags=["support"],
    dependencies=[Depends(support_caller)],
    responses=ERROR_RESPONSES,
)


class SendOnlyBody(BaseModel):
    """The customer's account keys; leave out when the account is linked already."""

    company_uuid: str | None = Field(None, pattern=UUID_PATTERN, max_length=64)
    user_api_key: SecretStr | None = Field(None, min_length=8, max_length=200)

    @model_validator(mode="after")
    def _both_or_neither(self) -> "SendOnlyBody":
        if (self.company_uuid is None) != (self.user_api_key is None):
            raise ValueError("send both company_uuid and user_api_key, or neither")
        return self


@support_router.post("/{company_id}/decline")
async def decline(
    company_id: CompanyId,
    client: TemporalClient,
    support_user: SupportUser,
    idempotency_key: IdempotencyKey = None,
) -> ActionAnswer:
    """R13: the customer keeps their existing Maventa account outside Netvisor. Nothing is allocated (no
    receiving, scanning or sending through Netvisor) and nothing at Maventa changes; linking later stays
    possible."""
    return await act(connection.decline, client, company_id, support_user, idempotency_key)


@support_router.post("/{company_id}/send-only")
async def send_only(
    company_id: CompanyId,
    request: Request,
    client: TemporalClient,
    support_user: SupportUser,
    body: SendOnlyBody | None = None,
    idempotency_key: IdempotencyKey = None,
) -> ActionAnswer:
    """R14: sales invoices go through Netvisor, purchase invoices to the customer's other system; nothing is
    imported. Takes the account's keys (checked with Maventa first) unless they are linked already."""
    body = body or SendOnlyBody()
    return await make_send_only(
        request, client, company_id, support_user, body.company_uuid, body.user_api_key, idempotency_key
    )


async def make_send_only(
    request: Request,
    client: Client,
    company_id: str,
    requested_by: str,
    company_uuid: str | None,
    user_api_key: SecretStr | None,
    attempt: str | None,
) -> ActionAnswer:
    """R14 for the support route and the console: with the account's keys, or with the keys linked already."""
    status, business_id = await current_state(client, company_id)
    keys_given = company_uuid is not None and user_api_key is not None
    if (reason := send_only_refusal(Standing(status), keys_given)) is not None:
        raise ApiError(409, "action_refused", reason)
    if company_uuid is None or user_api_key is None:
        return await act(connection.send_only_with_linked_keys, client, company_id, requested_by, attempt)
    keys = await checked_keys(request, company_id, business_id, company_uuid, user_api_key, attempt)
    return await _adopt(
        request, keys, connection.send_only(client, company_id, requested_by, keys, attempt), company_id
    )


@support_router.post("/{company_id}/release")
async def release(
    company_id: CompanyId,
    client: TemporalClient,
    response: Response,
    support_user: SupportUser,
    idempotency_key: IdempotencyKey = None,
) -> ActionAnswer:
    """R15: the company leaves Netvisor. Import stops, Netvisor's vendor link is removed at Maventa, the
    stored keys are deleted, and the account is the customer's; the workflow ends with a summary. 202 while
    Maventa has not answered yet, 409 when a step failed (retry once its cause is fixed)."""
    answer = await release_company(client, company_id, support_user, idempotency_key)
    if answer.outcome == Outcome.IN_PROGRESS:
        response.status_code = 202
    return answer


async def release_company(
    client: Client, company_id: str, requested_by: str, attempt: str | None
) -> ActionAnswer:
    """R15 for the support route and the console: a step that failed for good is a 409 with its reason."""
    answer = await act(connection.release, client, company_id, requested_by, attempt)
    if answer.outcome == Outcome.FAILED:
        raise ApiError(409, "release_failed", answer.message)
    return answer
