"""A released company comes back to Netvisor (§3.2): its Maventa account is linked again by its keys, checked
with Maventa first as in R12, and the import is chosen as in R12 (now, from a date, or off until chosen).
Shared by the support route, the CLI (through that route) and the tests.
"""

from datetime import date

from starters import connection
from starters.linking import Linking, OfferedKeys, adopted, checked_keys
from workflows.connection_models import ActionAnswer, CompanyReport, RejoinRequest
from workflows.connection_policy import ImportMode, from_date_refusal


class NoCompanyReport(Exception):
    """The release predates rejoining, so its summary has no report of the company; send one."""


async def rejoin(
    linking: Linking,
    options: connection.ConnectionOptions,
    company_id: str,
    requested_by: str,
    offered: OfferedKeys,
    mode: ImportMode,
    from_date: date | None,
    today: date,
    attempt: str | None,
    report: CompanyReport | None = None,
) -> ActionAnswer:
    """Refused unless the company was released, or for a date the import cannot start from; then the keys are
    checked against the business id it left with, kept in the vault, and the company's next run links them."""
    if (reason := from_date_refusal(mode, from_date, today)) is not None:
        raise connection.ActionRefused(reason)
    try:
        summary = await connection.released_summary(linking.client, company_id)
    except connection.ActionRefused:
        if (earlier := await connection.earlier_answer(linking.client, company_id, attempt)) is not None:
            return earlier
        raise
    report = report or summary.company
    if report is None:
        raise NoCompanyReport(
            f"Company {company_id} was released before its details were kept with the release; send "
            "Netvisor's current report of the company (`company`) with the request."
        )
    keys = await checked_keys(linking, company_id, summary.business_id, offered, attempt)
    request = RejoinRequest(requested_by=requested_by, keys=keys, mode=mode, from_date=from_date)
    update = connection.rejoin(linking.client, options, summary, report, request, attempt)
    return await adopted(linking.sessions, keys, update)
