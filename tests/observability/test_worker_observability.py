"""What an operator sees of a running worker: one /metrics endpoint with Temporal's and the service's series,
JSON log lines that name the company and workflow, and no secret in any line."""

import asyncio
import io
import json
import logging
import os
import re
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from prometheus_client import REGISTRY
from pydantic import SecretStr
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from bench.harness import free_port
from devstack.probes import worker_is_polling
from observability.redaction import setting_secrets
from settings import Settings
from store.companies import CompanyChanges, upsert_company
from store.database import Sessions, unit_of_work
from store.received_invoices import begin_import, mark_imported, quarantine
from store.schema import migrate
from store.sent_invoices import mark_uploaded, record_status, register_sent_invoice
from tests.clock import wall_clock
from tests.observability.observed_company import OBSERVE_ACTIVITY, ObservedCompany, ObservedCompanyWorkflow
from workers import worker as worker_module
from workers.client import connect_temporal
from workers.logs import configure_logging
from workers.main import run_worker
from workers.metrics import WorkerMetrics
from workers.registry import WORKFLOWS

COMPANY_ID = f"observed-{uuid.uuid4().hex[:8]}"
VENDOR_KEY = "vendor-key-7f3e9c1d5b"
NETVISOR_CUSTOMER_KEY = "customer-key-2a8d6f0e4c"
USER_TOKEN = "eyJhbGciOiJIUzI1NiJ9.user-token-5c9b"
USER_API_KEY = "user-api-key-0d4e8a2f6b"
PROVISIONED = 'maventa_provisioning_outcomes_total{outcome="account_created"}'


@activity.defn(name=OBSERVE_ACTIVITY)
async def observe_company(company: ObservedCompany) -> None:
    """Logs as activity code does: Temporal's logger, a module logger, a thread, and a careless error."""
    activity.logger.info("activity via the Temporal logger")
    plain = logging.getLogger("tests.observability.plain")
    plain.info("activity via a module logger")
    await asyncio.to_thread(plain.info, "activity in a thread")
    plain.warning(
        "Maventa said no to Authorization: Bearer %s with user_api_key=%s, vendor key %s",
        USER_TOKEN,
        USER_API_KEY,
        VENDOR_KEY,
    )


def _fill_store(sessions: Sessions) -> None:
    """Three connected companies, one whose bank network is overdue, one being provisioned (the workflow's),
    received invoices by channel and outcome, sales invoices by status."""
    now = wall_clock()
    with unit_of_work(sessions) as session:
        for n in range(3):
            upsert_company(session, f"connected-{n}", CompanyChanges(state="CONNECTED"))
        overdue = "Bank network overdue: requested 2025-01-02 10:00, not confirmed by the end of 2025-01-07"
        upsert_company(
            session,
            "waiting-bank",
            CompanyChanges(state="RECEIVING", needs_support=True, needs_support_reason=overdue),
        )
        upsert_company(session, COMPANY_ID, CompanyChanges(state="PROVISIONING"))
        for invoice_id, channel in (("bank-1", "BANK"), ("bank-2", "BANK"), ("scan-1", "SCAN")):
            begin_import(session, "connected-0", invoice_id, channel=channel, received_at=now)
            mark_imported(session, invoice_id, f"nv-{invoice_id}")
        begin_import(session, "connected-0", "scan-bad", channel="SCAN", received_at=now)
        quarantine(session, "scan-bad", "the image could not be read")
        for key, status in (("1001", "DELIVERED"), ("1002", "FAILED")):
            register_sent_invoice(session, "connected-1", key, str(uuid.uuid4()))
            mark_uploaded(session, "connected-1", key, f"maventa-{key}")
            record_status(session, "connected-1", key, status)


@dataclass(frozen=True)
class Observed:
    settings: Settings
    lines: list[dict[str, Any]]
    raw_log: str
    metrics: str
    provisioned_before: float


async def _until_polling(settings: Settings, running: asyncio.Task[None]) -> None:
    plain = await Client.connect(settings.temporal_address)
    for _ in range(100):
        if await worker_is_polling(plain, settings.temporal_task_queue, os.getpid()):
            return
        assert not running.done(), running.exception()
        await asyncio.sleep(0.1)
    pytest.fail("the worker never polled its task queue")


