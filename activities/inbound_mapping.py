"""A received invoice as Netvisor's purchase-invoice import takes it (docs/facts/netvisor.md §4.1).

The parsed document is the source; Maventa's JSON fills what a document leaves out (a seller's name or
business id). Netvisor takes PDF files only, so other attachments are named in the comment instead.

Netvisor books what is due: the amount to pay when the document states one (a prepayment or a rounding
makes it differ from the total), with a line for each invoice-level discount, charge, prepayment and
rounding so that the lines add up to it. A credit note arrives with negative amounts (the parsed invoice
already carries them). A document whose own numbers do not add up is imported as written, with a warning
at the top of the comment.
"""

from dataclasses import dataclass
from decimal import Decimal

from clients.maventa import Invoice
from clients.netvisor_models import (
    PurchaseInvoiceAttachmentFile,
    PurchaseInvoiceImport,
    PurchaseInvoiceLine,
    PurchaseInvoiceVendor,
)
from domain.finvoice import AllowanceCharge, ReceivedInvoice, ReceivedInvoiceRow
from domain.finvoice.reconciliation import discrepancies
from domain.finvoice.values import round_cents

PDF = "application/pdf"
COMMENT_LIMIT = 1000


@dataclass(frozen=True)
class ReceivedFile:
    filename: str
    mime_type: str
    content: bytes

    @property
    def is_pdf(self) -> bool:
        return self.mime_type.lower() == PDF and self.content.startswith(b"%PDF")


def channel_of(invoice: Invoice) -> str:
    """Where the invoice came from: SCAN, BANK, PEPPOL, INTERNAL or OPERATOR (billing tells SCAN apart)."""
    if invoice.origin == "SCAN":
        return "SCAN"
    if any(action.key == "action_incoming_bank" for action in invoice.actions):
        return "BANK"
    if (invoice.source_format or "").upper().startswith("PEPPOL"):
        return "PEPPOL"
    if invoice.origin == "INTERNAL":
        return "INTERNAL"
    return "OPERATOR"


def _gross(net: Decimal, vat_percent: Decimal | None) -> Decimal:
    return round_cents(net * (1 + (vat_percent or Decimal(0)) / 100))


def _line(row: ReceivedInvoiceRow) -> PurchaseInvoiceLine | None:
    """A row with money on it; text-only rows carry nothing Netvisor's lines can hold."""
    quantity = row.quantity if row.quantity not in (None, Decimal(0)) else Decimal(1)
    gross = row.amount_including_vat
    if gross is None and row.amount is not None:
        gross = (
            row.amount + row.vat_amount if row.vat_amount is not None else _gross(row.amount, row.vat_percent)
        )
    if gross is None and row.unit_price is not None:
        gross = _gross(row.unit_price * quantity, row.vat_percent)
    if gross is None and row.unit_price_including_vat is not None:
        gross = round_cents(row.unit_price_including_vat * quantity)
    if gross is None:
        return None
    unit_price = row.unit_price if row.unit_price is not None else (row.amount or gross) / quantity
    return PurchaseInvoiceLine(
        product_name=(row.description or "-")[:200],
        quantity=quantity,
        unit_name=row.unit,
        unit_price=unit_price,
        vat_percent=row.vat_percent or Decimal(0),
        line_sum=gross,
    )


def _adjustment_line(name: str, gross: Decimal, vat_percent: Decimal | None = None) -> PurchaseInvoiceLine:
    net = round_cents(gross / (1 + (vat_percent or Decimal(0)) / 100))
    return PurchaseInvoiceLine(
        product_name=name[:200], unit_price=net, vat_percent=vat_percent or Decimal(0), line_sum=gross
    )


def _allowance_charge_line(charge: AllowanceCharge) -> PurchaseInvoiceLine:
    kind = "Charge" if charge.amount >= 0 else "Discount"
    name = f"{kind}: {charge.reason}" if charge.reason else kind
    return PurchaseInvoiceLine(
        product_name=name[:200],
        unit_price=charge.amount,
        vat_percent=charge.vat_percent or Decimal(0),
        line_sum=_gross(charge.amount, charge.vat_percent),
    )


def _lines(received: ReceivedInvoice) -> list[PurchaseInvoiceLine]:
    lines = [line for line in (_line(row) for row in received.rows) if line is not None]
    lines += [_allowance_charge_line(charge) for charge in received.allowances_charges]
    if received.prepaid_amount:
        lines.append(_adjustment_line("Already paid", -received.prepaid_amount))
    if received.rounding_amount:
        lines.append(_adjustment_line("Rounding", received.rounding_amount))
    return lines


def _comment(received: ReceivedInvoice, left_out: list[ReceivedFile]) -> str | None:
    parts = []
    problems = discrepancies(received)
    if problems:
        parts.append("WARNING: the invoice's own numbers do not add up: " + "; ".join(problems) + ".")
    if received.free_text:
        parts.append(received.free_text.strip())
    if left_out:
        names = ", ".join(f.filename for f in left_out)
        parts.append(f"Attachments at Maventa that Netvisor cannot take (not PDF): {names}")
    text = "\n".join(p for p in parts if p)
    return text[:COMMENT_LIMIT] or None


def purchase_invoice(
    invoice: Invoice, received: ReceivedInvoice, image: bytes | None, files: list[ReceivedFile]
) -> PurchaseInvoiceImport:
    seller = received.seller
    sender = invoice.sender
    address = seller.address
    vendor = PurchaseInvoiceVendor(
        name=seller.name or (sender.name if sender else None) or "",
        business_id=seller.business_id or (sender.bid if sender else None),
        address_line=address.street if address else None,
        post_number=address.post_code if address else None,
        city=address.town if address else None,
        country=(address.country_code if address else None) or (sender.country if sender else None),
    )
    attachments = [
        PurchaseInvoiceAttachmentFile(filename=f.filename, content=f.content, mime_type=PDF)
        for f in files
        if f.is_pdf
    ]
    return PurchaseInvoiceImport(
        maventa_invoice_id=invoice.id,
        invoice_number=received.number,
        invoice_date=received.invoice_date,
        due_date=received.due_date or received.invoice_date,
        vendor=vendor,
        amount=received.amount_to_pay if received.amount_to_pay is not None else received.total_including_vat,
        currency=received.currency or "EUR",
        reference=received.payment_reference,
        bank_account=received.seller_iban,
        comment=_comment(received, [f for f in files if not f.is_pdf]),
        lines=_lines(received),
        image_pdf=image if image and image.startswith(b"%PDF") else None,
        image_filename=f"invoice_{received.number}.pdf"[:100],
        attachments=attachments,
    )
