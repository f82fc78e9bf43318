"""The support console's pages under /support/: sign in, find a company, one company's page, and every support
action behind a confirmation page. Server-rendered HTML and plain forms; no script.

Every page but sign-in needs the support session (starters/api/console/session.py): without it a page sends
the browser to sign in, and a form is refused before its body is read. Every form that changes anything
carries the session's CSRF token. Refusals show the service's own reason, as the support API words it.
"""

import re
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData
from starlette.formparsers import MultiPartException

from domain.banking_days import HELSINKI
from settings import Settings
from starters.api.auth import same_secret
from starters.api.clock import Now
from starters.api.console import session
from starters.api.console.actions import ACTIONS, BY_SLUG, Action, Asked, billing, quarantine_retry
from starters.api.console.session import Agent
from starters.api.console.views import company_view
from starters.api.errors import ApiError
from starters.api.store import store_sessions
from starters.api.support import support_status
from starters.api.support_session import SESSION_SECONDS
from starters.company_search import STATES, CompanyQuery, find_companies
from store.ledger import billing_month

router = APIRouter(prefix="/support", include_in_schema=False)

HERE = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=HERE / "templates")
STYLESHEET = (HERE / "static" / "console.css").read_bytes()
COMPANY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
INVOICE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
ATTEMPT = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
SHOWING = [
    ("", "Every company"),
    ("needs_support", "Needs support"),
    ("bank_network_overdue", "Bank network overdue"),
    *[(state, f"State {state}") for state in STATES],
]
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}
"""No script, no framing (a confirmation page cannot be clicked through from another site), nothing cached."""


def moment(value: datetime | None) -> str:
    """A time as Finnish customer service reads it: Helsinki time to the minute."""
    return "" if value is None else value.astimezone(HELSINKI).strftime("%Y-%m-%d %H:%M")


TEMPLATES.env.filters["moment"] = moment


def _page(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    agent: Agent | None,
    status_code: int = 200,
) -> HTMLResponse:
    """A page of the console: the agent, their forms' CSRF token and a message left by the last action."""
    settings: Settings = request.app.state.settings
    flash = session.read_flash(request) if agent else None
    common = {"agent": agent.agent_id if agent else None, "csrf": agent.csrf(settings) if agent else ""}
    response = TEMPLATES.TemplateResponse(
        request, template, {**common, "flash": flash, **context}, status_code=status_code, headers=HEADERS
    )
    if flash is not None:
        session.clear_flash(response)
    return response


def _problem(
    request: Request, agent: Agent | None, heading: str, message: str, status_code: int, back: str = ""
) -> HTMLResponse:
    return _page(
        request, "problem.html", {"heading": heading, "message": message, "back": back}, agent, status_code
    )


def _to_sign_in(request: Request) -> RedirectResponse:
    target = request.url.path if request.method == "GET" else "/support/"
    if request.method == "GET" and request.url.query:
        target += "?" + request.url.query
    return RedirectResponse("/support/login?" + urlencode({"next": target}), status_code=303)


def _safe_next(value: str | None) -> str:
    """Only a page of this console: never another site (an open redirect)."""
    if value and value.startswith("/support/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/support/"


async def _form(request: Request) -> FormData | None:
    try:
        return await request.form(max_files=0, max_fields=10, max_part_size=4096)
    except (MultiPartException, ValueError):
        return None


def _text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) else None


@router.get("/static/console.css")
async def stylesheet() -> Response:
    return Response(STYLESHEET, media_type="text/css", headers={"Cache-Control": "max-age=3600"})


def _sign_in_page(
    request: Request,
    target: str,
    status_code: int = 200,
    problem: str | None = None,
    agent_given: str = "",
    signed_out: bool = False,
) -> HTMLResponse:
    token, new = session.login_token(request)
    context = {
        "login_csrf": token,
        "next": target,
        "problem": problem,
        "agent_given": agent_given,
        "signed_out": signed_out,
        "hours": SESSION_SECONDS // 3600,
    }
    page = _page(request, "login.html", context, None, status_code)
    if new:
        session.keep_login_token(page, request.app.state.settings, token)
    return page


