import os
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, inspect, text

from store import tables
from store.database import make_engine
from store.schema import current_revision, downgrade, migrate

STORE_TABLES = {
    "companies",
    "transactions",
    "received_invoices",
    "sent_invoices",
    "service_billing_runs",
    "vault_secrets",
    "outbound_documents",
    "maventa_budget_leases",
}


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_migrations_go_up_down_and_up_again(store_url: str) -> None:
    assert current_revision(store_url) is None

    migrate(store_url)
    assert _tables(store_url) == STORE_TABLES
    assert current_revision(store_url) == "0005"

    downgrade(store_url, "base")
    assert _tables(store_url) == set()
    assert current_revision(store_url) is None

    migrate(store_url)
    assert _tables(store_url) == STORE_TABLES


def _company_columns(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return {column["name"] for column in inspect(engine).get_columns("companies")}
    finally:
        engine.dispose()


def test_existing_companies_get_their_shown_state_as_lifecycle_state(store_url: str) -> None:
    migrate(store_url, "0001")
    engine = make_engine(store_url)
    try:
        with engine.begin() as connection:
            for company_id, state in (("c1", "CONNECTED"), ("c2", "NEEDS_SUPPORT")):
                connection.execute(
                    text(
                        "INSERT INTO companies (company_id, business_id, name, state, needs_support, "
                        "import_mode, updated_at) VALUES (:id, '', '', :state, false, 'off', :at)"
                    ),
                    {"id": company_id, "state": state, "at": "2026-05-04 09:00:00+00:00"},
                )
        migrate(store_url)
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT company_id, state, lifecycle_state FROM companies ORDER BY company_id")
            ).all()
    finally:
        engine.dispose()
    assert [tuple(row) for row in rows] == [
        ("c1", "CONNECTED", "CONNECTED"),
        ("c2", "NEEDS_SUPPORT", "NEEDS_SUPPORT"),
    ]

    downgrade(store_url, "0001")
    assert "lifecycle_state" not in _company_columns(store_url)
    assert current_revision(store_url) == "0001"


def _store_metadata() -> MetaData:
    """The store's own tables: SQLModel's shared metadata also holds the sandboxes' once their tests are
    collected in the same run."""
    only_store = MetaData()
    for name in tables.__all__:
        if name != "metadata":
            getattr(tables, name).__table__.to_metadata(only_store)
    return only_store


def test_migrated_schema_matches_the_models(store_url: str) -> None:
    migrate(store_url)
    engine = make_engine(store_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, _store_metadata())
    finally:
        engine.dispose()
    assert differences == []


def test_command_line_migrates_the_configured_database(tmp_path: Path) -> None:
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}

    def run(*arguments: str) -> str:
        completed = subprocess.run(
            [sys.executable, "-m", "store", *arguments],
            env=environment,
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parents[2],
        )
        return completed.stdout.strip()

    run("migrate")
    assert run("current") == "0005"
    run("downgrade", "base")
    assert run("current").startswith("base")
