"""Netvisor's published DTDs in the project, and what the service sends against them."""

import hashlib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from clients.netvisor import (
    INVOICING_ADDRESS,
    PURCHASE_INVOICE,
    SALES_INVOICE_DELIVERY_STATUS,
    SERVICE_BILLING,
)
from clients.netvisor_models import (
    PurchaseInvoiceAttachmentFile,
    PurchaseInvoiceImport,
    PurchaseInvoiceLine,
    PurchaseInvoiceVendor,
)
from clients.netvisor_xml import purchase_invoice_xml
from contracts.netvisor_dtd import DTD_DIR, PUBLISHED, dtd_for, dtd_problems, has_dtd

RESEARCH_COPY = (
    Path(__file__).resolve().parents[3] / "shared" / "research" / "netvisor-schemas" / "streamways-netvisor"
)


def test_the_copies_are_the_published_files() -> None:
    if not RESEARCH_COPY.exists():
        pytest.skip("the shared research copy is not on this machine")
    for path in sorted(RESEARCH_COPY.glob("*.dtd")):
        assert (
            hashlib.sha256((DTD_DIR / path.name).read_bytes()).digest()
            == hashlib.sha256(path.read_bytes()).digest()
        )


@pytest.mark.parametrize("resource", sorted(PUBLISHED))
def test_every_published_dtd_loads(resource: str) -> None:
    assert dtd_for(resource) is not None


def test_of_the_resources_the_service_posts_only_the_purchase_invoice_import_has_a_published_dtd() -> None:
    """The internal resources are the service's assumptions about Netvisor (docs/netvisor-sandbox.md)."""
    assert has_dtd(PURCHASE_INVOICE)
    for internal in (INVOICING_ADDRESS, SALES_INVOICE_DELIVERY_STATUS, SERVICE_BILLING):
        assert not has_dtd(internal.rsplit("/", 1)[-1])


def _invoice(**changes: object) -> PurchaseInvoiceImport:
    base = PurchaseInvoiceImport(
        maventa_invoice_id="7c9e6679-7425-40de-944b-e07fc1f90ae7",
        invoice_number="2024-117",
        invoice_date=date(2024, 5, 2),
        due_date=date(2024, 5, 30),
        vendor=PurchaseInvoiceVendor(name="Toimittaja & Poika Öy", business_id="1967543-8", city="Espoo"),
        amount=Decimal("1240.50"),
        lines=[
            PurchaseInvoiceLine(
                product_name="Konsultointi <ilta>",
                quantity=Decimal("2.5"),
                unit_price=Decimal("400"),
                vat_percent=Decimal("25.5"),
                line_sum=Decimal("1240.50"),
            )
        ],
    )
    return base.model_copy(update=changes)


@pytest.mark.parametrize(
    "invoice",
    [
        _invoice(),
        _invoice(lines=[]),
        _invoice(image_pdf=b"%PDF-1.4 image"),
        _invoice(
            image_pdf=b"%PDF-1.4 image",
            attachments=[
                PurchaseInvoiceAttachmentFile(filename="erittely.pdf", content=b"%PDF-1.4 spec"),
                PurchaseInvoiceAttachmentFile(filename="liite.pdf", content=b"%PDF-1.4 more"),
            ],
        ),
        _invoice(
            delivery_date=date(2024, 4, 30),
            reference="1232",
            bank_account="FI2112345600000785",
            our_reference="O",
            your_reference="Y",
            currency="EUR",
            comment="Tilaus 55",
        ),
        _invoice(vendor=PurchaseInvoiceVendor(name="Nimi vain")),
    ],
    ids=["lines", "no lines", "image", "image and two attachments", "every optional field", "vendor by name"],
)
def test_every_purchase_invoice_the_importer_can_build_follows_the_dtd(
    invoice: PurchaseInvoiceImport,
) -> None:
    assert dtd_problems(PURCHASE_INVOICE, purchase_invoice_xml(invoice)) == []


def test_a_document_off_the_dtd_is_named() -> None:
    document = purchase_invoice_xml(_invoice()).replace(b"<amount>", b"<summa>1</summa><amount>")
    problems = dtd_problems(PURCHASE_INVOICE, document)
    assert any("No declaration for element summa" in p for p in problems), problems