@router.get("/login")
async def sign_in_page(request: Request, next: str | None = None, signed_out: bool = False) -> HTMLResponse:
    return _sign_in_page(request, _safe_next(next), signed_out=signed_out)


@router.post("/login")
async def sign_in(request: Request) -> Response:
    """Check the support token and the agent's id; start the session for the console and the Temporal UI."""
    settings: Settings = request.app.state.settings
    form = await _form(request)
    if form is None or not session.login_token_is_valid(request, _text(form, "csrf")):
        problem = "The sign-in form was out of date (its CSRF token was missing or wrong). Sign in again."
        return _sign_in_page(request, "/support/", 403, problem)
    target = _safe_next(_text(form, "next"))
    agent_id = (_text(form, "agent") or "").strip()
    if not session.AGENT_PATTERN.match(agent_id):
        problem = "Give your agent id (1-200 characters, no control characters); it is recorded as who asked."
        return _sign_in_page(request, target, 401, problem, agent_id)
    if not same_secret(_text(form, "token") or "", settings.api_support_token):
        return _sign_in_page(request, target, 401, "That is not the support token.", agent_id)
    response = RedirectResponse(target, status_code=303)
    session.start(response, settings, agent_id)
    return response


@router.post("/logout")
async def sign_out(request: Request) -> Response:
    agent = session.signed_in(request)
    if agent is None:
        return RedirectResponse("/support/login", status_code=303)
    form = await _form(request)
    if form is None or not session.csrf_is_valid(request, agent, _text(form, "csrf")):
        return _csrf_refused(request, agent)
    response = RedirectResponse("/support/login?signed_out=true", status_code=303)
    session.end(response)
    return response


def _csrf_refused(request: Request, agent: Agent) -> HTMLResponse:
    return _problem(
        request,
        agent,
        "Not done",
        "This form did not come from this console's current session (its CSRF token was missing or wrong), "
        "so nothing was done. Go back, reload the page and try again.",
        403,
    )


