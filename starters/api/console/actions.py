"""The support actions an agent takes from a company's page, each with what it will do (the confirmation page
says so before anything happens) and the use case it runs: the very functions the support API's routes call,
so the console refuses, answers and records exactly as the API does.
"""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from fastapi import Request
from pydantic import SecretStr, ValidationError
from temporalio.client import Client

from starters import connection, linking
from starters.api.companies import answering_connection_errors
from starters.api.errors import ApiError
from starters.api.maventa_account import ApiKeysBody, SendOnlyBody, linking_for
from starters.api.received_invoices import retry_quarantined_invoice
from starters.api.support import act
from starters.api.transactions import start_billing
from workflows.connection_models import ActionAnswer


@dataclass(frozen=True)
class Field:
    """A value the agent types on the confirmation page."""

    name: str
    label: str
    kind: str = "text"
    required: bool = True
    max_length: int = 200
    default: str = ""


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
    try:
        keys = ApiKeysBody(
            company_uuid=_given(asked.values, "company_uuid") or "",
            user_api_key=SecretStr(asked.values.get("user_api_key", "")),
            requested_by=asked.agent_id,
        )
    except ValidationError as error:
        raise _invalid(error) from None
    with answering_connection_errors(asked.company_id):
        answer = await linking.link_with_keys(
            linking_for(asked.request, asked.client),
            asked.company_id,
            asked.agent_id,
            keys.offered(),
            asked.attempt,
        )
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
        answer = await retry_quarantined_invoice(asked.request, asked.company_id, invoice_id)
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
    status = await start_billing(asked.client, asked.request.app.state.settings, month, asked.now, "month")
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
