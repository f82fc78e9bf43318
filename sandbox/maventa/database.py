"""The SQLite engine behind one sandbox: a file for `make run`, in-memory for tests."""

from sqlalchemy import Engine
from sqlalchemy.pool import StaticPool
from sqlmodel import SQLModel, create_engine

from sandbox.maventa import tables  # noqa: F401  (registers the tables on SQLModel.metadata)


def create_database(url: str) -> Engine:
    in_memory = url in ("sqlite://", "sqlite:///:memory:")
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False},
        poolclass=StaticPool if in_memory else None,
    )
    SQLModel.metadata.create_all(engine)
    return engine
