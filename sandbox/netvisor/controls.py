"""Control endpoints under /_sandbox (§8.2): what Netvisor holds and the faults to inject; no auth.

`company_id` is the organisation id, i.e. the company's business id with its hyphen.
"""

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel
from sqlmodel import col, select

from sandbox.netvisor.faults import Faults
from sandbox.netvisor.state import SandboxStateDep
from sandbox.netvisor.tables import (
    InvoicingAddressRecord,
    PurchaseInvoiceAttachmentRecord,
    PurchaseInvoiceRecord,
    SalesInvoiceStatusRecord,
    ServiceBillingRecord,
)

router = APIRouter(prefix="/_sandbox", tags=["sandbox controls"])


class AttachmentView(BaseModel):
    filename: str
    document_type: str
    mime_type: str
    description: str
    size: int
    sha256: str


class PurchaseInvoiceLineView(BaseModel):
    product_code: str | None
    product_name: str
    quantity: Decimal
    unit_name: str | None
    unit_price: Decimal
    vat_percent: Decimal
    line_sum: Decimal
    description: str | None


class VendorView(BaseModel):
    name: str | None
    business_id: str | None
    address_line: str | None
    post_number: str | None
    city: str | None
    country: str | None


class PurchaseInvoiceView(BaseModel):
    netvisor_key: int
    organisation_id: str
    invoice_number: str
    invoice_date: date
    value_date: date
    due_date: date
    delivery_date: date | None
    invoice_source: str | None
    vendor: VendorView
    amount: Decimal
    currency_code: str | None
    account_number: str | None
    bank_reference_number: str | None
    our_reference: str | None
    your_reference: str | None
    comment: str | None
    lines: list[PurchaseInvoiceLineView]
    attachments: list[AttachmentView]
    imported_at: datetime


class InvoicingAddressView(BaseModel):
    einvoice_address: str
    operator: str
    updated_at: datetime


class SalesInvoiceStatusChange(BaseModel):
    status: str
    detail: str | None
    reported_at: datetime


class SalesInvoiceStatusView(BaseModel):
    invoice_key: str
    organisation_id: str
    status: str
    detail: str | None
    history: list[SalesInvoiceStatusChange]


class ServiceBillingLineView(BaseModel):
    product_code: str
    description: str
    quantity: int
    unit_price: Decimal


class ServiceBillingView(BaseModel):
    netvisor_key: int
    organisation_id: str
    month: str
    lines: list[ServiceBillingLineView]
    total: Decimal
    posted_at: datetime


def _invoice_view(
    record: PurchaseInvoiceRecord, files: list[PurchaseInvoiceAttachmentRecord]
) -> PurchaseInvoiceView:
    assert record.netvisor_key is not None
    return PurchaseInvoiceView(
        netvisor_key=record.netvisor_key,
        organisation_id=record.organisation_id,
        invoice_number=record.invoice_number,
        invoice_date=record.invoice_date,
        value_date=record.value_date,
        due_date=record.due_date,
        delivery_date=record.delivery_date,
        invoice_source=record.invoice_source,
        vendor=VendorView(
            name=record.vendor_name,
            business_id=record.vendor_business_id,
            address_line=record.vendor_address_line,
            post_number=record.vendor_post_number,
            city=record.vendor_city,
            country=record.vendor_country,
        ),
        amount=Decimal(record.amount),
        currency_code=record.currency_code,
        account_number=record.account_number,
        bank_reference_number=record.bank_reference_number,
        our_reference=record.our_reference,
        your_reference=record.your_reference,
        comment=record.comment,
        lines=[PurchaseInvoiceLineView.model_validate(line) for line in json.loads(record.lines_json)],
        attachments=[
            AttachmentView(
                filename=file.filename,
                document_type=file.document_type,
                mime_type=file.mime_type,
                description=file.description,
                size=len(file.content),
                sha256=hashlib.sha256(file.content).hexdigest(),
            )
            for file in files
        ],
        imported_at=record.imported_at,
    )


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/companies/{company_id}/purchase-invoices")
async def purchase_invoices(company_id: str, state: SandboxStateDep) -> list[PurchaseInvoiceView]:
    with state.session() as session:
        records = session.exec(
            select(PurchaseInvoiceRecord)
            .where(PurchaseInvoiceRecord.organisation_id == company_id)
            .order_by(col(PurchaseInvoiceRecord.netvisor_key))
        ).all()
        files = session.exec(
            select(PurchaseInvoiceAttachmentRecord)
            .where(
                col(PurchaseInvoiceAttachmentRecord.netvisor_key).in_(
                    [record.netvisor_key for record in records]
                )
            )
            .order_by(col(PurchaseInvoiceAttachmentRecord.id))
        ).all()
    return [
        _invoice_view(record, [f for f in files if f.netvisor_key == record.netvisor_key])
        for record in records
    ]


@router.get("/companies/{company_id}/invoicing-addresses")
async def invoicing_addresses(company_id: str, state: SandboxStateDep) -> list[InvoicingAddressView]:
    """The Maventa address is always listed first (docs/facts/netvisor.md §6.2); the sandbox has no bank
    addresses."""
    with state.session() as session:
        record = session.get(InvoicingAddressRecord, company_id)
    if record is None:
        return []
    return [
        InvoicingAddressView(
            einvoice_address=record.einvoice_address, operator=record.operator, updated_at=record.updated_at
        )
    ]


@router.get("/sales-invoices/{invoice_key}")
async def sales_invoice(invoice_key: str, state: SandboxStateDep) -> SalesInvoiceStatusView:
    with state.session() as session:
        reports = session.exec(
            select(SalesInvoiceStatusRecord)
            .where(SalesInvoiceStatusRecord.invoice_key == invoice_key)
            .order_by(col(SalesInvoiceStatusRecord.id))
        ).all()
    if not reports:
        raise HTTPException(status_code=404, detail=f"No status reported for sales invoice {invoice_key}")
    latest = reports[-1]
    return SalesInvoiceStatusView(
        invoice_key=invoice_key,
        organisation_id=latest.organisation_id,
        status=latest.status,
        detail=latest.detail,
        history=[
            SalesInvoiceStatusChange(
                status=report.status, detail=report.detail, reported_at=report.reported_at
            )
            for report in reports
        ],
    )


@router.get("/service-billing")
async def service_billing(state: SandboxStateDep, month: str | None = None) -> list[ServiceBillingView]:
    query = select(ServiceBillingRecord).order_by(col(ServiceBillingRecord.netvisor_key))
    if month is not None:
        query = query.where(ServiceBillingRecord.month == month)
    with state.session() as session:
        records = session.exec(query).all()
    views = []
    for record in records:
        assert record.netvisor_key is not None
        lines = [ServiceBillingLineView.model_validate(line) for line in json.loads(record.lines_json)]
        views.append(
            ServiceBillingView(
                netvisor_key=record.netvisor_key,
                organisation_id=record.organisation_id,
                month=record.month,
                lines=lines,
                total=sum((line.unit_price * line.quantity for line in lines), Decimal(0)),
                posted_at=record.posted_at,
            )
        )
    return views


@router.get("/faults")
async def current_faults(state: SandboxStateDep) -> Faults:
    return state.faults.faults


@router.put("/faults")
async def set_faults(faults: Faults, state: SandboxStateDep) -> Faults:
    state.faults.faults = faults
    return faults


@router.delete("/faults")
async def clear_faults(state: SandboxStateDep) -> Faults:
    state.faults.faults = Faults()
    return state.faults.faults
