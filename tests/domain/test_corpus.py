"""Every document of the public corpus (tests/corpus, SOURCES.md) reads as written down by hand in
expected.yaml, or is refused with the reason written there."""

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from domain.finvoice import ReceivedInvoice, UnparsableInvoice, parse_invoice
from domain.finvoice.reconciliation import discrepancies

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))


def _amount(value: str | None) -> Decimal | None:
    return Decimal(value) if value is not None else None


def _reading(invoice: ReceivedInvoice) -> dict[str, Any]:
    """The invoice in expected.yaml's terms."""
    return {
        "format": invoice.format.value,
        "credit_note": invoice.credit_note,
        "number": invoice.number,
        "invoice_date": invoice.invoice_date,
        "due_date": invoice.due_date,
        "currency": invoice.currency,
        "seller": {
            "name": invoice.seller.name,
            "business_id": invoice.seller.business_id,
            "vat_number": invoice.seller.vat_number,
        },
        "buyer": {"name": invoice.buyer.name, "business_id": invoice.buyer.business_id},
        "net": invoice.total_excluding_vat,
        "vat": invoice.vat_amount,
        "gross": invoice.total_including_vat,
        "prepaid": invoice.prepaid_amount,
        "payable": invoice.amount_to_pay,
        "vat_breakdown": [[s.vat_percent, s.taxable_amount, s.vat_amount] for s in invoice.vat_breakdown],
        "allowances_charges": [charge.amount for charge in invoice.allowances_charges],
        "reference": invoice.payment_reference,
        "iban": invoice.seller_iban,
        "rows": len(invoice.rows),
        "warnings": len(discrepancies(invoice)),
        "version": invoice.version,
        "attachments": [[a.kind.value, a.name, a.url] for a in invoice.attachments],
    }


def _expected(entry: dict[str, Any]) -> dict[str, Any]:
    """expected.yaml's entry with its amounts as decimals and its dates as dates."""
    wanted = dict(entry)
    for key in ("net", "vat", "gross", "prepaid", "payable"):
        wanted[key] = _amount(wanted[key])
    wanted["vat_breakdown"] = [[_amount(cell) for cell in row] for row in wanted["vat_breakdown"]]
    wanted["allowances_charges"] = [Decimal(value) for value in wanted["allowances_charges"]]
    for key in ("invoice_date", "due_date"):
        assert wanted[key] is None or isinstance(wanted[key], date), key
    return wanted


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_document_reads_as_written_down(name: str) -> None:
    entry = EXPECTED[name]
    document = (CORPUS / name).read_bytes()
    if "refused" in entry:
        with pytest.raises(UnparsableInvoice) as refused:
            parse_invoice(document)
        assert entry["refused"] in refused.value.reason
        return
    reading = _reading(parse_invoice(document))
    wanted = _expected(entry)
    mismatches = {key: (reading[key], value) for key, value in wanted.items() if reading[key] != value}
    assert not mismatches, f"{name}: (read, written down) {mismatches}"


def test_corpus_is_large_and_varied() -> None:
    readable = [entry for entry in EXPECTED.values() if "refused" not in entry]
    assert len(EXPECTED) >= 60
    formats = {entry["format"] for entry in readable}
    assert formats >= {"FINVOICE", "UBL", "PEPPOL_BIS"}
    versions = {entry["version"] for entry in readable if entry["format"] == "FINVOICE"}
    assert versions >= {"1.0", "1.1", "1.2", "1.3", "2.01", "3.0"}
    assert any(entry["credit_note"] for entry in readable)
    assert any(entry["prepaid"] for entry in readable)
    assert any(entry["allowances_charges"] for entry in readable)
    assert any(len(entry["vat_breakdown"]) > 1 for entry in readable)


def test_every_corpus_file_names_its_source_and_licence() -> None:
    table = (CORPUS / "SOURCES.md").read_text(encoding="utf-8")
    rows = [
        line.split("|") for line in table.splitlines() if line.startswith("| ") and ".xml" in line.lower()
    ]
    listed = {cells[1].strip().strip("`"): cells for cells in rows}
    assert set(listed) == set(EXPECTED)
    for name, cells in listed.items():
        repository, path, commit, licence = (cell.strip() for cell in cells[2:6])
        assert "/" in repository and path and len(commit) == 40 and licence, name
    repositories = {cells[2].strip() for cells in listed.values()}
    origins = {repository.split("/")[0] for repository in repositories}
    assert len(origins) >= 8, origins
