"""The companies projection: what the API, support listings, billing and the inbox sweep read about a company.

Each company's workflow owns its state and writes this projection from an activity after every change; nothing
here decides anything. `state` is what support sees (NEEDS_SUPPORT when a step failed for good);
`lifecycle_state` is where the company stands underneath, which is what importing and sending depend on.
"""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Column, Index, false, or_
from sqlmodel import Field, Session, SQLModel, col, select

from store.columns import UtcDateTime, utc_now
from store.upsert import insert_or_update

ImportMode = Literal["off", "now", "from_date"]


class Company(SQLModel, table=True):
    __tablename__ = "companies"
    __table_args__ = (
        Index("ix_companies_state_company_id", "state", "company_id"),
        Index("ix_companies_needs_support_company_id", "needs_support", "company_id"),
    )

    company_id: str = Field(primary_key=True, max_length=64)
    business_id: str = Field(default="", max_length=20)
    name: str = Field(default="", max_length=300)
    state: str = Field(default="PROVISIONING", max_length=32)
    lifecycle_state: str = Field(default="PROVISIONING", max_length=32)
    needs_support: bool = False
    needs_support_reason: str | None = Field(default=None, max_length=2000)
    maventa_company_uuid: str | None = Field(default=None, max_length=64, index=True)
    credentials_ref: str | None = Field(default=None, max_length=64)
    import_mode: str = Field(default="off", max_length=16)
    import_from: datetime | None = Field(default=None, sa_column=Column(UtcDateTime, nullable=True))
    updated_at: datetime = Field(default_factory=utc_now, sa_column=Column(UtcDateTime, nullable=False))


class CompanyChanges(BaseModel):
    """The fields a projection write sets; fields left out keep their stored value."""

    model_config = ConfigDict(extra="forbid")

    business_id: str | None = None
    name: str | None = None
    state: str | None = None
    lifecycle_state: str | None = None
    needs_support: bool | None = None
    needs_support_reason: str | None = None
    maventa_company_uuid: str | None = None
    credentials_ref: str | None = None
    import_mode: ImportMode | None = None
    import_from: datetime | None = None


def upsert_company(session: Session, company_id: str, changes: CompanyChanges) -> Company:
    """Create the company's row or apply changes to it (only the fields set in changes); returns the row."""
    values = changes.model_dump(exclude_unset=True)
    values["updated_at"] = utc_now()
    row = {"company_id": company_id, **Company(company_id=company_id).model_dump(), **values}
    insert_or_update(session, Company, row, ["company_id"], sorted(values))
    statement = select(Company).where(Company.company_id == company_id)
    return session.exec(statement.execution_options(populate_existing=True)).one()


def get_company(session: Session, company_id: str) -> Company | None:
    return session.get(Company, company_id)


def find_by_maventa_company_uuid(session: Session, maventa_company_uuid: str) -> Company | None:
    """The company linked to a Maventa company (webhooks and the inbox sweep name companies this way).

    Should two rows ever carry the same Maventa company (an account released and linked again), the most
    recently updated one wins.
    """
    statement = (
        select(Company)
        .where(Company.maventa_company_uuid == maventa_company_uuid)
        .order_by(col(Company.updated_at).desc())
    )
    return session.exec(statement).first()


class Identifies(BaseModel):
    """Ways one text may name a company; a company matches when any of them does."""

    company_id: str | None = None
    business_id: str | None = None
    maventa_company_uuid: str | None = None


def list_companies(
    session: Session,
    *,
    state: str | None = None,
    needs_support: bool | None = None,
    reason_starts: str | None = None,
    identifies: Identifies | None = None,
    after: str | None = None,
    limit: int = 100,
) -> list[Company]:
    """A page of companies in company_id order; pass the last id of a page as `after` for the next one.

    `reason_starts` keeps companies whose support reason begins so (e.g. the bank network's overdue one)."""
    statement = select(Company)
    if state is not None:
        statement = statement.where(Company.state == state)
    if needs_support is not None:
        statement = statement.where(Company.needs_support == needs_support)
    if reason_starts is not None:
        statement = statement.where(
            col(Company.needs_support_reason).startswith(reason_starts, autoescape=True)
        )
    if identifies is not None:
        named = [
            getattr(Company, field) == value
            for field, value in identifies.model_dump().items()
            if value is not None
        ]
        statement = statement.where(or_(*named) if named else false())
    if after is not None:
        statement = statement.where(col(Company.company_id) > after)
    return list(session.exec(statement.order_by(col(Company.company_id)).limit(limit)).all())
