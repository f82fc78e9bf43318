"""Sales invoices a company sends: PENDING until delivered or failed, with actions and webhooks.

Status model PENDING -> DELIVERED | FAILED with the detail in actions (docs/facts/maventa.md §2.4).
A recipient on Maventa's own operator id that is a sandbox company receives the invoice as INTERNAL.
"""

import logging
import re
from datetime import timedelta

from sqlmodel import Session, col, select

from sandbox.maventa.accounts import company_by_business_id
from sandbox.maventa.documents import read_document
from sandbox.maventa.identifiers import MAVENTA_OPERATOR_ID
from sandbox.maventa.invoice_store import add_action, file_of_type
from sandbox.maventa.profiles import active_networks
from sandbox.maventa.receiving import Arrival, missing_network, receive_invoice
from sandbox.maventa.tables import Company, Invoice, utcnow
from sandbox.maventa.views import FILE_INVOICE
from sandbox.maventa.webhooks import INVOICE_DELIVERED, INVOICE_FAILED, WebhookSender

log = logging.getLogger(__name__)
_BIC = re.compile(r"^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$")


def deliver(session: Session, webhooks: WebhookSender, invoice: Invoice) -> None:
    invoice.status = "DELIVERED"
    session.add(invoice)
    add_action(session, invoice.id, "SENT", "EINVOICE", "action_internal_sent", "Invoice sent as e-invoice")
    add_action(session, invoice.id, "DELIVERED", "EINVOICE", "action_delivered", "Invoice delivered")
    _deliver_internally(session, webhooks, invoice)
    company = session.get(Company, invoice.company_id)
    if company is not None:
        webhooks.notify(session, company, invoice.id, INVOICE_DELIVERED)


def fail(session: Session, webhooks: WebhookSender, invoice: Invoice, reason: str) -> None:
    invoice.status = "FAILED"
    session.add(invoice)
    add_action(session, invoice.id, "ERROR", "EINVOICE", "action_delivery_failed", reason)
    company = session.get(Company, invoice.company_id)
    if company is not None:
        webhooks.notify(session, company, invoice.id, INVOICE_FAILED)


def routing_failure(session: Session, invoice: Invoice) -> str | None:
    """Why Maventa could not deliver, from the common causes in docs/facts/maventa.md §2.4, or None."""
    eia = invoice.recipient.get("eia")
    operator = invoice.recipient.get("operator") or ""
    if not eia:
        return "Recipient e-invoice address missing and the recipient was not found in the address directory"
    if _BIC.match(operator) and "BANK" not in active_networks(session, invoice.company_id):
        return "The recipient's operator is a bank but the sender's bank network connection is not activated"
    return None


def settle_due(session: Session, webhooks: WebhookSender, delivery_seconds: float) -> None:
    """Deliver or fail every PENDING sent invoice older than `delivery_seconds`."""
    cutoff = utcnow() - timedelta(seconds=delivery_seconds)
    query = (
        select(Invoice)
        .where(Invoice.direction == "SENT", Invoice.status == "PENDING", Invoice.created_at <= cutoff)
        .order_by(col(Invoice.created_at))
    )
    for invoice in session.exec(query).all():
        reason = routing_failure(session, invoice)
        if reason:
            fail(session, webhooks, invoice, reason)
        else:
            deliver(session, webhooks, invoice)
    session.commit()


def _deliver_internally(session: Session, webhooks: WebhookSender, invoice: Invoice) -> None:
    if invoice.recipient.get("operator") not in (MAVENTA_OPERATOR_ID, "MAVENTA"):
        return
    eia = str(invoice.recipient.get("eia") or "")
    if not eia.startswith("0037") or len(eia) < 12:
        return
    recipient = company_by_business_id(session, eia[4:12])
    document = file_of_type(session, invoice.id, FILE_INVOICE)
    if recipient is None or document is None or missing_network(session, recipient, "INTERNAL"):
        return
    try:
        read_document(document.content)
    except ValueError:
        log.info("sent invoice %s is not readable; not delivered inside the sandbox", invoice.id)
        return
    receive_invoice(
        session,
        webhooks,
        recipient,
        Arrival(channel="INTERNAL", received_at=utcnow().replace(microsecond=0), document=document.content),
    )