async def _scrape_after_completion(settings: Settings) -> str:
    """Like Prometheus, scrape again until the SDK has counted the completed workflow (it does so a moment
    after the client has the result)."""
    async with httpx.AsyncClient() as http:
        for _ in range(50):
            scraped = await http.get(f"http://127.0.0.1:{settings.metrics_port}/metrics")
            assert scraped.status_code == 200
            if "\ntemporal_workflow_completed{" in scraped.text:
                return scraped.text
            await asyncio.sleep(0.1)
    pytest.fail("the completed workflow never showed on /metrics")


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def observed(
    temporal_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Observed]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("observability"),
        temporal_address=temporal_env.client.service_client.config.target_host,
        temporal_task_queue=f"observability-{uuid.uuid4()}",
        inbound_workflow_id=f"inbox-observability-{uuid.uuid4()}",
        metrics_port=free_port(),
        maventa_base_url=f"http://127.0.0.1:{free_port()}",
        maventa_vendor_api_key=SecretStr(VENDOR_KEY),
        netvisor_customer_key=SecretStr(NETVISOR_CUSTOMER_KEY),
    )
    migrate(settings.store_url)
    sessions = Sessions.for_url(settings.store_url)
    _fill_store(sessions)
    sessions.dispose()

    stream = io.StringIO()
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    on_message = (workflow.logger.workflow_info_on_message, activity.logger.activity_info_on_message)
    configure_logging("INFO", secrets=setting_secrets(settings), stream=stream)
    provisioned_before = REGISTRY.get_sample_value(
        "maventa_provisioning_outcomes_total", {"outcome": "account_created"}
    )
    original_activities: Callable[..., list[Any]] = worker_module.activities_for
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(worker_module, "WORKFLOWS", [*WORKFLOWS, ObservedCompanyWorkflow])
        patch.setattr(
            worker_module, "activities_for", lambda deps: [*original_activities(deps), observe_company]
        )
        stop = asyncio.Event()
        running = asyncio.create_task(run_worker(settings, stop=stop, metrics=WorkerMetrics(settings)))
        try:
            await _until_polling(settings, running)
            client = await connect_temporal(settings)
            await client.execute_workflow(
                ObservedCompanyWorkflow.run,
                ObservedCompany(company_id=COMPANY_ID, business_id="1234567-8"),
                id=f"observed-{uuid.uuid4()}",
                task_queue=settings.temporal_task_queue,
            )
            metrics = await _scrape_after_completion(settings)
        finally:
            stop.set()
            await asyncio.wait_for(running, timeout=30)
            root.handlers[:] = handlers
            root.setLevel(level)
            workflow.logger.workflow_info_on_message, activity.logger.activity_info_on_message = on_message
    raw = stream.getvalue()
    yield Observed(
        settings=settings,
        lines=[json.loads(line) for line in raw.splitlines()],
        raw_log=raw,
        metrics=metrics,
        provisioned_before=provisioned_before or 0.0,
    )


def sample(metrics: str, series: str) -> float:
    """The value of `name{label="value",...}` as written (labels in exposition order), or of the first
    series of `name` whatever its labels."""
    labels = "" if "{" in series else r"(?:\{[^}]*\})?"
    match = re.search(rf"^{re.escape(series)}{labels} ([0-9.e+-]+)$", metrics, re.MULTILINE)
    assert match, f"{series} is not on /metrics"
    return float(match.group(1))


def test_one_endpoint_serves_temporal_runtime_series(observed: Observed) -> None:
    assert sample(observed.metrics, "temporal_workflow_completed") >= 1
    assert "temporal_worker_task_slots_available{" in observed.metrics
    assert "temporal_activity_schedule_to_start_latency_bucket{" in observed.metrics
    assert sample(observed.metrics, "process_resident_memory_bytes") > 0


def test_store_counts_are_served_as_maventa_series(observed: Observed) -> None:
    metrics = observed.metrics
    assert sample(metrics, "maventa_store_up") == 1
    assert sample(metrics, 'maventa_companies{state="CONNECTED"}') == 3
    assert sample(metrics, 'maventa_companies{state="RECEIVING"}') == 1
    assert sample(metrics, 'maventa_companies{state="ACTIVE"}') == 1, (
        "read at scrape time, after the workflow"
    )
    assert sample(metrics, "maventa_companies_needing_support") == 1
    assert sample(metrics, "maventa_bank_network_overdue_companies") == 1
    assert sample(metrics, 'maventa_invoices_imported_total{channel="BANK"}') == 2
    assert sample(metrics, 'maventa_invoices_imported_total{channel="SCAN"}') == 1
    assert sample(metrics, 'maventa_invoices_quarantined{channel="SCAN"}') == 1
    assert sample(metrics, 'maventa_sales_invoices{status="DELIVERED"}') == 1
    assert sample(metrics, 'maventa_sales_invoices{status="FAILED"}') == 1


def test_provisioning_outcome_is_counted_once_the_projection_moves(observed: Observed) -> None:
    assert sample(observed.metrics, PROVISIONED) == observed.provisioned_before + 1


def test_failed_maventa_calls_are_measured_by_endpoint_template(observed: Observed) -> None:
    # The worker subscribes Maventa's webhook at start; this Maventa does not answer.
    errors = [
        line for line in observed.metrics.splitlines() if line.startswith("maventa_upstream_errors_total{")
    ]
    assert any('upstream="maventa"' in line and 'status_class="transport"' in line for line in errors), errors
    assert 'endpoint="/oauth2/token"' in observed.metrics
    assert "maventa_upstream_request_duration_seconds_bucket{" in observed.metrics


def test_every_line_in_a_workflow_or_activity_names_the_company_and_the_workflow(observed: Observed) -> None:
    ours = [line for line in observed.lines if line.get("workflow_type") == ObservedCompanyWorkflow.__name__]
    messages = {line["message"] for line in ours}
    assert {
        "observing the company",
        "activity via the Temporal logger",
        "activity via a module logger",
        "activity in a thread",
    } <= messages, messages
    workflow_ids = {line["workflow_id"] for line in ours}
    assert len(workflow_ids) == 1 and workflow_ids.pop().startswith("observed-")
    assert {line["company_id"] for line in ours} == {COMPANY_ID}
    in_activities = [line for line in ours if "activity_type" in line]
    assert {line["activity_type"] for line in in_activities} == {OBSERVE_ACTIVITY}


def test_no_secret_reaches_a_log_line(observed: Observed) -> None:
    for secret in (VENDOR_KEY, NETVISOR_CUSTOMER_KEY, USER_TOKEN, USER_API_KEY):
        assert secret not in observed.raw_log
    careless = next(line for line in observed.lines if line["message"].startswith("Maventa said no"))
    assert "Bearer ***" in careless["message"] and "user_api_key=***" in careless["message"]
    assert careless["company_id"] == COMPANY_ID
