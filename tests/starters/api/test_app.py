"""The API skeleton as Netvisor, support and the Temporal UI see it: tokens, errors, health, limits, codec."""

import base64
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, Depends
from pydantic import BaseModel
from temporalio.testing import WorkflowEnvironment

from bench.harness import free_port
from settings import Settings
from starters.api.app import create_app
from starters.api.auth import netvisor_caller
from tests.starters.api.conftest import Serve

NETVISOR = {"Authorization": "Bearer test-netvisor-token"}
SUPPORT = {"Authorization": "Bearer test-support-token"}


class Modules(BaseModel):
    sales: bool
    purchases: bool


class CompanyChange(BaseModel):
    business_id: str
    modules: Modules


def _settings(tmp_path: Path, temporal_address: str) -> Settings:
    return Settings(
        data_dir=tmp_path,
        temporal_address=temporal_address,
        api_netvisor_token="test-netvisor-token",
        api_support_token="test-support-token",
        api_max_body_bytes=10_000,
    )


@pytest.fixture
def company_changes() -> list[CompanyChange]:
    return []


@pytest.fixture
async def api(
    tmp_path: Path, temporal_env: WorkflowEnvironment, company_changes: list[CompanyChange], serve: Serve
) -> AsyncIterator[str]:
    """The API on the session's dev server, plus a test-only Netvisor route that records what it got."""
    app = create_app(_settings(tmp_path, temporal_env.client.service_client.config.target_host))
    probe = APIRouter(dependencies=[Depends(netvisor_caller)])

    @probe.put("/test-only/companies/{company_id}", status_code=202)
    async def change_company(company_id: str, change: CompanyChange) -> dict[str, str]:
        company_changes.append(change)
        return {"company_id": company_id}

    app.include_router(probe)
    async with serve(app) as base_url:
        yield base_url


VALID_CHANGE = {"business_id": "0737546-2", "modules": {"sales": True, "purchases": False}}


async def test_netvisor_route_accepts_the_netvisor_token(
    api: str, company_changes: list[CompanyChange]
) -> None:
    async with httpx.AsyncClient(base_url=api) as http:
        answer = await http.put("/test-only/companies/42", json=VALID_CHANGE, headers=NETVISOR)
    assert answer.status_code == 202
    assert len(company_changes) == 1


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, SUPPORT, {"Authorization": "Basic dGVzdDp0ZXN0"}],
    ids=["missing", "wrong", "support-token-on-netvisor-route", "not-bearer"],
)
async def test_missing_or_wrong_token_is_401_and_nothing_happens(
    api: str, company_changes: list[CompanyChange], headers: dict[str, str]
) -> None:
    async with httpx.AsyncClient(base_url=api) as http:
        answer = await http.put("/test-only/companies/42", json=VALID_CHANGE, headers=headers)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert answer.json()["error"]["code"] == "unauthorized"
    assert "wrong" not in answer.text
    assert company_changes == []


async def test_validation_error_names_the_field_and_the_problem(
    api: str, company_changes: list[CompanyChange]
) -> None:
    change = {"business_id": "0737546-2", "modules": {"sales": True}}
    async with httpx.AsyncClient(base_url=api) as http:
        answer = await http.put("/test-only/companies/42", json=change, headers=NETVISOR)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "invalid_request"
    assert "modules.purchases" in error["message"]
    assert "required" in error["message"].lower()
    assert company_changes == []


async def test_unknown_path_and_method_answer_in_the_error_format(api: str) -> None:
    async with httpx.AsyncClient(base_url=api) as http:
        missing = await http.get("/v1/nowhere", headers=NETVISOR)
        wrong_method = await http.delete("/healthz")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"


