"""Page/per_page slicing with Maventa's pagination headers (docs/facts/maventa.md §3, §2.1).

The headers are documented for /v1/documents; the sandbox sends them on every paged list, as we infer
/v1/invoices does too.
"""

import math
from typing import Any, TypeVar

from fastapi.responses import JSONResponse
from sqlalchemy import func
from sqlmodel import Session, select
from sqlmodel.sql.expression import SelectOfScalar

from sandbox.maventa.errors import invalid

MAX_PER_PAGE = 100
T = TypeVar("T")


def check_paging(page: int, per_page: int) -> None:
    if page < 1:
        raise invalid("page must be 1 or more")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise invalid(f"per_page must be between 1 and {MAX_PER_PAGE}")


def page_of(session: Session, query: SelectOfScalar[T], page: int, per_page: int) -> tuple[list[T], int]:
    check_paging(page, per_page)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    items = list(session.exec(query.offset((page - 1) * per_page).limit(per_page)).all())
    return items, total


def paged_response(body: list[dict[str, Any]], total: int, page: int, per_page: int) -> JSONResponse:
    pages = max(1, math.ceil(total / per_page))
    headers = {
        "X-Total": str(total),
        "X-Total-Pages": str(pages),
        "X-Page": str(page),
        "X-Per-Page": str(per_page),
        "X-Next-Page": str(page + 1) if page < pages else "",
        "X-Prev-Page": str(page - 1) if page > 1 else "",
    }
    return JSONResponse(body, headers=headers)
