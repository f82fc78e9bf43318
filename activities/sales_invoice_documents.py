"""The sales invoices waiting to leave: the exact bytes to upload to Maventa, kept outside Temporal.

A Finvoice with its PDF image and attachments can be megabytes, over what a workflow payload may carry, so the
API stores the upload here and the workflow names it by company and invoice key. The first document stored
under a key is the one sent; storing is atomic (a folder renamed into place), so two requests with the same
key race harmlessly. The folder (`OUTBOUND_DOCUMENTS_DIR`, default `{DATA_DIR}/outbound`) must be shared
by the API and every worker.
"""

import hashlib
import io
import os
import shutil
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel

from settings import Settings
from workflows.sales_invoice_models import Route

FINVOICE_30 = "FINVOICE30"
_SUBMISSION = "submission.json"
_CONTENT = "upload"


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
    """No document is stored for the invoice key (the folder was not shared, or was cleaned)."""


def upload_package(
    document: bytes, pdf: bytes | None, attachments: list[tuple[str, bytes]]
) -> tuple[str, bytes]:
    """The file Maventa is given: the XML alone, or a ZIP of `invoice.xml`, its image `invoice.pdf` (same base
    name, as Maventa requires) and numbered attachments `1_<name>`, `2_<name>`, ... (research §2.4)."""
    if pdf is None and not attachments:
        return "invoice.xml", document
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("invoice.xml", document)
        if pdf is not None:
            archive.writestr("invoice.pdf", pdf)
        for number, (name, content) in enumerate(attachments, start=1):
            archive.writestr(f"{number}_{name}", content)
    return "invoice.zip", buffer.getvalue()


def _write(path: Path, content: bytes) -> None:
    with path.open("wb") as file:
        file.write(content)
        file.flush()
        os.fsync(file.fileno())


class OutboundDocuments:
    def __init__(self, root: Path) -> None:
        self._root = root

    @classmethod
    def from_settings(cls, settings: Settings) -> "OutboundDocuments":
        return cls(settings.outbound_documents_dir or settings.data_dir / "outbound")

    def _folder(self, company_id: str, invoice_key: str) -> Path:
        digest = hashlib.sha256(f"{company_id}\n{invoice_key}".encode()).hexdigest()
        return self._root / digest[:2] / digest

    def submission(self, company_id: str, invoice_key: str) -> StoredSubmission | None:
        path = self._folder(company_id, invoice_key) / _SUBMISSION
        try:
            return StoredSubmission.model_validate_json(path.read_bytes())
        except FileNotFoundError:
            return None

    def package(self, company_id: str, invoice_key: str) -> tuple[StoredSubmission, bytes]:
        """The submission and the bytes to upload."""
        submission = self.submission(company_id, invoice_key)
        try:
            content = (self._folder(company_id, invoice_key) / _CONTENT).read_bytes()
        except FileNotFoundError:
            content = None
        if submission is None or content is None:
            raise DocumentMissing(
                f"no document is stored for sales invoice {invoice_key} of company {company_id}"
            )
        return submission, content

    def store(self, submission: StoredSubmission, content: bytes) -> StoredSubmission:
        """Keep the upload unless one is already kept under the key; answers the submission that holds."""
        final = self._folder(submission.company_id, submission.invoice_key)
        final.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=final.parent))
        _write(staging / _CONTENT, content)
        _write(staging / _SUBMISSION, submission.model_dump_json().encode())
        try:
            staging.rename(final)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
            kept = self.submission(submission.company_id, submission.invoice_key)
            if kept is None:
                raise
            return kept
        return submission

    def replace(self, submission: StoredSubmission, content: bytes) -> StoredSubmission:
        """Put a new upload in place of one that never left (a rejected invoice sent again)."""
        final = self._folder(submission.company_id, submission.invoice_key)
        if final.exists():
            retired = Path(tempfile.mkdtemp(prefix=".retired-", dir=final.parent))
            final.rename(retired / "upload")
            shutil.rmtree(retired, ignore_errors=True)
        return self.store(submission, content)
