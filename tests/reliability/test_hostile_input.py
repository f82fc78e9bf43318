"""Hostile input against the running service: the API fuzzed from its own OpenAPI, hostile XML through the
real inbound and outbound paths, and every protected route refusing a wrong token.

The parser's own hardening (entities, expansion bombs, size limit) is tested in
tests/domain/test_parse_encodings_and_hostile_xml.py, the body limit in tests/starters/api/test_app.py and the
webhook's secret and unknown companies in tests/starters/api/test_webhooks.py; this file reuses their
documents.
"""

import asyncio
import base64
from typing import Any

import httpx
import pytest
import pytest_asyncio
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.core.result import Ok

from tests.domain.test_parse_encodings_and_hostile_xml import XXE, billion_laughs
from tests.outbound.invoices import RECIPIENT
from tests.reliability.stack import NETVISOR_TOKEN, SUPPORT_TOKEN, Company, Service, eventually

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

EXAMPLES_PER_OPERATION = 15
HOSTILE = {"external entity": XXE, "billion laughs": billion_laughs()}
UNPROTECTED = ("/healthz", "/openapi.json", "/v1/webhooks/")


def token_for(path: str) -> str:
    return SUPPORT_TOKEN if path.startswith(("/v1/support", "/codec")) else NETVISOR_TOKEN


def _server_errors(api_url: str) -> tuple[int, list[str]]:
    """Every operation of the API's OpenAPI called with generated input and a valid token: the number of calls
    made, and those answered with a 5xx."""
    schema = schemathesis.openapi.from_url(f"{api_url}/openapi.json")
    calls = 0
    failures: list[str] = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"the API's OpenAPI has an operation that cannot be read: {result}"
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: Any) -> None:
            nonlocal calls
            calls += 1
            response = case.call(headers={"Authorization": f"Bearer {token_for(case.path)}"}, timeout=30)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.path}: {response.status_code} {response.text[:200]}")

        call()
    return calls, failures


async def test_no_generated_input_makes_the_api_fail(service: Service) -> None:
    """Whatever a caller with a valid token sends, the answer is the API's own 2xx/4xx, never a 5xx."""
    calls, failures = await asyncio.to_thread(_server_errors, str(service.api.base_url).rstrip("/"))
    assert calls >= 10 * EXAMPLES_PER_OPERATION
    assert failures == []


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def company(service: Service) -> Company:
    [founded] = await service.found(1)
    return founded


async def test_every_protected_route_refuses_a_wrong_token(service: Service) -> None:
    spec = (await service.api.get("/openapi.json")).json()
    refused: list[tuple[str, str, int]] = []
    for path, operations in spec["paths"].items():
        if path.startswith(UNPROTECTED):
            continue
        concrete = (
            path.replace("{company_id}", "nobody").replace("{invoice_key}", "k").replace("{month}", "2020-01")
        )
        for method in operations:
            for headers in (
                {},
                {"Authorization": "Bearer wrong"},
                {"Authorization": f"Bearer {_other(path)}"},
            ):
                async with httpx.AsyncClient(base_url=str(service.api.base_url), timeout=30) as bare:
                    answer = await bare.request(method.upper(), concrete, headers=headers, json={})
                refused.append((method, path, answer.status_code))
    assert refused and {status for _, _, status in refused} == {401}, [r for r in refused if r[2] != 401]


def _other(path: str) -> str:
    """The other role's token: valid, but not for this route."""
    return NETVISOR_TOKEN if token_for(path) == SUPPORT_TOKEN else SUPPORT_TOKEN


async def test_a_received_document_with_an_external_entity_is_quarantined_with_its_reason(
    service: Service, company: Company
) -> None:
    """Through Maventa, the real sweep and the parser. (An expansion bomb cannot be sent this way: the
    Maventa sandbox refuses it on arrival, as a hardened operator would.)"""
    response = await service.maventa_http.post(
        f"/_sandbox/companies/{company.business_id}/received-invoices",
        json={"channel": "OPERATOR", "finvoice_base64": base64.b64encode(XXE).decode("ascii")},
    )
    assert response.status_code == 201, response.text
    [invoice_id] = [row["id"] for row in response.json()]

    async def quarantined() -> dict[str, Any] | None:
        listed = (await service.support.get(f"/v1/support/companies/{company.company_id}/quarantine")).json()
        return next((row for row in listed["invoices"] if row["id"] == invoice_id), None)

    row = await eventually(quarantined)
    assert row is not None, "the document was not quarantined"
    assert "cannot be read" in row["reason"] and "DOCTYPE" in row["reason"], row["reason"]
    assert invoice_id not in await service.in_netvisor(company)
    assert service.queue_states([invoice_id])[invoice_id] == "HANDLED"


@pytest.mark.parametrize("kind", HOSTILE)
async def test_a_hostile_sales_invoice_is_a_422_and_never_leaves(
    service: Service, company: Company, kind: str
) -> None:
    body = {"invoice_key": f"hostile-{kind.replace(' ', '-')}", "recipient": RECIPIENT}
    body["finvoice_xml"] = HOSTILE[kind].decode("ascii")

    answer = await service.api.post(f"/v1/companies/{company.company_id}/sales-invoices", json=body)

    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "invalid_invoice"
    assert await service.sent_at_maventa(company) == []
