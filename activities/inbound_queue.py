"""Reading Maventa's partner-wide queue of received invoices (docs/facts/maventa.md §2.3) for one round."""

import logging

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.inbound_companies import company_by_maventa_uuid
from clients.maventa import MaventaClient, MaventaCredentials, MaventaError
from store.database import Sessions
from workflows.inbox_models import CompanyInvoices, QueueRequest, QueueSnapshot

log = logging.getLogger(__name__)


class InboundQueueActivities:
    def __init__(self, maventa: MaventaClient, sessions: Sessions, partner: MaventaCredentials) -> None:
        self._maventa = maventa
        self._sessions = sessions
        self._partner = partner

    @activity.defn
    async def read_received_queue(self, request: QueueRequest) -> QueueSnapshot:
        """The CREATED events of known companies, grouped by company, oldest first, at most one round's worth.

        Events of companies the service does not know (or holds no keys for) stay in the queue: only the
        company's own keys can mark them handled. They are counted and logged, never imported.
        """
        try:
            events = await self._maventa.received_events(self._partner, state="CREATED")
        except MaventaError as error:
            raise ApplicationError(
                f"Maventa's received-invoice queue could not be read: {error.message}",
                type=type(error).__name__,
                non_retryable=not error.retryable,
            ) from None
        by_company: dict[str, list[str]] = {}
        for event in events:
            invoices = by_company.setdefault(event.company_id, [])
            if event.invoice_id not in invoices:
                invoices.append(event.invoice_id)
        snapshot = QueueSnapshot()
        budget = request.invoices_per_round
        for company_uuid, invoice_ids in by_company.items():
            if await company_by_maventa_uuid(self._sessions, company_uuid) is None:
                snapshot.unknown_companies += 1
                log.warning(
                    "received invoices of an unknown Maventa company stay in the queue",
                    extra={"maventa_company_uuid": company_uuid, "invoices": len(invoice_ids)},
                )
                continue
            if budget <= 0:
                snapshot.more = True
                break
            take = invoice_ids[: min(request.invoices_per_company, budget)]
            snapshot.more = snapshot.more or len(take) < len(invoice_ids)
            budget -= len(take)
            snapshot.companies.append(CompanyInvoices(maventa_company_uuid=company_uuid, queued=take))
        return snapshot
