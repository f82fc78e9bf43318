"""What monthly service billing (R8) passes between the API, the schedule, the workflow and activities."""

from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field

from domain.pricing import MONTH_PATTERN

Month = Annotated[str, Field(pattern=MONTH_PATTERN, description="YYYY-MM, a Finnish calendar month")]

DEFAULT_PAGE_SIZE = 100
FAILURES_KEPT = 100
"""Failures listed in the result; more are counted (and logged) but not listed, to keep the payload small."""


class CompanyPageRequest(BaseModel):
    month: Month
    after: str | None = Field(None, description="The last company id of the previous page")
    limit: int = Field(ge=1)


class CompanyPage(BaseModel):
    company_ids: list[str]


class CompanyToBill(BaseModel):
    month: Month
    company_id: str


class BillingOutcome(StrEnum):
    POSTED = "posted"
    ALREADY_POSTED = "already_posted"


class CompanyBilled(BaseModel):
    company_id: str
    outcome: BillingOutcome
    total: Decimal
    currency: str


class CompanyFailure(BaseModel):
    company_id: str
    reason: str


class BillingState(BaseModel):
    """The billing workflow's one state: its input, what continue-as-new carries over, and its result."""

    month: Month
    requested_by: str | None = Field(
        None, max_length=200, description="The agent who started this run; none for the monthly schedule"
    )
    page_size: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=1000)
    after: str | None = Field(None, description="Companies up to this id have been walked")
    finished: bool = False
    posted: int = Field(0, description="Companies whose lines this run posted to Netvisor")
    already_posted: int = Field(0, description="Companies an earlier run had already billed (nothing sent)")
    failed: int = 0
    failures: list[CompanyFailure] = Field(default_factory=list, description=f"The first {FAILURES_KEPT}")
    posted_totals: dict[str, Decimal] = Field(
        default_factory=dict, description="Sum posted by this run, by currency"
    )


class ScheduledBilling(BaseModel):
    """The schedule's input: it bills the month before the one it fires in."""

    page_size: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=1000)
