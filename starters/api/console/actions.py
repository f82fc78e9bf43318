"""The support actions an agent takes from a company's page, each with what it will do (the confirmation page
says so before anything happens) and the use case it runs: the very functions the support API's routes call,
so the console refuses, answers and records exactly as the API does.
"""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from fastapi import Request
from pydantic import SecretStr, ValidationError
from temporalio.client import Client

from domain.banking_days import helsinki_date
from starters import connection, linking, rejoin
from starters.api.companies import answering_connection_errors
from starters.api.errors import ApiError
from starters.api.maventa_account import ApiKeysBody, SendOnlyBody, linking_for
from starters.api.received_invoices import retry_quarantined_invoice
from starters.api.support import act
from starters.api.transactions import start_billing
from workflows.connection_models import ActionAnswer
from workflows.connection_policy import ImportMode


@dataclass(frozen=True)
class Field:
    """A value the agent types on the confirmation page."""

    name: str
    label: str
    kind: str = "text"
    required: bool = True
    max_length: int = 200
    default: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    """(value, what the agent reads) for a field chosen from a list."""


@dataclass(frozen=True)
class Asked:
    """One confirmed action: who asks, for which company, with what the form carried."""

    request: Request
    client: Client
    company_id: str
    agent_id: str
    attempt: str
    values: Mapping[str, str]
    now: datetime


Run = Callable[[Asked], Awaitable[str]]
"""Runs the action; returns what the service answered, for the page that follows."""


@dataclass(frozen=True)
class Action:
    slug: str
    title: str
    confirm: str
    happens: tuple[str, ...]
    run: Run
    fields: tuple[Field, ...] = field(default=())
    danger: bool = False


def _invalid(error: ValidationError) -> ApiError:
    problems = "; ".join(
        f"{'.'.join(str(part) for part in problem['loc']) or 'keys'}: {problem['msg']}"
        for problem in error.errors()
    )
    return ApiError(422, "invalid_request", f"Fix these fields and send again: {problems}.")


def _given(values: Mapping[str, str], name: str) -> str | None:
    value = values.get(name, "").strip()
    return value or None


def told(answer: ActionAnswer) -> str:
    return f"{answer.outcome.value} ({answer.state}): {answer.message}"


async def _link(asked: Asked) -> str:
    keys = _keys(asked)
    with answering_connection_errors(asked.company_id):
        answer = await linking.link_with_keys(
            linking_for(asked.request, asked.client),
            asked.company_id,
            asked.agent_id,
            keys.offered(),
            asked.attempt,
        )
    return told(answer)


def _keys(asked: Asked) -> ApiKeysBody:
    try:
        return ApiKeysBody(
            company_uuid=_given(asked.values, "company_uuid") or "",
            user_api_key=SecretStr(asked.values.get("user_api_key", "")),
            requested_by=asked.agent_id,
        )
    except ValidationError as error:
        raise _invalid(error) from None


def _import_choice(values: Mapping[str, str]) -> tuple[ImportMode, date | None]:
    try:
        mode = ImportMode(values.get("mode", ImportMode.OFF.value))
        given = _given(values, "from_date")
        return mode, date.fromisoformat(given) if given else None
    except ValueError:
        raise ApiError(
            422,
            "invalid_request",
            "Choose the import (off, now or from a date) and give a date as YYYY-MM-DD.",
        ) from None


async def _rejoin(asked: Asked) -> str:
    keys = _keys(asked)
    mode, from_date = _import_choice(asked.values)
    with answering_connection_errors(asked.company_id):
        try:
            answer = await rejoin.rejoin(
                linking_for(asked.request, asked.client),
                connection.ConnectionOptions.from_settings(asked.request.app.state.settings),
                asked.company_id,
                asked.agent_id,
                keys.offered(),
                mode,
                from_date,
                helsinki_date(asked.now),
                asked.attempt,
            )
        except rejoin.NoCompanyReport as missing:
            raise ApiError(422, "company_report_needed", str(missing)) from None
    return told(answer)


async def _send_only(asked: Asked) -> str:
    key = _given(asked.values, "user_api_key")
    try:
        keys = SendOnlyBody(
            company_uuid=_given(asked.values, "company_uuid"), user_api_key=SecretStr(key) if key else None
        )
    except ValidationError as error:
        raise _invalid(error) from None
    with answering_connection_errors(asked.company_id):
        answer = await linking.make_send_only(
            linking_for(asked.request, asked.client),
            asked.company_id,
            asked.agent_id,
            keys.offered(),
            asked.attempt,
        )
    return told(answer)


def _update(use_case: Callable[[Client, str, str, str | None], Awaitable[ActionAnswer]]) -> Run:
    async def run(asked: Asked) -> str:
        return told(await act(use_case, asked.client, asked.company_id, asked.agent_id, asked.attempt))

    return run


async def _release(asked: Asked) -> str:
    with answering_connection_errors(asked.company_id):
        answer = await connection.release_company(
            asked.client, asked.company_id, asked.agent_id, asked.attempt
        )
    return told(answer)


KEY_FIELDS = (
    Field("company_uuid", "The account's company UUID (Maventa: Settings > Company settings)", max_length=64),
    Field("user_api_key", "A user's API key of that account", kind="password"),
)

