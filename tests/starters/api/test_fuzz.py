"""The whole API fuzzed from its own /openapi.json (schemathesis), over a real socket, with Temporal and the
store behind it: valid and invalid requests of every operation, each sent with the right credential and again
without. Invariants: no 5xx; every error in the error shape; without a valid credential nothing but a refusal
(only /healthz answers anyone). Bounded and seeded: FUZZ_EXAMPLES cases per operation, the same every run."""

import hashlib
import re
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, settings
from pydantic import SecretStr
from schemathesis import Case
from temporalio.testing import WorkflowEnvironment

from settings import Settings
from starters.api.app import create_app
from starters.api.support_session import COOKIE
from store.schema import migrate
from tests.starters.api.fuzz_checks import assert_error_shape, credentials

FUZZ_EXAMPLES = 6
SALES_INVOICE_EXAMPLES = 25
NETVISOR_TOKEN = "fuzz-netvisor-token"
SUPPORT_TOKEN = "fuzz-support-token"
WEBHOOK_SECRET = "fuzz-webhook-secret"
PUBLIC = {"GET /healthz"}
COMPANY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MONTH = re.compile(r"^\d{4}-\d{2}$")

schema = schemathesis.openapi.from_dict(create_app(Settings()).openapi())


def _settings(tmp_path: Path, temporal_env: WorkflowEnvironment) -> Settings:
    run = uuid.uuid4().hex[:8]
    return Settings(
        data_dir=tmp_path,
        temporal_address=temporal_env.client.service_client.config.target_host,
        temporal_task_queue=f"fuzz-{run}",
        inbound_workflow_id=f"fuzz-inbox-{run}",
        api_netvisor_token=SecretStr(NETVISOR_TOKEN),
        api_support_token=SecretStr(SUPPORT_TOKEN),
        api_webhook_secret=SecretStr(WEBHOOK_SECRET),
        maventa_base_url="http://127.0.0.1:1",
    )


@pytest.fixture(scope="module")
def fuzzed(temporal_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """The API in a thread of its own (schemathesis calls it synchronously); yields its settings."""
    api_settings = _settings(tmp_path_factory.mktemp("fuzz"), temporal_env)
    migrate(api_settings.store_url)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    api_settings.api_port = listener.getsockname()[1]
    config = uvicorn.Config(create_app(api_settings), log_config=None, access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "the API did not start"
        thread.join(0.01)
    yield api_settings
    server.should_exit = True
    thread.join(30)
    listener.close()


def _keep_clear_of_other_tests(case: Case) -> None:
    """Fuzzed ids that match their pattern get a prefix of their operation (one operation never meets the
    workflows another started), and a month that could really be billed becomes one still to come."""
    parameters = case.path_parameters or {}
    company_id = parameters.get("company_id")
    if isinstance(company_id, str) and COMPANY_ID.match(company_id):
        prefix = "fz" + hashlib.sha256(case.operation.label.encode()).hexdigest()[:6] + "-"
        parameters["company_id"] = (prefix + company_id)[:64]
    if isinstance(parameters.get("month"), str) and MONTH.match(parameters["month"]):
        parameters["month"] = "2999-12"


FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
SALES_INVOICES = r"/sales-invoices"


@schema.exclude(path_regex=SALES_INVOICES).parametrize()
@FUZZ
def test_the_api_under_fuzzing(case: Case, fuzzed: Settings) -> None:
    _fuzz(case, fuzzed)


@schema.include(path_regex=SALES_INVOICES).parametrize()
@settings(FUZZ, max_examples=SALES_INVOICE_EXAMPLES, phases=[Phase.generate])
def test_sales_invoices_under_fuzzing(case: Case, fuzzed: Settings) -> None:
    """Generated cases only: the boundary cases of the invoice's large schema are some 900 (40 s) on their
    own, and its fields' limits are checked by test_bad_input's declared-limit test."""
    _fuzz(case, fuzzed)


def _fuzz(case: Case, fuzzed: Settings) -> None:
    """One case with the right credential, then again without: the invariants of the module docstring."""
    base_url = f"http://127.0.0.1:{fuzzed.api_port}"
    _keep_clear_of_other_tests(case)
    operation = f"{case.method.upper()} {case.operation.path}"
    headers, cookies = credentials(case, fuzzed)
    parameters = case.path_parameters or {}
    if "secret" in parameters:
        guessed = parameters["secret"]
        parameters["secret"] = WEBHOOK_SECRET
    generated_cookies = {name: value for name, value in (case.cookies or {}).items() if name != COOKIE}
    with requests.Session() as session:
        answer = case.call(base_url=base_url, session=session, headers=headers, cookies=cookies)
    assert answer.status_code < 500, (answer.status_code, answer.text[:500])
    if answer.status_code >= 400:
        assert_error_shape(answer)
    if operation in PUBLIC:
        return
    if "secret" in parameters:
        parameters["secret"] = guessed if guessed != WEBHOOK_SECRET else "not-the-secret"
    case.cookies = generated_cookies  # the call above merged the session cookie into the case's own
    with requests.Session() as session:
        stranger = case.call(
            base_url=base_url, session=session, headers={"Authorization": "Bearer not-a-token"}
        )
    assert stranger.status_code in (401, 404, 405), (
        operation,
        parameters,
        stranger.status_code,
        stranger.text[:300],
    )
    assert_error_shape(stranger)
