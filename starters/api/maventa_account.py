"""The exception cases (§7): Netvisor links an existing Maventa account by API keys (R12) and chooses
what is imported (R10, R12); support declines (R13), makes a company send-only (R14) or releases it (R15).

The user's API key goes from the request straight into the vault after Maventa accepted it; the workflow only
ever gets the vault reference and the masked key. A link the workflow refuses or cannot make leaves nothing
behind: the stored key is deleted again.
"""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field, SecretStr, model_validator
from temporalio.client import Client

from domain.banking_days import helsinki_date
from settings import Settings
from starters import connection, linking, rejoin
from starters.api.auth import netvisor_caller, support_caller
from starters.api.clock import Now
from starters.api.companies import (
    CompanyBody,
    CompanyId,
    IdempotencyKey,
    answering_connection_errors,
    report_of,
)
from starters.api.errors import ERROR_RESPONSES, ApiError
from starters.api.maventa import fresh_maventa_client
from starters.api.store import store_sessions
from starters.api.support import SupportUser, act
from starters.api.temporal import temporal_client
from workflows.connection_models import ActionAnswer, ImportModeRequest, Outcome
from workflows.connection_policy import ImportMode, from_date_refusal

router = APIRouter(
    prefix="/v1/companies",
    tags=["companies"],
    dependencies=[Depends(netvisor_caller)],
    responses=ERROR_RESPONSES,
)

TemporalClient = Annotated[Client, Depends(temporal_client)]
UUID_PATTERN = r"^[A-Za-z0-9-]{8,64}$"


class ApiKeysBody(BaseModel):
    """An existing account's keys (Maventa: Settings > Company settings > Company information)."""

    company_uuid: str = Field(pattern=UUID_PATTERN, max_length=64, description="The account's company UUID")
    user_api_key: SecretStr = Field(min_length=8, max_length=200, description="A user's API key; never shown")
    requested_by: str = Field("netvisor", min_length=1, max_length=200, description="The Netvisor user")

    def offered(self) -> linking.OfferedKeys:
        return linking.OfferedKeys(company_uuid=self.company_uuid, user_api_key=self.user_api_key)


class ImportBody(BaseModel):
    mode: ImportMode = Field(description="off, now (from this moment) or from_date (received on or after it)")
    from_date: date | None = Field(None, description="YYYY-MM-DD, only with mode from_date; not future")
    requested_by: str = Field("netvisor", min_length=1, max_length=200, description="The Netvisor user")


def linking_for(request: Request, client: Client) -> linking.Linking:
    """What the linking use cases need, from this API process: its store and a Maventa client with no cached
    tokens (so none can vouch for a wrong key)."""
    return linking.Linking(
        client=client, sessions=store_sessions(request), maventa=fresh_maventa_client(request)
    )


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
    with answering_connection_errors(company_id):
        return await linking.link_with_keys(
            linking_for(request, client), company_id, body.requested_by, body.offered(), idempotency_key
        )


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

    def offered(self) -> linking.OfferedKeys | None:
        if self.company_uuid is None or self.user_api_key is None:
            return None
        return linking.OfferedKeys(company_uuid=self.company_uuid, user_api_key=self.user_api_key)


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
    offered = (body or SendOnlyBody()).offered()
    with answering_connection_errors(company_id):
        return await linking.make_send_only(
            linking_for(request, client), company_id, support_user, offered, idempotency_key
        )


class RejoinBody(ApiKeysBody):
    """The keys of the account the company took with it, and the import as in R12."""

    requested_by: str = Field("support", min_length=1, max_length=200, description="The agent asking")
    mode: ImportMode = Field(
        ImportMode.OFF, description="off (choose later), now (from this moment) or from_date (on or after it)"
    )
    from_date: date | None = Field(None, description="YYYY-MM-DD, only with mode from_date; not future")
    company: CompanyBody | None = Field(
        None, description="Netvisor's report of the company; only for a release from before it was kept"
    )


@support_router.post("/{company_id}/rejoin")
async def rejoin_company(
    company_id: CompanyId,
    body: RejoinBody,
    request: Request,
    client: TemporalClient,
    support_user: SupportUser,
    now: Now,
    idempotency_key: IdempotencyKey = None,
) -> ActionAnswer:
    """§3.2: a released company is back in Netvisor with the Maventa account it took over. The keys are
    checked with Maventa first and must be the business id's (422 otherwise, nothing changes); then the
    account is linked again (LINKED) and the import starts as chosen. 409 unless the company was released."""
    if (reason := from_date_refusal(body.mode, body.from_date, helsinki_date(now))) is not None:
        raise ApiError(422, "invalid_request", reason)
    settings: Settings = request.app.state.settings
    report = report_of(body.company) if body.company is not None else None
    with answering_connection_errors(company_id):
        try:
            return await rejoin.rejoin(
                linking_for(request, client),
                connection.ConnectionOptions.from_settings(settings),
                company_id,
                support_user,
                body.offered(),
                body.mode,
                body.from_date,
                helsinki_date(now),
                idempotency_key,
                report,
            )
        except rejoin.NoCompanyReport as missing:
            raise ApiError(422, "company_report_needed", str(missing)) from None


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
    with answering_connection_errors(company_id):
        answer = await connection.release_company(client, company_id, support_user, idempotency_key)
    if answer.outcome == Outcome.IN_PROGRESS:
        response.status_code = 202
    return answer
