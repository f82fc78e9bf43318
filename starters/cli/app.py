"""The commands of `maventa-support`; each is one call to the service's support API (§7)."""

import getpass
import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console

from starters.cli.api import OK, USAGE, CliFailure, SupportApi
from starters.cli.render import answer_line, companies_page, company_panel, quarantine_table

app = typer.Typer(
    name="maventa-support",
    help="Customer service's tool for companies' Maventa connections: status, lists and support actions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
quarantine_app = typer.Typer(help="Received invoices set aside because they could not be imported.")
app.add_typer(quarantine_app, name="quarantine")


def out() -> Console:
    """Standard output as the terminal is now (its COLUMNS read at each command, not once at import)."""
    return Console()


def err() -> Console:
    return Console(stderr=True)


CompanyIdArg = Annotated[str, typer.Argument(help="Netvisor's id of the company")]
PAGE = 500
"""The most companies the support API lists at once."""
PAGE_SIZE = 50
"""A page, as the console shows them."""


class Context:
    def __init__(self, api: SupportApi, as_json: bool) -> None:
        self.api = api
        self.as_json = as_json


@app.callback()
def main(
    ctx: typer.Context,
    api_url: Annotated[
        str, typer.Option(envvar="MAVENTA_API_URL", help="Base URL of the service's API")
    ] = "http://127.0.0.1:8700",
    token: Annotated[
        str | None,
        typer.Option(envvar="API_SUPPORT_TOKEN", help="The support token (make run prints the dev one)"),
    ] = None,
    support_user: Annotated[
        str | None,
        typer.Option(envvar="SUPPORT_USER", help="Your id, recorded with every action; default: login name"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON answer instead")] = False,
) -> None:
    if not token:
        raise typer.BadParameter(
            "set API_SUPPORT_TOKEN (or pass --token) to the support token", param_hint="--token"
        )
    user = support_user or getpass.getuser()
    ctx.obj = Context(SupportApi(api_url.rstrip("/"), token, user), as_json)


def _context(ctx: typer.Context) -> Context:
    context: Context = ctx.obj
    return context


def _call(ctx: typer.Context, method: str, path: str, **kwargs: Any) -> Any:
    try:
        _, body = _context(ctx).api.call(method, path, **kwargs)
    except CliFailure as failure:
        err().print(f"[bold red]Error:[/] {failure.message}", highlight=False)
        raise typer.Exit(failure.exit_code) from None
    return body


def _show(ctx: typer.Context, body: Any, render: Any) -> None:
    if _context(ctx).as_json:
        out().print_json(json.dumps(body))
    else:
        out().print(render(body))


def _action(ctx: typer.Context, path: str, body: dict[str, Any] | None = None) -> None:
    answer = _call(ctx, "POST", path, json=body)
    _show(ctx, answer, answer_line)


@app.command()
def status(ctx: typer.Context, company_id: CompanyIdArg) -> None:
    """A company's connection: state, why it needs support, networks, import, recent actions and who asked."""
    body = _call(ctx, "GET", f"/v1/support/companies/{company_id}")
    _show(ctx, body, company_panel)


@app.command("list")
def list_companies(
    ctx: typer.Context,
    find: Annotated[
        str | None,
        typer.Option(
            "--find",
            "-f",
            help="Netvisor company id, business id (1234567-8, 12345678, FI12345678), Maventa company id "
            "or e-invoice address (an OVT code names its business id)",
        ),
    ] = None,
    state: Annotated[
        str | None, typer.Option(help="Only this state, e.g. EXISTING_ACCOUNT, RECEIVING or NEEDS_SUPPORT")
    ] = None,
    needs_support: Annotated[
        bool, typer.Option("--needs-support", help="Only companies support should look at")
    ] = False,
    bank_network_overdue: Annotated[
        bool,
        typer.Option("--bank-network-overdue", help="Only companies whose banks have not confirmed in time"),
    ] = False,
    limit: Annotated[int, typer.Option(min=1, max=PAGE, help="Companies on a page")] = PAGE_SIZE,
    after: Annotated[
        str | None,
        typer.Option(help="The page after this company id (every page but the last says what to pass)"),
    ] = None,
) -> None:
    """Find companies the way the console does: by any identifier, state, needing support or an overdue
    bank network; a page at a time."""
    params: dict[str, Any] = {"limit": limit}
    for name, value in (("q", find), ("state", state.upper() if state else None), ("after", after)):
        if value:
            params[name] = value
    if needs_support:
        params["needs_support"] = "true"
    if bank_network_overdue:
        params["bank_network_overdue"] = "true"
    page = _call(ctx, "GET", "/v1/support/companies", params=params)
    _show(ctx, page, companies_page)


@app.command()
def decline(ctx: typer.Context, company_id: CompanyIdArg) -> None:
    """R13: the customer keeps their existing Maventa account outside Netvisor; nothing is allocated."""
    _action(ctx, f"/v1/support/companies/{company_id}/decline")


@app.command("send-only")
def send_only(
    ctx: typer.Context,
    company_id: CompanyIdArg,
    company_uuid: Annotated[
        str | None,
        typer.Option(help="The account's company UUID; the API key is then read from stdin or asked for"),
    ] = None,
) -> None:
    """R14: sending through Netvisor, receiving elsewhere. Give the account's keys unless they are linked."""
    body = None
    if company_uuid is not None:
        body = {"company_uuid": company_uuid, "user_api_key": _api_key()}
    _action(ctx, f"/v1/support/companies/{company_id}/send-only", body)


def _api_key() -> str:
    """From stdin when piped (scripts), else asked for without echo; never from the command line."""
    key = (
        sys.stdin.readline().strip() if not sys.stdin.isatty() else getpass.getpass("User API key: ").strip()
    )
    if not key:
        err().print("[bold red]Error:[/] no API key given (pipe it to stdin or type it when asked).")
        raise typer.Exit(USAGE)
    return key


@app.command()
def release(
    ctx: typer.Context,
    company_id: CompanyIdArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation")] = False,
) -> None:
    """R15: the company leaves Netvisor; its Maventa account goes to the customer. Cannot be undone."""
    if not yes and not typer.confirm(
        f"Release company {company_id}? Import stops, Netvisor's vendor link and the stored keys are "
        "removed; only `rejoin` with the account's keys brings the company back.",
        err=True,
    ):
        err().print("Nothing was done.")
        raise typer.Exit(OK)
    _action(ctx, f"/v1/support/companies/{company_id}/release")


@app.command()
def rejoin(
    ctx: typer.Context,
    company_id: CompanyIdArg,
    company_uuid: Annotated[
        str,
        typer.Option(help="The taken-over account's company UUID; the API key is read from stdin or asked"),
    ],
    import_mode: Annotated[
        str, typer.Option("--import", help="off (choose later), now, or from_date with --from-date")
    ] = "off",
    from_date: Annotated[str | None, typer.Option(help="YYYY-MM-DD, with --import from_date")] = None,
) -> None:
    """§3.2: a released company is back in Netvisor; its account is linked again, the import as chosen."""
    body: dict[str, str] = {"company_uuid": company_uuid, "user_api_key": _api_key(), "mode": import_mode}
    if from_date is not None:
        body["from_date"] = from_date
    _action(ctx, f"/v1/support/companies/{company_id}/rejoin", body)


@app.command()
def retry(ctx: typer.Context, company_id: CompanyIdArg) -> None:
    """Run the company's failed step again, once its cause is fixed."""
    _action(ctx, f"/v1/support/companies/{company_id}/retry")


@app.command("check-bank")
def check_bank(ctx: typer.Context, company_id: CompanyIdArg) -> None:
    """Ask Maventa about the company's bank network now (connects it if the banks have confirmed)."""
    _action(ctx, f"/v1/support/companies/{company_id}/bank-network/check")


@app.command()
def billing(
    ctx: typer.Context, month: Annotated[str, typer.Argument(help="YYYY-MM, a month that has ended")]
) -> None:
    """Run the service billing of a month now (a month billed cleanly already is only reported)."""
    body = _call(ctx, "POST", f"/v1/support/billing/{month}")
    _show(ctx, body, _billing_line)


def _billing_line(body: dict[str, Any]) -> str:
    asked = f", started by {body['requested_by']}" if body.get("requested_by") else ""
    return f"Billing {body['month']}: {body['status']} (workflow {body['workflow_id']}{asked})"


@quarantine_app.command("list")
def quarantine_list(ctx: typer.Context, company_id: CompanyIdArg) -> None:
    """A company's quarantined received invoices, with why each was set aside."""
    body = _call(ctx, "GET", f"/v1/support/companies/{company_id}/quarantine")
    _show(ctx, body, lambda b: quarantine_table(b["invoices"]))


@quarantine_app.command("retry")
def quarantine_retry(
    ctx: typer.Context,
    company_id: CompanyIdArg,
    invoice_id: Annotated[str, typer.Argument(help="Maventa's id")],
) -> None:
    """Import a quarantined invoice again once its cause is fixed; recorded with --support-user."""
    body = _call(ctx, "POST", f"/v1/support/companies/{company_id}/quarantine/{invoice_id}/retry")
    _show(ctx, body, lambda b: f"Invoice {b['invoice_id']}: {b['status']}, asked by {b['requested_by']}")
