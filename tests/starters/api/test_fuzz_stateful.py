"""The API fuzzed as sequences that follow its OpenAPI links (starters/api/links.py): a company created by
PUT, then the routes that name it; a sales invoice accepted, then its GET; a quarantine listed, then a retry.
The real worker, both sandboxes and the dev server are behind it, so the sequences reach real workflows.
Invariants as in test_fuzz.py: no 5xx and every error in the error shape; and the links must lead somewhere:
some route that names a company answers 200 for a company the sequence created."""

import asyncio
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case
from temporalio.testing import WorkflowEnvironment

from settings import Settings
from starters.api.app import create_app
from tests.sandbox.maventa import serving as maventa
from tests.starters.api.fuzz_checks import assert_error_shape, credentials
from tests.starters.test_connection_end_to_end import NETVISOR, Stack, company, eventually, running_stack

SEQUENCES = 25
STEPS = 6
STATEFUL = settings(
    max_examples=SEQUENCES,
    stateful_step_count=STEPS,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
FOUNDED = 2
COMPANY_VIEW = "GET /v1/companies/{company_id}/maventa"

schema = schemathesis.openapi.from_dict(create_app(Settings()).openapi())


def machine(api_url: str, api_settings: Settings, answers: Counter[tuple[str, int]]) -> Any:
    """The state machine schemathesis builds from the links, calling our API with each caller's credential."""

    class Sequences(schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: Case) -> None:
            """The caller's own credential, in place of any the generator wrote."""
            headers, cookies = credentials(case, api_settings)
            case.headers.update(headers)
            case.cookies = {**(case.cookies or {}), **cookies}

        def get_call_kwargs(self, case: Case) -> dict[str, Any]:
            return {"base_url": api_url}

        def validate_response(self, response: Any, case: Case, **kwargs: Any) -> None:
            operation = f"{case.method.upper()} {case.operation.path}"
            answers[(operation, response.status_code)] += 1
            assert response.status_code < 500, (operation, response.status_code, response.text[:500])
            if response.status_code >= 400:
                assert_error_shape(response)

    return Sequences


async def test_sequences_that_follow_the_links_answer_without_5xx_and_reach_created_companies(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    answers: Counter[tuple[str, int]] = Counter()
    async with running_stack(temporal_env, tmp_path) as stack:
        for _ in range(FOUNDED):
            await _founded(stack)
        sequences = machine(stack.api_url, stack.settings, answers)
        await asyncio.to_thread(sequences.run, settings=STATEFUL)
    print("".join(f"\n{count:4} x {status} {operation}" for (operation, status), count in answers.items()))
    assert answers[(COMPANY_VIEW, 200)] > 0, answers


async def _founded(stack: Stack) -> None:
    """A company Netvisor put that has an account at Maventa: the first ones support's list shows."""
    company_id = f"fuzz-{uuid.uuid4().hex[:8]}"
    accepted = await stack.api.put(
        f"/v1/companies/{company_id}", json=company(maventa.business_id()), headers=NETVISOR
    )
    assert accepted.status_code == 202, accepted.text

    async def receiving() -> bool:
        view = await stack.api.get(f"/v1/companies/{company_id}/maventa", headers=NETVISOR)
        return view.status_code == 200 and view.json()["state"] == "RECEIVING"

    await eventually(receiving)
