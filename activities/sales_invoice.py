"""Sending a sales invoice through Maventa and telling Netvisor how it went (R5).

The upload is safe to retry: Maventa keeps one invoice per `uuid` (docs/facts/maventa.md §2.4), and
`mark_uploaded` writes the billable transaction once. Maventa's 4xx answers and a company whose sending is not
allocated are final (non-retryable); everything else is tried again.
"""

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError

from clients.maventa import (
    MaventaClient,
    MaventaCredentials,
    MaventaRequestError,
    MaventaUnavailable,
)
from clients.netvisor import NetvisorClient, NetvisorRejected, NetvisorUnavailable
from domain.identifiers import normalise_business_id
from store.companies import get_company
from store.database import Sessions, unit_of_work
from store.sales_invoice_documents import DocumentMissing, OutboundDocuments, StoredSubmission
from store.sent_invoices import mark_uploaded, record_status
from store.vault import get_secret
from workflows.connection_policy import sending_refusal
from workflows.sales_invoice_models import (
    DeliveryCheck,
    DeliveryOutcome,
    StatusReport,
    Uploaded,
    UploadRequest,
    delivery_outcome,
    maventa_delivery_status,
)

SENDING_NOT_ALLOCATED = "SendingNotAllocated"
MAVENTA_REJECTED = "MaventaRejected"
NETVISOR_COMPANY_REFUSALS = frozenset({"AUTHENTICATION_FAILED", "SERVICE_ACCESS_ERROR"})
"""Netvisor refusing the company itself (its access), not the report: retried until the company is fixed."""


@dataclass(frozen=True)
class _Account:
    credentials: MaventaCredentials
    organisation_id: str


class SalesInvoiceActivities:
    def __init__(
        self,
        maventa: MaventaClient,
        netvisor: NetvisorClient,
        sessions: Sessions,
        documents: OutboundDocuments,
    ) -> None:
        self._maventa = maventa
        self._netvisor = netvisor
        self._sessions = sessions
        self._documents = documents

    def _sending_account(self, company_id: str) -> _Account:
        """The company's Maventa credentials, read here so the key never enters a payload."""
        with unit_of_work(self._sessions) as session:
            company = get_company(session, company_id)
            state, shown = (company.lifecycle_state, company.state) if company is not None else (None, None)
            if (refusal := sending_refusal(company_id, state, shown)) is not None:
                raise ApplicationError(refusal, type=SENDING_NOT_ALLOCATED, non_retryable=True)
            assert company is not None
            if company.maventa_company_uuid is None or company.credentials_ref is None:
                raise ApplicationError(
                    f"Company {company_id} has no Maventa account keys recorded; contact Netvisor customer "
                    "service.",
                    type=SENDING_NOT_ALLOCATED,
                    non_retryable=True,
                )
            key = get_secret(session, company.credentials_ref)
            return _Account(
                credentials=MaventaCredentials(company_uuid=company.maventa_company_uuid, user_api_key=key),
                organisation_id=normalise_business_id(company.business_id),
            )

    def _stored(self, company_id: str, invoice_key: str) -> tuple[StoredSubmission, bytes]:
        try:
            return self._documents.package(company_id, invoice_key)
        except DocumentMissing as error:
            raise ApplicationError(
                f"{error}; submit the invoice again", type="DocumentMissing", non_retryable=True
            ) from None

    @activity.defn
    async def upload_sales_invoice(self, request: UploadRequest) -> Uploaded:
        """Upload with the invoice's fixed uuid; a retry after a timeout finds the invoice already made."""
        account = await asyncio.to_thread(self._sending_account, request.company_id)
        submission, content = await asyncio.to_thread(self._stored, request.company_id, request.invoice_key)
        try:
            invoice = await self._maventa.send_invoice(
                account.credentials,
                content,
                submission.filename,
                uuid=request.uuid,
                recipient_eia=submission.route.einvoice_address,
                recipient_operator=submission.route.operator,
                document_format=submission.document_format,
            )
        except MaventaRequestError as error:
            raise ApplicationError(
                f"Maventa refused the invoice: {error.message}", type=MAVENTA_REJECTED, non_retryable=True
            ) from None
        except MaventaUnavailable as error:
            raise ApplicationError(
                f"Maventa was unavailable: {error.message}",
                type="MaventaUnavailable",
                next_retry_delay=timedelta(seconds=error.retry_after_s) if error.retry_after_s else None,
            ) from None

        def record() -> None:
            with unit_of_work(self._sessions) as session:
                mark_uploaded(session, request.company_id, request.invoice_key, invoice.id)

        await asyncio.to_thread(record)
        return Uploaded(maventa_invoice_id=invoice.id, status=maventa_delivery_status(invoice.status))

    @activity.defn
    async def check_delivery(self, check: DeliveryCheck) -> DeliveryOutcome:
        """Maventa's view of the invoice now: the backstop for a webhook that never came."""
        account = await asyncio.to_thread(self._sending_account, check.company_id)
        try:
            invoice = await self._maventa.get_invoice(account.credentials, check.maventa_invoice_id)
        except MaventaRequestError as error:
            raise ApplicationError(
                f"Maventa refused to show the invoice: {error.message}",
                type=MAVENTA_REJECTED,
                non_retryable=True,
            ) from None
        except MaventaUnavailable as error:
            raise ApplicationError(
                f"Maventa was unavailable: {error.message}", type="MaventaUnavailable"
            ) from None
        return delivery_outcome(invoice.status, invoice.failure_reason)

    @activity.defn
    async def report_status(self, report: StatusReport) -> None:
        """Record the change in the store (what the API shows), then tell Netvisor; both are idempotent."""

        def record() -> str:
            with unit_of_work(self._sessions) as session:
                record_status(
                    session,
                    report.company_id,
                    report.invoice_key,
                    report.status.value,
                    at=report.at,
                    detail=report.detail,
                )
                company = get_company(session, report.company_id)
                assert company is not None, "a company with a sent invoice is in the projection"
                return normalise_business_id(company.business_id)

        organisation_id = await asyncio.to_thread(record)
        try:
            await self._netvisor.report_sales_invoice_status(
                organisation_id, report.invoice_key, report.status.value, report.detail
            )
        except NetvisorRejected as error:
            raise ApplicationError(
                f"Netvisor refused the delivery status: {error.message}",
                type="NetvisorRejected",
                non_retryable=error.code not in NETVISOR_COMPANY_REFUSALS,
            ) from None
        except NetvisorUnavailable as error:
            raise ApplicationError(
                f"Netvisor was unavailable: {error.message}", type="NetvisorUnavailable"
            ) from None
