"""Whether a document's own numbers add up, to the cent.

A received invoice is imported as it is written, never corrected: when its rows, discounts and charges do
not add up to its totals, or its VAT breakdown to its VAT total, the import carries a warning naming the
difference so that the person approving the purchase invoice sees it.
"""

from collections.abc import Iterable
from decimal import Decimal

from domain.finvoice.received_invoice import ReceivedInvoice
from domain.finvoice.values import round_cents


def _sum(values: Iterable[Decimal]) -> Decimal:
    return round_cents(sum(values, Decimal(0)))


def _differs(left: Decimal, right: Decimal) -> bool:
    return round_cents(left) != round_cents(right)


def _amount(value: Decimal) -> str:
    return f"{round_cents(value):f}"


def _rows(invoice: ReceivedInvoice) -> str | None:
    net_rows = [row.amount for row in invoice.rows if row.amount is not None]
    priced = [row for row in invoice.rows if row.amount is not None or row.amount_including_vat is not None]
    total = invoice.total_excluding_vat
    if total is None or not net_rows or len(net_rows) != len(priced):
        return None
    rows = _sum(net_rows)
    adjustments = _sum(charge.amount for charge in invoice.allowances_charges)
    if not _differs(rows + adjustments, total):
        return None
    return (
        f"rows ({_amount(rows)}) with discounts and charges ({_amount(adjustments)}) add up to "
        f"{_amount(rows + adjustments)}, not to the total excluding VAT {_amount(total)}"
    )


def _totals(invoice: ReceivedInvoice) -> str | None:
    net, vat, gross = invoice.total_excluding_vat, invoice.vat_amount, invoice.total_including_vat
    if net is None or vat is None or not _differs(net + vat, gross):
        return None
    return (
        f"total excluding VAT {_amount(net)} plus VAT {_amount(vat)} is {_amount(net + vat)}, "
        f"not the total {_amount(gross)}"
    )


def _vat_breakdown(invoice: ReceivedInvoice) -> str | None:
    vat = invoice.vat_amount
    if not invoice.vat_breakdown or vat is None:
        return None
    breakdown = _sum(subtotal.vat_amount for subtotal in invoice.vat_breakdown)
    if not _differs(breakdown, vat):
        return None
    return f"the VAT breakdown adds up to {_amount(breakdown)}, not to the VAT total {_amount(vat)}"


def _amount_to_pay(invoice: ReceivedInvoice) -> str | None:
    payable = invoice.amount_to_pay
    if payable is None:
        return None
    paid = invoice.prepaid_amount or Decimal(0)
    due = invoice.total_including_vat - paid + (invoice.rounding_amount or Decimal(0))
    if not _differs(due, payable):
        return None
    return (
        f"the total {_amount(invoice.total_including_vat)} less what was paid ({_amount(paid)}) is "
        f"{_amount(due)}, not the amount to pay {_amount(payable)}"
    )


def discrepancies(invoice: ReceivedInvoice) -> list[str]:
    """What does not add up in the document, each in words; empty when everything does."""
    checks = (_rows, _totals, _vat_breakdown, _amount_to_pay)
    return [found for found in (check(invoice) for check in checks) if found is not None]
