from concurrent.futures import ThreadPoolExecutor

from store.database import Sessions, unit_of_work
from store.outbound_documents import get_document, get_submission, keep_document, replace_document


def _keep(sessions: Sessions, number: int) -> bool:
    with unit_of_work(sessions) as session:
        return keep_document(
            session, "nv-1", "inv-1", {"fingerprint": f"f{number}"}, f"doc {number}".encode()
        )


def test_of_many_concurrent_keeps_under_one_key_exactly_one_holds(sessions: Sessions) -> None:
    with ThreadPoolExecutor(8) as pool:
        kept = list(pool.map(lambda number: _keep(sessions, number), range(16)))

    assert kept.count(True) == 1
    winner = kept.index(True)
    with unit_of_work(sessions) as session:
        assert get_document(session, "nv-1", "inv-1") == (
            {"fingerprint": f"f{winner}"},
            f"doc {winner}".encode(),
        )


def test_binary_documents_come_back_byte_for_byte_and_keys_are_per_company(sessions: Sessions) -> None:
    zip_bytes = bytes(range(256)) * 4096
    with unit_of_work(sessions) as session:
        keep_document(session, "nv-1", "inv-1", {"filename": "invoice.zip"}, zip_bytes)
        keep_document(session, "nv-2", "inv-1", {"filename": "invoice.xml"}, b"<Finvoice/>")

    with unit_of_work(sessions) as session:
        assert get_document(session, "nv-1", "inv-1") == ({"filename": "invoice.zip"}, zip_bytes)
        assert get_submission(session, "nv-2", "inv-1") == {"filename": "invoice.xml"}
        assert get_document(session, "nv-3", "inv-1") is None
        assert get_submission(session, "nv-1", "inv-2") is None


def test_replace_puts_a_new_document_in_place_or_keeps_a_first_one(sessions: Sessions) -> None:
    with unit_of_work(sessions) as session:
        keep_document(session, "nv-1", "inv-1", {"fingerprint": "first"}, b"first")
        replace_document(session, "nv-1", "inv-1", {"fingerprint": "second"}, b"second")
        replace_document(session, "nv-1", "inv-2", {"fingerprint": "only"}, b"only")

    with unit_of_work(sessions) as session:
        assert get_document(session, "nv-1", "inv-1") == ({"fingerprint": "second"}, b"second")
        assert get_document(session, "nv-1", "inv-2") == ({"fingerprint": "only"}, b"only")
