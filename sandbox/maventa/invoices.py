"""Invoices: list, details, formats, files, actions, partner-queue state and sending.

Facts: docs/facts/maventa.md §2.1-§2.4.
"""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlmodel import Session, col, select

from sandbox.maventa.context import SessionDep
from sandbox.maventa.documents import UnreadableDocument, read_document, unpack_upload
from sandbox.maventa.errors import invalid, not_found
from sandbox.maventa.identifiers import ovt_address
from sandbox.maventa.invoice_store import InvoiceFiles, add_action, add_files, file_of_type, files_and_actions
from sandbox.maventa.pagination import page_of, paged_response
from sandbox.maventa.pdf import text_pdf
from sandbox.maventa.tables import Invoice, InvoiceEvent, InvoiceFile, new_id, utcnow
from sandbox.maventa.tokens import PrincipalDep, require_verified
from sandbox.maventa.views import FILE_IMAGE, FILE_INVOICE, action_view, invoice_view

router = APIRouter()
IMAGE_FORMATS = {"ORIGINAL_IMAGE", "GENERATED_IMAGE", "ORIGINAL_OR_GENERATED_IMAGE"}


class InvoiceEventState(BaseModel):
    state: str


def _utc(value: datetime | None) -> datetime | None:
    """A filter time without an offset is UTC, as Maventa's timestamps are (docs/facts/maventa.md §0)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _own_invoice(session: Session, company_id: str, invoice_id: str) -> Invoice:
    invoice = session.get(Invoice, invoice_id)
    if invoice is None or invoice.company_id != company_id:
        raise not_found("Invoice")
    return invoice


def _one_view(
    session: Session, request: Request, invoice: Invoice, *, all_files: bool = False
) -> dict[str, Any]:
    files, actions = files_and_actions(session, [invoice.id])
    return invoice_view(
        invoice, files[invoice.id], actions[invoice.id], str(request.base_url), all_files=all_files
    )


@router.get("/v1/invoices")
async def list_invoices(
    request: Request,
    who: PrincipalDep,
    session: SessionDep,
    direction: str = "RECEIVED",
    status: str | None = None,
    ids: str | None = None,
    number: str | None = None,
    reference: str | None = None,
    received_at_start: datetime | None = None,
    received_at_end: datetime | None = None,
    created_at_start: datetime | None = None,
    created_at_end: datetime | None = None,
    sort: str | None = None,
    page: int = 1,
    per_page: int = 10,
) -> JSONResponse:
    """A bare array, default 10 per page and at most 100, oldest first unless `sort=-received_at`.

    `status`, `ids` and `sort` are comma-separated lists (form style without explode, the OpenAPI)."""
    if direction not in ("RECEIVED", "SENT"):
        raise invalid("direction must be RECEIVED or SENT")
    statuses = status.split(",") if status else None
    wanted = ids.split(",") if ids else None
    if wanted and len(wanted) > 100:
        raise invalid("ids takes at most 100 ids")
    query = select(Invoice).where(Invoice.company_id == who.company.id, Invoice.direction == direction)
    if statuses:
        query = query.where(col(Invoice.status).in_(statuses))
    if wanted:
        query = query.where(col(Invoice.id).in_(wanted))
    if number:
        query = query.where(Invoice.number == number)
    if reference:
        query = query.where(Invoice.reference == reference)
    for column, start, end in (
        (col(Invoice.received_at), _utc(received_at_start), _utc(received_at_end)),
        (col(Invoice.created_at), _utc(created_at_start), _utc(created_at_end)),
    ):
        if start is not None:
            query = query.where(column >= start)
        if end is not None:
            query = query.where(column <= end)
    descending = "-received_at" in (sort or "").split(",")
    order = col(Invoice.received_at).desc() if descending else col(Invoice.received_at)
    query = query.order_by(order, col(Invoice.created_at), col(Invoice.id))
    invoices, total = page_of(session, query, page, per_page)
    files, actions = files_and_actions(session, [i.id for i in invoices])
    base_url = str(request.base_url)
    body = [invoice_view(i, files[i.id], actions[i.id], base_url) for i in invoices]
    return paged_response(body, total, page, per_page)


@router.get("/v1/invoices/{invoice_id}", response_model=None)
async def get_invoice(
    invoice_id: str,
    request: Request,
    who: PrincipalDep,
    session: SessionDep,
    return_format: str | None = None,
) -> dict[str, Any] | Response:
    invoice = _own_invoice(session, who.company.id, invoice_id)
    if return_format is None:
        return _one_view(session, request, invoice)
    if return_format == "EXTENDED_DETAILS":
        return _one_view(session, request, invoice, all_files=True)
    if return_format in IMAGE_FORMATS:
        return _image(session, invoice, return_format)
    if return_format in ("FINVOICE30", invoice.source_format):
        document = file_of_type(session, invoice.id, FILE_INVOICE)
        if document is None:
            raise not_found("Invoice document")
        return Response(document.content, media_type="application/xml")
    raise invalid(
        f"return_format {return_format} is not offered by the sandbox",
        ["The sandbox returns FINVOICE30, the source format, the image formats and EXTENDED_DETAILS"],
    )


def _image(session: Session, invoice: Invoice, return_format: str) -> Response:
    """ORIGINAL_IMAGE only if an original exists; GENERATED_IMAGE is always generated
    (docs/facts/maventa.md §2.2)."""
    stored = file_of_type(session, invoice.id, FILE_IMAGE)
    if return_format == "GENERATED_IMAGE" or (
        return_format == "ORIGINAL_OR_GENERATED_IMAGE" and stored is None
    ):
        content = text_pdf(f"LASKU {invoice.number}", [f"{invoice.sum_tax:.2f} {invoice.currency}"])
    elif stored is None or (return_format == "ORIGINAL_IMAGE" and not invoice.image_is_original):
        raise not_found("Original image")
    else:
        content = stored.content
    return Response(content, media_type="application/pdf")


@router.get("/v1/invoices/{invoice_id}/files/{file_id}")
async def get_file(invoice_id: str, file_id: str, who: PrincipalDep, session: SessionDep) -> Response:
    _own_invoice(session, who.company.id, invoice_id)
    file = session.get(InvoiceFile, file_id)
    if file is None or file.invoice_id != invoice_id:
        raise not_found("File")
    return Response(file.content, media_type=file.mimetype)


@router.get("/v1/invoices/{invoice_id}/actions")
async def get_actions(
    invoice_id: str,
    who: PrincipalDep,
    session: SessionDep,
    type_: Annotated[str | None, Query(alias="type")] = None,
) -> list[dict[str, Any]]:
    """`type` is a comma-separated list (form style without explode)."""
    _own_invoice(session, who.company.id, invoice_id)
    _, actions = files_and_actions(session, [invoice_id])
    types = type_.split(",") if type_ else None
    return [action_view(a) for a in actions[invoice_id] if not types or a.type in types]


@router.patch("/v1/invoices/{invoice_id}/invoice_events", status_code=204)
async def set_invoice_event_state(
    invoice_id: str, body: InvoiceEventState, who: PrincipalDep, session: SessionDep
) -> Response:
    """`{"state": "HANDLED"}` or `{"state": "CREATED"}`, answered 204 (docs/facts/maventa.md §2.3)."""
    if body.state not in ("CREATED", "HANDLED"):
        raise invalid("state must be CREATED or HANDLED")
    _own_invoice(session, who.company.id, invoice_id)
    event = session.exec(select(InvoiceEvent).where(InvoiceEvent.invoice_id == invoice_id)).first()
    if event is None:
        raise not_found("Invoice event")
    event.state = body.state
    session.add(event)
    session.commit()
    return Response(status_code=204)


@router.post("/v1/invoices", status_code=201)
async def send_invoice(
    request: Request,
    who: PrincipalDep,
    session: SessionDep,
    file: Annotated[UploadFile, File()],
    format: Annotated[str | None, Form()] = None,
    recipient_eia: Annotated[str | None, Form()] = None,
    recipient_operator: Annotated[str | None, Form()] = None,
    uuid: Annotated[str | None, Form()] = None,
) -> dict[str, Any]:
    """Multipart upload of an XML or a ZIP (XML + PDF + attachments), answered 201 (the only documented
    answer).

    The `uuid` ("Unique invoice uuid, generated automatically if not specified") becomes the invoice's id
    [A: inferred from the description and Maventa's UUID invoice ids]. The same `uuid` again is an invalid
    request: 400 `invoice_uuid_taken`, creating nothing (the generic 400 of the OpenAPI; the code is [A]).
    """
    content = await file.read()
    require_verified(who)
    if uuid and session.get(Invoice, uuid) is not None:
        raise invalid(
            "An invoice with this uuid already exists", [f"uuid {uuid} is taken"], "invoice_uuid_taken"
        )
    try:
        upload = unpack_upload(content, file.filename or "invoice.xml")
        facts = read_document(upload.document)
    except UnreadableDocument as exc:
        raise invalid("The invoice file could not be read", [str(exc)]) from exc
    company = who.company
    now = utcnow()
    invoice = Invoice(
        id=uuid or new_id(),
        company_id=company.id,
        direction="SENT",
        status="PENDING",
        number=facts.number or "",
        reference=facts.reference,
        sender={
            "eia": ovt_address(company.bid),
            "bid": company.bid,
            "name": company.name,
            "country": company.country,
        },
        recipient={
            "eia": recipient_eia or None,
            "bid": facts.recipient_business_id,
            "name": facts.recipient_name,
            "country": "FI",
            "operator": recipient_operator or None,
        },
        received_at=now.replace(microsecond=0),
        created_at=now,
        date=facts.date,
        date_due=facts.date_due,
        source_format=format or facts.source_format,
        sum=float(facts.sum or 0),
        sum_tax=float(facts.sum_tax or 0),
        currency=facts.currency,
        uuid=uuid or None,
        image_is_original=upload.image is not None,
    )
    session.add(invoice)
    session.flush()
    image = upload.image or text_pdf(f"LASKU {invoice.number}", [company.name, f"{invoice.sum_tax:.2f}"])
    add_files(
        session,
        invoice,
        InvoiceFiles(
            document=upload.document,
            document_filename=upload.document_filename,
            image=image,
            image_filename=f"{invoice.number or 'invoice'}.pdf",
            attachments=[(name, _mimetype(name), data) for name, data in upload.attachments],
        ),
    )
    add_action(session, invoice.id, "CREATED", "EINVOICE", "action_created", "Invoice created")
    session.commit()
    return _one_view(session, request, invoice)


def _mimetype(filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower()
    return {"pdf": "application/pdf", "txt": "text/plain", "jpg": "image/jpeg", "xml": "application/xml"}.get(
        extension, "application/octet-stream"
    )
