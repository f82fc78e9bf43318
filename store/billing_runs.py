"""Service billing runs (R8): one row per company and month, so a re-run of a month posts nothing twice."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Column, Numeric, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, select
from sqlmodel.sql.expression import SelectOfScalar

from store.columns import UtcDateTime, utc_now
from store.upsert import insert_or_ignore


class BillingRun(SQLModel, table=True):
    __tablename__ = "service_billing_runs"
    __table_args__ = (
        UniqueConstraint("company_id", "month", name="uq_service_billing_runs_company_id_month"),
    )

    id: int | None = Field(default=None, primary_key=True)
    company_id: str = Field(max_length=64)
    month: str = Field(max_length=7, index=True)
    total: Decimal = Field(sa_column=Column(Numeric(14, 2), nullable=False))
    currency: str = Field(default="EUR", max_length=3)
    posted_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime, nullable=True))
    created_at: datetime = Field(default_factory=utc_now, sa_column=Column(UtcDateTime, nullable=False))


class UnknownBillingRunError(LookupError):
    """A billing run was marked posted before it was started."""


def _run(company_id: str, month: str) -> SelectOfScalar[BillingRun]:
    statement = select(BillingRun).where(BillingRun.company_id == company_id, BillingRun.month == month)
    return statement.execution_options(populate_existing=True)


def get_billing_run(session: Session, company_id: str, month: str) -> BillingRun | None:
    return session.exec(_run(company_id, month)).first()


def start_billing_run(
    session: Session, company_id: str, month: str, total: Decimal, currency: str = "EUR"
) -> BillingRun:
    """The company's billing run for the month, created with this total at first; later calls return it."""
    row = {
        "company_id": company_id,
        "month": month,
        "total": total,
        "currency": currency,
        "created_at": utc_now(),
    }
    insert_or_ignore(session, BillingRun, row, ["company_id", "month"])
    return session.exec(_run(company_id, month)).one()


def mark_posted(session: Session, company_id: str, month: str, *, at: datetime | None = None) -> bool:
    """Netvisor accepted the month's service-billing lines; True if this call recorded it."""
    run = get_billing_run(session, company_id, month)
    if run is None:
        raise UnknownBillingRunError(
            f"no billing run for company {company_id} and month {month}; start it first"
        )
    if run.posted_at is not None:
        return False
    run.posted_at = at or utc_now()
    session.flush()
    return True
