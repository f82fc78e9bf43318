"""Invoices arriving at a company: stored, queued for the partner and announced by webhook.

Channels map to Maventa's `origin` (docs/facts/maventa.md §2.1, §2.8; §4): the operator, bank and
Peppol networks arrive from outside Maventa (EXTERNAL), scanned paper and PDFs are SCAN with an
`origin_type`, and invoices sent by another Maventa company are INTERNAL.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, func, select

from sandbox.maventa.documents import read_document
from sandbox.maventa.finvoice import Buyer, generate_invoice
from sandbox.maventa.identifiers import MAVENTA_OPERATOR_ID, ovt_address, reference_number
from sandbox.maventa.invoice_store import InvoiceFiles, add_action, add_files
from sandbox.maventa.pdf import text_pdf
from sandbox.maventa.profiles import active_networks
from sandbox.maventa.tables import Company, Invoice, InvoiceEvent
from sandbox.maventa.webhooks import INVOICE_RECEIVED, WebhookSender

ORIGINS = {
    "OPERATOR": "EXTERNAL",
    "BANK": "EXTERNAL",
    "PEPPOL": "EXTERNAL",
    "SCAN": "SCAN",
    "INTERNAL": "INTERNAL",
}
# The network a company needs active before a channel can reach it (docs/facts/maventa.md §2.7, §2.8).
REQUIRED_NETWORK = {
    "OPERATOR": "VISMA",
    "BANK": "BANK",
    "PEPPOL": "PEPPOL",
    "SCAN": "SCAN",
    "INTERNAL": "VISMA",
}
# Action keys from the OpenAPI's list (docs/facts/maventa.md §2.2).
_ACTION_KEYS = {"BANK": "action_incoming_bank", "INTERNAL": "action_internal_sent"}


@dataclass
class Arrival:
    channel: str
    received_at: datetime
    number: str | None = None
    sender_business_id: str | None = None
    total_vat_excluded: Decimal | None = None
    document: bytes | None = None


def missing_network(session: Session, company: Company, channel: str) -> str | None:
    """The network that must be active for the channel to reach the company, when it is not."""
    needed = REQUIRED_NETWORK[channel]
    return None if needed in active_networks(session, company.id) else needed


def next_number(session: Session, company: Company) -> str:
    query = select(func.count()).where(Invoice.company_id == company.id, Invoice.direction == "RECEIVED")
    return str(100001 + session.exec(query).one())


def receive_invoice(session: Session, webhooks: WebhookSender, company: Company, arrival: Arrival) -> Invoice:
    number = arrival.number or next_number(session, company)
    if arrival.document is not None:
        invoice, files = _given(company, arrival, number)
    else:
        invoice, files = _generated(company, arrival, number)
    session.add(invoice)
    session.flush()
    add_files(session, invoice, files)
    action_channel = "SCAN" if arrival.channel == "SCAN" else "EINVOICE"
    key = _ACTION_KEYS.get(arrival.channel, "action_incoming_receive")
    add_action(
        session, invoice.id, "RECEIVED", action_channel, key, f"Invoice received via {arrival.channel}"
    )
    session.add(InvoiceEvent(company_id=company.id, invoice_id=invoice.id, created_at=invoice.received_at))
    webhooks.notify(session, company, invoice.id, INVOICE_RECEIVED)
    return invoice


def _recipient(company: Company, channel: str) -> dict[str, str]:
    operator = "DABAFIHH" if channel == "BANK" else MAVENTA_OPERATOR_ID
    return {
        "eia": ovt_address(company.bid),
        "bid": company.bid,
        "name": company.name,
        "country": company.country,
        "operator": operator,
    }


def _base_invoice(company: Company, arrival: Arrival) -> Invoice:
    return Invoice(
        company_id=company.id,
        direction="RECEIVED",
        status="DELIVERED",
        number="",
        received_at=arrival.received_at,
        source_format="FINVOICE30",
        origin=ORIGINS[arrival.channel],
        origin_type="SCAN_PDF" if arrival.channel == "SCAN" else None,
        channel=arrival.channel,
        recipient=_recipient(company, arrival.channel),
    )


def _generated(company: Company, arrival: Arrival, number: str) -> tuple[Invoice, InvoiceFiles]:
    generated = generate_invoice(
        buyer=Buyer(business_id=company.bid, name=company.name),
        number=number,
        channel=arrival.channel if arrival.channel != "INTERNAL" else "OPERATOR",
        received_at=arrival.received_at,
        seed=f"{company.bid_digits}:{number}",
        sender_business_id=arrival.sender_business_id,
        total_vat_excluded=arrival.total_vat_excluded,
    )
    invoice = _base_invoice(company, arrival)
    invoice.number = number
    invoice.reference = generated.reference
    invoice.sender = {
        "eia": ovt_address(generated.sender_business_id),
        "bid": generated.sender_business_id,
        "name": generated.sender_name,
        "country": "FI",
    }
    invoice.date = generated.invoice_date.isoformat()
    invoice.date_due = generated.due_date.isoformat()
    invoice.sum = float(generated.sum)
    invoice.sum_tax = float(generated.sum_tax)
    invoice.virtual_barcode = generated.virtual_barcode
    # Peppol invoices arrive as UBL; Maventa converts them on download (docs/facts/maventa.md §2.2).
    invoice.source_format = "PEPPOLBIS30" if arrival.channel == "PEPPOL" else "FINVOICE30"
    # PDF images are not carried by the bank network, Maventa generates one (docs/facts/einvoicing.md §1.5).
    invoice.image_is_original = arrival.channel != "BANK"
    files = InvoiceFiles(
        document=generated.document,
        document_filename=f"finvoice_{number}.xml",
        image=generated.image,
        image_filename=f"invoice_{number}.pdf",
        attachments=[(a.filename, a.mimetype, a.content) for a in generated.attachments],
    )
    return invoice, files


def _given(company: Company, arrival: Arrival, number: str) -> tuple[Invoice, InvoiceFiles]:
    """The document is stored byte for byte, in its own encoding; its facts fill the JSON fields."""
    assert arrival.document is not None
    facts = read_document(arrival.document)
    invoice = _base_invoice(company, arrival)
    invoice.number = facts.number or number
    invoice.reference = facts.reference or reference_number(invoice.number)
    invoice.sender = {
        "eia": facts.sender_eia,
        "bid": arrival.sender_business_id or facts.sender_business_id,
        "name": facts.sender_name,
        "country": "FI",
    }
    invoice.date = facts.date
    invoice.date_due = facts.date_due
    invoice.sum = float(facts.sum or 0)
    invoice.sum_tax = float(facts.sum_tax or 0)
    invoice.currency = facts.currency
    invoice.source_format = facts.source_format
    image = text_pdf(
        f"LASKU {invoice.number}",
        [f"Myyja: {facts.sender_name or ''}", f"Yhteensa: {invoice.sum_tax:.2f} {invoice.currency}"],
    )
    files = InvoiceFiles(
        document=arrival.document,
        document_filename=f"invoice_{invoice.number}.xml",
        image=image,
        image_filename=f"invoice_{invoice.number}.pdf",
    )
    return invoice, files
