"""Storing an invoice with its files and actions, and reading them back for the JSON views."""

from collections import defaultdict
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from sandbox.maventa.tables import Invoice, InvoiceAction, InvoiceFile
from sandbox.maventa.views import FILE_ATTACHMENT, FILE_IMAGE, FILE_INVOICE


@dataclass
class InvoiceFiles:
    document: bytes
    document_filename: str
    image: bytes
    image_filename: str
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)


def add_files(session: Session, invoice: Invoice, files: InvoiceFiles) -> None:
    session.add(
        InvoiceFile(
            invoice_id=invoice.id,
            filename=files.document_filename,
            type=FILE_INVOICE,
            mimetype="application/xml",
            content=files.document,
        )
    )
    session.add(
        InvoiceFile(
            invoice_id=invoice.id,
            filename=files.image_filename,
            type=FILE_IMAGE,
            mimetype="application/pdf",
            content=files.image,
        )
    )
    for filename, mimetype, content in files.attachments:
        session.add(
            InvoiceFile(
                invoice_id=invoice.id,
                filename=filename,
                type=FILE_ATTACHMENT,
                mimetype=mimetype,
                content=content,
            )
        )


def add_action(session: Session, invoice_id: str, type_: str, channel: str, key: str, message: str) -> None:
    session.add(InvoiceAction(invoice_id=invoice_id, type=type_, channel=channel, key=key, message=message))


def file_of_type(session: Session, invoice_id: str, file_type: str) -> InvoiceFile | None:
    query = select(InvoiceFile).where(InvoiceFile.invoice_id == invoice_id, InvoiceFile.type == file_type)
    return session.exec(query).first()


def files_and_actions(
    session: Session, invoice_ids: list[str]
) -> tuple[dict[str, list[InvoiceFile]], dict[str, list[InvoiceAction]]]:
    files: dict[str, list[InvoiceFile]] = defaultdict(list)
    actions: dict[str, list[InvoiceAction]] = defaultdict(list)
    if not invoice_ids:
        return files, actions
    for file in session.exec(select(InvoiceFile).where(col(InvoiceFile.invoice_id).in_(invoice_ids))).all():
        files[file.invoice_id].append(file)
    action_query = (
        select(InvoiceAction)
        .where(col(InvoiceAction.invoice_id).in_(invoice_ids))
        .order_by(col(InvoiceAction.happened_at), col(InvoiceAction.id))
    )
    for action in session.exec(action_query).all():
        actions[action.invoice_id].append(action)
    return files, actions
