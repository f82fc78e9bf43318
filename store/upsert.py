"""Insert-or-ignore and insert-or-update that hold under concurrency on both SQLite and PostgreSQL."""

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel


def _insert(session: Session, table: type[SQLModel]) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise ValueError(f"the store supports SQLite and PostgreSQL, not {dialect}")


def insert_or_ignore(
    session: Session, table: type[SQLModel], values: Mapping[str, Any], conflict_on: Sequence[str]
) -> bool:
    """Insert a row unless one with the same key exists; True when this call inserted it."""
    # RETURNING, unlike rowcount, tells on every driver whether the row was inserted.
    key = sa_inspect(table).local_table.c[conflict_on[0]]
    statement = (
        _insert(session, table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=conflict_on)
        .returning(key)
    )
    return session.execute(statement).first() is not None


def insert_or_update(
    session: Session,
    table: type[SQLModel],
    values: Mapping[str, Any],
    conflict_on: Sequence[str],
    update: Sequence[str],
) -> None:
    """Insert a row, or overwrite the named columns of the existing row with the same key."""
    statement = _insert(session, table).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=conflict_on, set_={name: statement.excluded[name] for name in update}
    )
    session.execute(statement)
