"""What every fuzzed answer must be, and the credential each operation's caller holds: shared by the
operation-by-operation fuzz (test_fuzz.py) and the stateful one (test_fuzz_stateful.py)."""

from typing import Any

from schemathesis import Case

from settings import Settings
from starters.api.support_session import COOKIE, session_value


def credentials(case: Case, api_settings: Settings) -> tuple[dict[str, str], dict[str, str]]:
    """Headers and cookies that authenticate this operation's caller."""
    schemes = {
        name for requirement in case.operation.definition.raw.get("security", []) for name in requirement
    }
    if "netvisorToken" in schemes:
        return {"Authorization": f"Bearer {api_settings.api_netvisor_token.get_secret_value()}"}, {}
    if "supportToken" in schemes:
        return {"Authorization": f"Bearer {api_settings.api_support_token.get_secret_value()}"}, {}
    if "supportSession" in schemes:
        return {}, {COOKIE: session_value(api_settings)}
    return {}, {}


def assert_error_shape(answer: Any) -> None:
    body = answer.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    assert isinstance(body["error"]["details"], list)
