"""Every store test runs twice: on a fresh SQLite file and on a fresh schema of the shared PostgreSQL."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from store.database import Sessions
from store.schema import migrate
from store.scratch import scratch_schema

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (nothing migrated yet)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    with scratch_schema(POSTGRES_URL) as url:
        yield url


@pytest.fixture
def sessions(store_url: str) -> Iterator[Sessions]:
    """Sessions on a database migrated to head."""
    migrate(store_url)
    factory = Sessions.for_url(store_url)
    yield factory
    factory.dispose()
