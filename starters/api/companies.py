"""Netvisor's routes for a company's Maventa connection (§7): report the company, create the connection
(R6), read the account details (R9). A released company (R15) answers 410 on every route."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Request, Response
from pydantic import BaseModel, Field
from temporalio.client import Client

from domain.banking_days import helsinki_date
from domain.identifiers import InvalidIdentifier, normalise_business_id
from settings import Settings
from starters import connection, linking
from starters.api.auth import netvisor_caller
from starters.api.errors import ERROR_RESPONSES, ApiError
from starters.api.temporal import temporal_client
from workflows.connection_models import AccountView, ActionAnswer, Address, CompanyReport, Modules, Outcome
from workflows.search_attributes import MAVENTA_STATE

router = APIRouter(
    prefix="/v1/companies",
    tags=["companies"],
    dependencies=[Depends(netvisor_caller)],
    responses=ERROR_RESPONSES,
)

COMPANY_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
CompanyId = Annotated[
    str, Path(pattern=COMPANY_ID_PATTERN, max_length=64, description="Netvisor's id of the company")
]
TemporalClient = Annotated[Client, Depends(temporal_client)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        pattern=r"^[A-Za-z0-9._:-]{1,100}$",
        max_length=100,
        description="Send the same key when repeating a request, so it is not acted on twice",
    ),
]


class AddressBody(BaseModel):
    street: str = Field(min_length=1, max_length=200)
    post_code: str = Field(min_length=1, max_length=20)
    city: str = Field(min_length=1, max_length=100)
    country: str = Field("FI", pattern=r"^[A-Z]{2}$", max_length=2)


class ModulesBody(BaseModel):
    sales: bool = False
    purchases: bool = False


class CompanyBody(BaseModel):
    """The company as Netvisor knows it now; sent when it is founded and whenever it changes."""

    business_id: str = Field(
        max_length=20, description="Y-tunnus, e.g. 1234567-8 (the check digit is verified)"
    )
    name: str = Field(min_length=3, max_length=300)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)
    address: AddressBody
    modules: ModulesBody


class CompanyAccepted(BaseModel):
    company_id: str
    workflow_id: str
    state: str


class ConnectionRequestBody(BaseModel):
    requested_by: str = Field(
        "netvisor", min_length=1, max_length=200, description="The Netvisor user asking"
    )


def unknown_company(company_id: str) -> ApiError:
    return ApiError(
        404,
        "unknown_company",
        f"Company {company_id} is not known here: send it first with PUT /v1/companies/{company_id}.",
    )


def unavailable(error: connection.ConnectionUnavailable) -> ApiError:
    return ApiError(503, "connection_unavailable", f"{str(error).capitalize()}; try again shortly.")


@contextmanager
def answering_connection_errors(company_id: str, refused_code: str = "action_refused") -> Iterator[None]:
    """The connection's and its use cases' errors as the API answers them: unknown 404, refused or failed
    409, released 410, keys Maventa does not accept 422, Maventa or the workflow down 503."""
    try:
        yield
    except connection.UnknownCompany:
        raise unknown_company(company_id) from None
    except connection.CompanyReleased as error:
        raise released(error) from None
    except connection.ActionRefused as refused:
        raise ApiError(409, refused_code, str(refused)) from None
    except connection.ActionFailed as failed:
        raise ApiError(409, failed.code, str(failed)) from None
    except connection.ConnectionUnavailable as error:
        raise unavailable(error) from None
    except linking.KeysRejected as rejected:
        raise ApiError(422, rejected.code, str(rejected)) from None
    except linking.MaventaUnreachable as error:
        raise ApiError(503, "maventa_unavailable", str(error)) from None


def released(error: connection.CompanyReleased) -> ApiError:
    summary = error.summary
    return ApiError(
        410,
        "company_released",
        f"Company {summary.company_id} left Netvisor: its Maventa account was released on "
        f"{helsinki_date(summary.released_at)} and now belongs to the customer. Nothing more can be done "
        "for it here.",
    )


def report_of(body: CompanyBody) -> CompanyReport:
    """Netvisor's report as the workflow takes it; a business id whose check digit is wrong is a 422."""
    try:
        business_id = normalise_business_id(body.business_id)
    except InvalidIdentifier as error:
        raise ApiError(
            422, "invalid_business_id", f"business_id: {error}; send the Y-tunnus as 1234567-8."
        ) from None
    return CompanyReport(
        business_id=business_id,
        name=body.name,
        email=body.email,
        address=Address(**body.address.model_dump()),
        modules=Modules(**body.modules.model_dump()),
    )


@router.put("/{company_id}", status_code=202)
async def put_company(
    company_id: CompanyId, body: CompanyBody, request: Request, client: TemporalClient
) -> CompanyAccepted:
    """Company founded or changed: starts its lifecycle the first time (R1), reconciles modules (R2)."""
    report = report_of(body)
    settings: Settings = request.app.state.settings
    try:
        handle = await connection.report_company(
            client, connection.ConnectionOptions.from_settings(settings), company_id, report
        )
    except connection.CompanyReleased as error:
        raise released(error) from None
    description = await handle.describe()
    state = description.typed_search_attributes.get(MAVENTA_STATE) or ""
    return CompanyAccepted(company_id=company_id, workflow_id=handle.id, state=state)


@router.post(
    "/{company_id}/maventa/connection",
    responses={202: {"model": ActionAnswer, "description": "Still being created"}},
)
async def create_connection(
    company_id: CompanyId,
    client: TemporalClient,
    response: Response,
    body: ConnectionRequestBody | None = None,
    idempotency_key: IdempotencyKey = None,
) -> ActionAnswer:
    """R6 "Create Maventa connection": starts or resumes provisioning. A failure answers 409 with a message
    for the user (contact Netvisor customer service); support sees the reason in the account details."""
    requested_by = (body or ConnectionRequestBody()).requested_by
    with answering_connection_errors(company_id, refused_code="connection_refused"):
        answer = await connection.create_connection(client, company_id, requested_by, idempotency_key)
    if answer.outcome == Outcome.FAILED:
        raise ApiError(409, "connection_failed", answer.message)
    if answer.outcome == Outcome.IN_PROGRESS:
        response.status_code = 202
    return answer


@router.get("/{company_id}/maventa")
async def get_account(company_id: CompanyId, client: TemporalClient) -> AccountView:
    """The Maventa account details (R9); the API key is only ever shown masked."""
    with answering_connection_errors(company_id):
        return await connection.account(client, company_id)
