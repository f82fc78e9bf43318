"""One sign convention for every syntax: a credit note's money is negative.

UBL writes a CreditNote (and an Invoice typed 381) with positive amounts and lets the document type say
that the money flows back; Finvoice and TEAPPS write the amounts negative. Netvisor books a credit note as a
purchase invoice with negative amounts, so a reader turns a UBL credit note's amounts here, once.
"""

from decimal import Decimal

from domain.finvoice.received_invoice import ReceivedInvoice, ReceivedInvoiceRow


def _negated(value: Decimal | None) -> Decimal | None:
    return -value if value is not None else None


def _row(row: ReceivedInvoiceRow) -> ReceivedInvoiceRow:
    return row.model_copy(
        update={
            "quantity": _negated(row.quantity),
            "amount": _negated(row.amount),
            "vat_amount": _negated(row.vat_amount),
            "amount_including_vat": _negated(row.amount_including_vat),
        }
    )


def money_reversed(invoice: ReceivedInvoice) -> ReceivedInvoice:
    """The invoice with every total, row amount and quantity negated; unit prices stay as written."""
    return invoice.model_copy(
        update={
            "total_including_vat": -invoice.total_including_vat,
            "vat_amount": _negated(invoice.vat_amount),
            "total_excluding_vat": _negated(invoice.total_excluding_vat),
            "prepaid_amount": _negated(invoice.prepaid_amount),
            "rounding_amount": _negated(invoice.rounding_amount),
            "amount_to_pay": _negated(invoice.amount_to_pay),
            "rows": [_row(row) for row in invoice.rows],
            "allowances_charges": [
                charge.model_copy(update={"amount": -charge.amount}) for charge in invoice.allowances_charges
            ],
            "vat_breakdown": [
                subtotal.model_copy(
                    update={
                        "taxable_amount": _negated(subtotal.taxable_amount),
                        "vat_amount": -subtotal.vat_amount,
                    }
                )
                for subtotal in invoice.vat_breakdown
            ],
        }
    )
