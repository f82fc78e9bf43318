"""The sales invoices waiting to leave: the exact bytes to upload to Maventa, kept outside Temporal.

A Finvoice with its PDF image and attachments can be megabytes, over what a workflow payload may carry, so the
API keeps the upload in the store (store.outbound_documents) and the workflow names it by company and invoice
key. The first document kept under a key is the one sent, so two requests with the same key race harmlessly.
The API and the workers share nothing but the database.
"""

from datetime import datetime

from pydantic import BaseModel

from domain.routing import Route
from store.database import Sessions, unit_of_work
from store.outbound_documents import get_document, get_submission, keep_document, replace_document

FINVOICE_30 = "FINVOICE30"


class StoredSubmission(BaseModel):
    """What was submitted under an invoice key: where it goes and a fingerprint of the request."""

    company_id: str
    invoice_key: str
    route: Route
    filename: str
    document_format: str
    fingerprint: str
    submitted_at: datetime
    size: int


class DocumentMissing(LookupError):
    """No document is kept for the invoice key (never stored, or stored before the store kept documents)."""


class OutboundDocuments:
    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

    def submission(self, company_id: str, invoice_key: str) -> StoredSubmission | None:
        with unit_of_work(self._sessions) as session:
            kept = get_submission(session, company_id, invoice_key)
        return None if kept is None else StoredSubmission.model_validate(kept)

    def package(self, company_id: str, invoice_key: str) -> tuple[StoredSubmission, bytes]:
        """The submission and the bytes to upload."""
        with unit_of_work(self._sessions) as session:
            kept = get_document(session, company_id, invoice_key)
        if kept is None:
            raise DocumentMissing(
                f"no document is stored for sales invoice {invoice_key} of company {company_id}"
            )
        submission, content = kept
        return StoredSubmission.model_validate(submission), content

    def store(self, submission: StoredSubmission, content: bytes) -> StoredSubmission:
        """Keep the upload unless one is already kept under the key; answers the submission that holds."""
        company_id, key = submission.company_id, submission.invoice_key
        with unit_of_work(self._sessions) as session:
            if keep_document(session, company_id, key, submission.model_dump(mode="json"), content):
                return submission
            kept = get_submission(session, company_id, key)
        assert kept is not None, "a kept document is never deleted"
        return StoredSubmission.model_validate(kept)

    def replace(self, submission: StoredSubmission, content: bytes) -> StoredSubmission:
        """Put a new upload in place of one that never left (a rejected invoice sent again)."""
        with unit_of_work(self._sessions) as session:
            replace_document(
                session,
                submission.company_id,
                submission.invoice_key,
                submission.model_dump(mode="json"),
                content,
            )
        return submission