ACTIONS: tuple[Action, ...] = (
    Action(
        slug="link",
        title="Link the existing account by its keys (R12)",
        confirm="Check the keys and link",
        happens=(
            "The keys are checked with Maventa first; wrong keys or keys of another company change nothing.",
            "Accepted keys go straight into the vault (encrypted); the workflow and this page only ever see "
            "the key masked.",
            "Netvisor's vendor key is linked to the account (only if missing) and its networks are read; "
            "the company becomes LINKED and sending is allocated.",
            "Import does not start by itself: the customer chooses it in Netvisor.",
        ),
        run=_link,
        fields=KEY_FIELDS,
    ),
    Action(
        slug="decline",
        title="Decline linking (R13)",
        confirm="Decline",
        happens=(
            "The company becomes NOT_LINKED: no receiving, scanning or sending through Netvisor.",
            "Nothing at Maventa is touched; the account can still be linked or made send-only later.",
        ),
        run=_update(connection.decline),
    ),
    Action(
        slug="send-only",
        title="Make send-only (R14)",
        confirm="Make send-only",
        happens=(
            "Sales invoices go through Netvisor; purchase invoices stay in the customer's other system and "
            "nothing is imported (the import becomes off).",
            "Give the account's keys unless they are linked already; they are checked with Maventa first.",
            "Netvisor's vendor key is linked so sales invoices can be sent; the company becomes SEND_ONLY.",
        ),
        run=_send_only,
        fields=tuple(
            Field(f.name, f.label, kind=f.kind, required=False, max_length=f.max_length) for f in KEY_FIELDS
        ),
    ),
    Action(
        slug="release",
        title="Release the account (R15)",
        confirm="Release the account",
        happens=(
            "Import stops first: nothing new is imported for the company.",
            "Netvisor's vendor link is removed at Maventa (accounts made through Netvisor only).",
            "Every stored key of the company is deleted.",
            "The company is RELEASED and its workflow ends; it comes back only by a rejoin with the "
            "account's keys.",
            "Invoices still waiting in Maventa stay with the account and go with it to the customer.",
        ),
        run=_release,
        danger=True,
    ),
    Action(
        slug="rejoin",
        title="Rejoin: link the released account again",
        confirm="Check the keys and rejoin",
        happens=(
            "Only for a RELEASED company that is back in Netvisor with the Maventa account it took with it.",
            "The keys are checked with Maventa first and must be the account of the business id the company "
            "left with; wrong keys change nothing.",
            "The company's workflow starts again, LINKED to that account, and the import starts as chosen "
            "here (off until the customer chooses, now, or from a date that is not in the future).",
        ),
        run=_rejoin,
        fields=(
            *KEY_FIELDS,
            Field(
                "mode",
                "Import of received invoices",
                choices=(
                    (ImportMode.OFF.value, "Off: the customer chooses later"),
                    (ImportMode.NOW.value, "From now on"),
                    (ImportMode.FROM_DATE.value, "From the date below"),
                ),
                default=ImportMode.OFF.value,
            ),
            Field("from_date", "Import from (YYYY-MM-DD, only with a date)", kind="date", required=False),
        ),
    ),
    Action(
        slug="retry",
        title="Retry the failed step",
        confirm="Retry",
        happens=(
            "The step that failed for good (see Needs support) runs again; fix its cause first.",
            "The answer says how it went; if it fails again the reason is shown.",
        ),
        run=_update(connection.retry),
    ),
    Action(
        slug="check-bank",
        title="Check the bank network now",
        confirm="Ask Maventa now",
        happens=(
            "Maventa is asked about the company's bank network (BANK profile) now instead of at the next "
            "scheduled check.",
            "If the banks have confirmed, the company becomes CONNECTED and Netvisor's invoicing addresses "
            "are updated.",
        ),
        run=_update(connection.check_bank_network_now),
    ),
)

BY_SLUG = {action.slug: action for action in ACTIONS}


def quarantine_retry(invoice_id: str) -> Action:
    """Support's retry of one quarantined received invoice."""

    async def run(asked: Asked) -> str:
        answer = await retry_quarantined_invoice(
            asked.request, asked.client, asked.company_id, invoice_id, asked.agent_id, asked.attempt
        )
        return (
            f"Invoice {answer.invoice_id} is {answer.status}: the inbox sweep imports it in its next round."
        )

    return Action(
        slug=f"quarantine/{invoice_id}/retry",
        title=f"Retry quarantined invoice {invoice_id}",
        confirm="Import it again",
        happens=(
            "The invoice is handed to the inbox sweep, which imports it into Netvisor through the same "
            "one-at-a-time path as every received invoice (never twice).",
            "Fix its cause first: if it still cannot be read or Netvisor rejects it again, it returns to "
            "quarantine with the new reason.",
        ),
        run=run,
    )


async def _billing(asked: Asked) -> str:
    month = asked.values.get("month", "").strip()
    status = await start_billing(
        asked.client, asked.request.app.state.settings, month, asked.now, asked.agent_id, "month"
    )
    report = status.report
    progress = "" if report is None else f" ({report.posted} companies posted, {report.failed} failed)"
    return f"Service billing of {status.month}: {status.status.value}{progress}."


def billing(default_month: str) -> Action:
    return Action(
        slug="billing",
        title="Run a month's service billing (R8)",
        confirm="Run the billing",
        happens=(
            "Every company's transactions of the month are priced and posted to Netvisor as a sales "
            "invoice's lines, once per company: companies already posted are skipped.",
            "A month still running in Finland cannot be billed; a billing already running is joined, not "
            "doubled, and one finished without failures only shows its result.",
        ),
        run=_billing,
        fields=(Field("month", "Month (YYYY-MM)", max_length=7, default=default_month),),
    )
