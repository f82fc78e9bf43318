"""Keys linked with an Idempotency-Key of any allowed length fit the vault on PostgreSQL, whose columns
(unlike SQLite's) refuse longer text: a 100-character key made the kind 120 characters and the link a 500."""

import os

from pydantic import SecretStr

from starters.linking import linked_key_kind
from store.database import Sessions, unit_of_work
from store.schema import migrate
from store.scratch import scratch_schema
from store.vault import StoredSecret, get_secret, put_secret

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
LONGEST_KEY = "k" * 100


def test_the_kind_of_linked_keys_fits_the_column_and_repeats_for_the_same_key() -> None:
    column = StoredSecret.model_fields["kind"].metadata
    longest = max(len(linked_key_kind(LONGEST_KEY)), len(linked_key_kind(None)))
    assert longest <= next(m.max_length for m in column if hasattr(m, "max_length"))
    assert linked_key_kind(LONGEST_KEY) == linked_key_kind(LONGEST_KEY) != linked_key_kind("other-key")
    assert linked_key_kind(None) != linked_key_kind(None), "without a key every request is its own"


def test_linked_keys_with_the_longest_idempotency_key_are_stored_on_postgresql() -> None:
    with scratch_schema(POSTGRES_URL) as url:
        migrate(url)
        sessions = Sessions.for_url(url)
        try:
            with unit_of_work(sessions) as session:
                ref = put_secret(
                    session, "company-1", linked_key_kind(LONGEST_KEY), SecretStr("user-key-123")
                )
            with unit_of_work(sessions) as session:
                assert get_secret(session, ref).get_secret_value() == "user-key-123"
        finally:
            sessions.dispose()
