"""Internal resources for what Netvisor does not publish; every one is an ASSUMPTION about its internals.

They follow the public resources' conventions (MAC auth, lower-case XML in, <Root><ResponseStatus> out) under
an `internal/` path so no one mistakes them for published ones:
- internal/invoicingaddress.nv: the company's Maventa receiving address in Invoicing addresses
  (docs/facts/netvisor.md §6.2 says the details "appear" there after the bank-network connection; how they get
  there is not published).
- internal/salesinvoicedeliverystatus.nv: a sales invoice's e-invoice delivery status.
- internal/servicebilling.nv: a company's billed Maventa transactions of one month; idempotent per
  organisation and month (the same lines again change nothing, different lines answer DUPLICATE_DATA).
"""

import json
import re
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from sqlmodel import col, select
from starlette.responses import Response

from sandbox.netvisor.auth import AuthenticatedOrganisation
from sandbox.netvisor.envelope import NetvisorFailure, inserted, ok_response
from sandbox.netvisor.state import SandboxStateDep
from sandbox.netvisor.tables import InvoicingAddressRecord, SalesInvoiceStatusRecord, ServiceBillingRecord
from sandbox.netvisor.xml_input import decimal_value, parse_message, required_text, text

router = APIRouter(prefix="/internal")

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
STATUS = re.compile(r"^[A-Z][A-Z_]{1,49}$")


@router.post("/invoicingaddress.nv")
async def update_invoicing_address(
    request: Request,
    organisation_id: AuthenticatedOrganisation,
    state: SandboxStateDep,
) -> Response:
    message = parse_message(await request.body(), request.headers.get("content-type"), "invoicingaddress")
    address, operator = required_text(message, "einvoiceaddress"), required_text(message, "operator")
    with state.session() as session:
        record = session.get(InvoicingAddressRecord, organisation_id)
        if record is None:
            record = InvoicingAddressRecord(
                organisation_id=organisation_id,
                einvoice_address=address,
                operator=operator,
                updated_at=datetime.now(UTC),
            )
        elif (record.einvoice_address, record.operator) != (address, operator):
            record.einvoice_address, record.operator, record.updated_at = address, operator, datetime.now(UTC)
        session.add(record)
        session.commit()
    return ok_response()


@router.post("/salesinvoicedeliverystatus.nv")
async def report_sales_invoice_status(
    request: Request,
    organisation_id: AuthenticatedOrganisation,
    state: SandboxStateDep,
) -> Response:
    message = parse_message(
        await request.body(), request.headers.get("content-type"), "salesinvoicedeliverystatus"
    )
    invoice_key, status = required_text(message, "invoicekey"), required_text(message, "status")
    detail = text(message, "detail")
    if not STATUS.match(status):
        raise NetvisorFailure(
            "INVALID_DATA", f"<status> must be an upper-case status such as DELIVERED: {status}"
        )
    with state.session() as session:
        latest = session.exec(
            select(SalesInvoiceStatusRecord)
            .where(SalesInvoiceStatusRecord.organisation_id == organisation_id)
            .where(SalesInvoiceStatusRecord.invoice_key == invoice_key)
            .order_by(col(SalesInvoiceStatusRecord.id).desc())
        ).first()
        # The same report twice is one report.
        if latest is None or (latest.status, latest.detail) != (status, detail):
            session.add(
                SalesInvoiceStatusRecord(
                    organisation_id=organisation_id,
                    invoice_key=invoice_key,
                    status=status,
                    detail=detail,
                    reported_at=datetime.now(UTC),
                )
            )
            session.commit()
    return ok_response()


@router.post("/servicebilling.nv")
async def post_service_billing(
    request: Request,
    organisation_id: AuthenticatedOrganisation,
    state: SandboxStateDep,
) -> Response:
    message = parse_message(await request.body(), request.headers.get("content-type"), "servicebilling")
    month = required_text(message, "month")
    if not MONTH.match(month):
        raise NetvisorFailure("INVALID_DATA", f"<month> must be YYYY-MM: {month}")
    container = message.find("servicebillinglines")
    lines = []
    for line in container if container is not None else []:
        if not isinstance(line.tag, str):
            continue
        quantity = decimal_value(required_text(line, "quantity"), "quantity")
        if quantity != quantity.to_integral_value() or quantity < 0:
            raise NetvisorFailure("INVALID_DATA", f"<quantity> must be a whole number: {quantity}")
        lines.append(
            {
                "product_code": required_text(line, "productcode"),
                "description": required_text(line, "description"),
                "quantity": str(int(quantity)),
                "unit_price": str(decimal_value(required_text(line, "unitprice"), "unitprice")),
            }
        )
    lines_json = json.dumps(lines, sort_keys=True)
    with state.session() as session:
        existing = session.exec(
            select(ServiceBillingRecord)
            .where(ServiceBillingRecord.organisation_id == organisation_id)
            .where(ServiceBillingRecord.month == month)
        ).first()
        if existing is not None:
            if existing.lines_json != lines_json:
                raise NetvisorFailure(
                    "DUPLICATE_DATA", f"Service billing of {month} is already posted with different lines"
                )
            assert existing.netvisor_key is not None
            return ok_response(inserted(existing.netvisor_key))
        record = ServiceBillingRecord(
            organisation_id=organisation_id, month=month, lines_json=lines_json, posted_at=datetime.now(UTC)
        )
        session.add(record)
        session.commit()
        assert record.netvisor_key is not None
        return ok_response(inserted(record.netvisor_key))
