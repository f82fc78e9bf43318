"""The upload kept outside Temporal: the first document under a key holds, and the ZIP is Maventa's layout."""

import io
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from clients.maventa_package import upload_package
from store.database import Sessions
from store.sales_invoice_documents import DocumentMissing, OutboundDocuments, StoredSubmission
from store.schema import migrate
from tests.clock import wall_clock
from workflows.sales_invoice_models import Route


@pytest.fixture
def documents(tmp_path: Path) -> Iterator[OutboundDocuments]:
    url = f"sqlite:///{tmp_path / 'service.db'}"
    migrate(url)
    sessions = Sessions.for_url(url)
    yield OutboundDocuments(sessions)
    sessions.dispose()


def _submission(fingerprint: str) -> StoredSubmission:
    return StoredSubmission(
        company_id="nv-1",
        invoice_key="inv-1",
        route=Route(einvoice_address="003715728600", operator="003721291126"),
        filename="invoice.xml",
        document_format="FINVOICE30",
        fingerprint=fingerprint,
        submitted_at=wall_clock(),
        size=1,
    )


def test_of_many_concurrent_stores_under_one_key_exactly_one_holds(documents: OutboundDocuments) -> None:
    with ThreadPoolExecutor(8) as pool:
        kept = list(pool.map(lambda n: documents.store(_submission(f"f{n}"), f"doc {n}".encode()), range(16)))

    winner = kept[0].fingerprint
    assert {submission.fingerprint for submission in kept} == {winner}
    submission, content = documents.package("nv-1", "inv-1")
    assert submission.fingerprint == winner
    assert content == f"doc {winner[1:]}".encode()


def test_replace_puts_a_new_document_in_place_and_a_missing_one_is_named(
    documents: OutboundDocuments,
) -> None:
    with pytest.raises(DocumentMissing, match="inv-1"):
        documents.package("nv-1", "inv-1")

    documents.store(_submission("first"), b"first")
    documents.replace(_submission("second"), b"second")

    submission, content = documents.package("nv-1", "inv-1")
    assert (submission.fingerprint, content) == ("second", b"second")


def test_a_bare_finvoice_goes_alone_and_with_image_and_attachments_as_a_zip() -> None:
    assert upload_package(b"<Finvoice/>", None, []) == ("invoice.xml", b"<Finvoice/>")

    filename, content = upload_package(b"<Finvoice/>", b"%PDF-1.4", [("a.txt", b"a"), ("b.pdf", b"b")])

    assert filename == "invoice.zip"
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.namelist() == ["invoice.xml", "invoice.pdf", "1_a.txt", "2_b.pdf"]
        assert archive.read("invoice.pdf") == b"%PDF-1.4"
