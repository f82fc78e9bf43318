"""The SQLite engine behind one sandbox: a file for `make run`, a private temporary one for tests."""

from sqlalchemy import Engine
from sqlmodel import SQLModel

from sandbox.maventa import tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from sandbox.sqlite import sandbox_engine


def create_database(url: str) -> Engine:
    engine = sandbox_engine(url)
    SQLModel.metadata.create_all(engine)
    return engine