async def test_oversized_body_is_413_whether_declared_or_streamed(
    api: str, company_changes: list[CompanyChange]
) -> None:
    big = json.dumps({**VALID_CHANGE, "padding": "x" * 20_000}).encode()

    async def streamed() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 4096):
            yield big[start : start + 4096]

    async with httpx.AsyncClient(base_url=api) as http:
        declared = await http.put("/test-only/companies/42", content=big, headers=NETVISOR)
        chunked = await http.put("/test-only/companies/42", content=streamed(), headers=NETVISOR)
    for answer in (declared, chunked):
        assert answer.status_code == 413
        assert answer.json()["error"]["code"] == "payload_too_large"
    assert company_changes == []


async def test_healthz_is_200_when_temporal_answers(api: str) -> None:
    async with httpx.AsyncClient(base_url=api) as http:
        answer = await http.get("/healthz")
    assert answer.status_code == 200
    assert answer.json()["status"] == "ok"


async def test_healthz_is_503_in_the_error_format_when_temporal_is_unreachable(
    tmp_path: Path, serve: Serve
) -> None:
    app = create_app(_settings(tmp_path, f"127.0.0.1:{free_port()}"))
    async with serve(app) as base_url, httpx.AsyncClient(base_url=base_url) as http:
        answer = await http.get("/healthz")
    assert answer.status_code == 503
    assert answer.json()["error"]["code"] == "temporal_unavailable"


async def test_openapi_lists_the_routes(api: str) -> None:
    async with httpx.AsyncClient(base_url=api) as http:
        answer = await http.get("/openapi.json")
    assert answer.status_code == 200
    assert {"/healthz", "/codec/encode", "/codec/decode"} <= set(answer.json()["paths"])


def _payloads(*documents: dict[str, object]) -> dict[str, list[dict[str, object]]]:
    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return {
        "payloads": [
            {"metadata": {"encoding": b64(b"json/plain")}, "data": b64(json.dumps(doc).encode())}
            for doc in documents
        ]
    }


async def test_codec_round_trip_behind_the_support_token(api: str) -> None:
    original = _payloads({"company_id": "42"}, {"invoice": "INV-1"})
    async with httpx.AsyncClient(base_url=api) as http:
        refused = await http.post("/codec/decode", json=original, headers=NETVISOR)
        encoded = await http.post("/codec/encode", json=original, headers=SUPPORT)
        decoded = await http.post("/codec/decode", json=encoded.json(), headers=SUPPORT)
    assert refused.status_code == 401
    assert encoded.status_code == 200
    assert "42" not in base64.b64decode(encoded.json()["payloads"][0]["data"]).decode("latin-1")
    assert decoded.json() == original


async def test_codec_refuses_a_body_that_is_not_payloads(api: str) -> None:
    async with httpx.AsyncClient(base_url=api) as http:
        answer = await http.post("/codec/decode", json={"payloads": [{"data": 7}]}, headers=SUPPORT)
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_request"
    assert "payloads.0.data" in answer.json()["error"]["message"]


async def test_temporal_ui_origin_may_call_the_codec(api: str) -> None:
    preflight = {
        "Origin": "http://localhost:8233",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type,x-namespace",
    }
    async with httpx.AsyncClient(base_url=api) as http:
        allowed = await http.options("/codec/decode", headers=preflight)
        foreign = await http.options("/codec/decode", headers={**preflight, "Origin": "http://evil.example"})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "http://localhost:8233"
    assert "access-control-allow-origin" not in foreign.headers


async def test_access_log_has_request_id_and_route_but_no_token(
    api: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="starters.api.access")
    async with httpx.AsyncClient(base_url=api) as http:
        answer = await http.put(
            "/test-only/companies/42", json=VALID_CHANGE, headers={**NETVISOR, "X-Request-ID": "req-123"}
        )
    assert answer.headers["x-request-id"] == "req-123"
    [line] = [record for record in caplog.records if record.__dict__.get("request_id") == "req-123"]
    assert line.__dict__["path"] == "/test-only/companies/{company_id}"
    assert line.__dict__["status"] == 202
    assert all("test-netvisor-token" not in str(vars(record)) for record in caplog.records)