@router.get("/")
async def search(
    request: Request,
    q: Annotated[str | None, Query(max_length=100)] = None,
    show: Annotated[str, Query(max_length=32)] = "",
    after: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    agent = session.signed_in(request)
    if agent is None:
        return _to_sign_in(request)
    context: dict[str, Any] = {
        "q": q or "",
        "show": show,
        "after": after,
        "showing": SHOWING,
        "companies": None,
        "next_page": None,
        "problem": None,
    }
    if show not in {value for value, _ in SHOWING}:
        context["problem"] = f"Unknown choice {show!r}: pick one of the list."
        return _page(request, "search.html", context, agent, 422)
    if q is None and not show and after is None:
        return _page(request, "search.html", context, agent)
    query = CompanyQuery(
        text=q,
        state=show if show in STATES else None,
        needs_support=True if show == "needs_support" else None,
        bank_network_overdue=show == "bank_network_overdue",
        after=after,
    )
    found = await find_companies(store_sessions(request), query)
    context["companies"] = found.companies
    if found.next_after is not None:
        context["next_page"] = "/support/?" + urlencode(
            {"q": q or "", "show": show, "after": found.next_after}
        )
    return _page(request, "search.html", context, agent)


async def _client(request: Request) -> Any:
    return await request.app.state.temporal.client()


@router.get("/companies/{company_id}")
async def company(request: Request, company_id: str, now: Now) -> Response:
    agent = session.signed_in(request)
    if agent is None:
        return _to_sign_in(request)
    if not COMPANY_ID.match(company_id):
        return _problem(request, agent, "No such company", "That is not a Netvisor company id.", 404)
    try:
        client = await _client(request)
        context = await company_view(request, client, company_id, now)
    except ApiError as error:
        return _problem(request, agent, "Cannot show the company", error.message, error.status)
    return _page(request, "company.html", {**context, "actions": ACTIONS}, agent)


def _company_action(company_id: str, slug: str, invoice_id: str | None = None) -> Action | None:
    if not COMPANY_ID.match(company_id):
        return None
    if invoice_id is not None:
        return quarantine_retry(invoice_id) if INVOICE_ID.match(invoice_id) else None
    return BY_SLUG.get(slug)


def _confirmation(
    request: Request,
    agent: Agent,
    action: Action,
    subject: str,
    back: str,
    target: str,
    refusal: ApiError | None = None,
    given: Mapping[str, str] | None = None,
) -> HTMLResponse:
    context = {
        "action": action,
        "subject": subject,
        "back": back,
        "target": target,
        "attempt": secrets.token_urlsafe(24),
        "refusal": refusal,
        "given": {k: v for k, v in (given or {}).items() if k != "user_api_key"},
    }
    return _page(request, "confirm.html", context, agent, refusal.status if refusal else 200)


async def _subject(request: Request, company_id: str) -> str:
    """The company as the agent knows it: name, business id and state (its id alone if it cannot be read)."""
    try:
        status = await support_status(await _client(request), company_id)
    except ApiError:
        return f"Company {company_id}"
    if status.account is not None:
        account = status.account
        return f"{account.name} ({account.business_id}), company {company_id}, now {account.state}"
    return f"Company {company_id}, released"


async def _confirm_page(request: Request, company_id: str, action: Action | None) -> Response:
    agent = session.signed_in(request)
    if agent is None:
        return _to_sign_in(request)
    if action is None:
        return _problem(request, agent, "No such action", "The console has no such action.", 404)
    back = f"/support/companies/{company_id}"
    subject = await _subject(request, company_id)
    return _confirmation(request, agent, action, subject, back, f"{back}/{action.slug}")


async def _confirmed(request: Request, company_id: str, action: Action | None, now: datetime) -> Response:
    """Run a confirmed action: session first, then the body, then its CSRF token; then the use case."""
    agent = session.signed_in(request)
    if agent is None:
        return _to_sign_in(request)
    form = await _form(request)
    if form is None or not session.csrf_is_valid(request, agent, _text(form, "csrf")):
        return _csrf_refused(request, agent)
    if action is None:
        return _problem(request, agent, "No such action", "The console has no such action.", 404)
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    attempt = values.get("attempt", "")
    back = f"/support/companies/{company_id}" if company_id else "/support/"
    subject = await _subject(request, company_id) if company_id else "Every company"
    target = f"{back}/{action.slug}" if company_id else "/support/billing"
    try:
        client = await _client(request)
        told = await action.run(
            Asked(
                request=request,
                client=client,
                company_id=company_id,
                agent_id=agent.agent_id,
                attempt=attempt if ATTEMPT.match(attempt) else secrets.token_urlsafe(24),
                values=values,
                now=now,
            )
        )
    except ApiError as refusal:
        return _confirmation(request, agent, action, subject, back, target, refusal, values)
    response = RedirectResponse(back, status_code=303)
    session.flash(response, request.app.state.settings, "done", f"{action.title}: {told}")
    return response


@router.get("/companies/{company_id}/quarantine/{invoice_id}/retry")
async def confirm_quarantine_retry(request: Request, company_id: str, invoice_id: str) -> Response:
    return await _confirm_page(request, company_id, _company_action(company_id, "", invoice_id))


@router.post("/companies/{company_id}/quarantine/{invoice_id}/retry")
async def quarantine_retried(request: Request, company_id: str, invoice_id: str, now: Now) -> Response:
    return await _confirmed(request, company_id, _company_action(company_id, "", invoice_id), now)


@router.get("/companies/{company_id}/{slug}")
async def confirm_action(request: Request, company_id: str, slug: str) -> Response:
    return await _confirm_page(request, company_id, _company_action(company_id, slug))


@router.post("/companies/{company_id}/{slug}")
async def action_confirmed(request: Request, company_id: str, slug: str, now: Now) -> Response:
    return await _confirmed(request, company_id, _company_action(company_id, slug), now)


def _last_month(now: datetime) -> str:
    first = datetime.strptime(billing_month(now) + "-01", "%Y-%m-%d")
    return (first - timedelta(days=1)).strftime("%Y-%m")


@router.get("/billing")
async def confirm_billing(request: Request, now: Now) -> Response:
    agent = session.signed_in(request)
    if agent is None:
        return _to_sign_in(request)
    action = billing(_last_month(now))
    return _confirmation(request, agent, action, "Every company", "/support/", "/support/billing")


@router.post("/billing")
async def billing_confirmed(request: Request, now: Now) -> Response:
    return await _confirmed(request, "", billing(_last_month(now)), now)
