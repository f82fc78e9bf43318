"""The API's clock, as a FastAPI dependency: the rules that depend on today (an import date in the future, a
month not over yet) read it here, so a test can answer a request as on any other day."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends


def now() -> datetime:
    return datetime.now(UTC)


Now = Annotated[datetime, Depends(now)]
