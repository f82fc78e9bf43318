"""Bad input is a 4xx in the error shape naming the problem, never a 500 (docs/security.md), and every
string a caller may send has its length limit declared in /openapi.json."""

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from temporalio.testing import WorkflowEnvironment

from security.codec import ENCODING, KEY_ID_METADATA, EncryptionCodec
from settings import Settings
from starters.api.app import create_app
from starters.api.support_session import COOKIE
from tests.starters.api.direct import call

NETVISOR = {"Authorization": "Bearer bad-input-netvisor-token"}
SUPPORT = {"Authorization": "Bearer bad-input-support-token"}
WEBHOOK = "/v1/webhooks/maventa/bad-input-webhook-secret"


@pytest.fixture
def settings(tmp_path: Path, temporal_env: WorkflowEnvironment) -> Settings:
    """Temporal answers, so what is refused is refused for the input alone."""
    return Settings(
        data_dir=tmp_path,
        temporal_address=temporal_env.client.service_client.config.target_host,
        api_netvisor_token=SecretStr("bad-input-netvisor-token"),
        api_support_token=SecretStr("bad-input-support-token"),
        api_webhook_secret=SecretStr("bad-input-webhook-secret"),
    )


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


def _error(answer: Any, status: int) -> dict[str, Any]:
    assert answer.status == status, answer.body[:300]
    error: dict[str, Any] = answer.json()["error"]
    assert set(error) == {"code", "message", "details"}
    return error


@pytest.mark.parametrize(
    "cookie",
    [
        "²²²²²²²²²².abc",
        "4102444800." + "é" * 64,
        "9" * 400 + "." + "0" * 64,
        "4102444800",
        ".",
        "\x7f",
    ],
    ids=["unicode-digits", "non-ascii-signature", "huge-expiry", "no-signature", "dot", "control"],
)
async def test_a_malformed_session_cookie_is_no_session(app: FastAPI, cookie: str) -> None:
    header = {"Cookie": f"{COOKIE}={cookie}".encode().decode("latin-1")}
    answer = await call(app, "POST", "/codec/ui/decode", headers=header, body=b'{"payloads": []}')
    assert _error(answer, 401)["code"] == "unauthorized"


async def test_deeply_nested_webhook_json_is_400(app: FastAPI) -> None:
    nested = b"[" * 30_000 + b"]" * 30_000
    answer = await call(app, "POST", WEBHOOK, body=nested)
    not_json = await call(app, "POST", WEBHOOK, body=b"not json")
    assert _error(answer, 400)["code"] == _error(not_json, 400)["code"] == "invalid_notification"


async def test_deeply_nested_json_on_a_route_with_a_model_is_400(app: FastAPI) -> None:
    nested = b"[" * 4_000 + b"]" * 4_000
    answer = await call(app, "PUT", "/v1/companies/c-1", headers=NETVISOR, body=nested)
    assert _error(answer, 400)["code"] == "bad_request"


@pytest.mark.parametrize("size", [0, 1, 11, 12, 27])
async def test_decoding_a_payload_shorter_than_nonce_and_tag_is_422(
    app: FastAPI, settings: Settings, size: int
) -> None:
    key_id = EncryptionCodec.from_settings(settings).key_id.encode()
    payload = {
        "metadata": {
            "encoding": base64.b64encode(ENCODING).decode(),
            KEY_ID_METADATA: base64.b64encode(key_id).decode(),
        },
        "data": base64.b64encode(b"\x01" * size).decode(),
    }
    body = json.dumps({"payloads": [payload]}).encode()
    answer = await call(app, "POST", "/codec/decode", headers=SUPPORT, body=body)
    assert _error(answer, 422)["code"] == "invalid_payloads"


async def test_a_long_business_id_is_refused_by_its_declared_limit_and_not_echoed(app: FastAPI) -> None:
    company = {
        "business_id": "1234567-8" * 110,
        "name": "Oy Example Ab",
        "email": "info@example.fi",
        "address": {"street": "Katu 1", "post_code": "00100", "city": "Helsinki"},
        "modules": {"sales": True, "purchases": True},
    }
    answer = await call(app, "PUT", "/v1/companies/c-1", headers=NETVISOR, body=json.dumps(company).encode())
    error = _error(answer, 422)
    assert error["details"] == ["business_id (body): String should have at most 20 characters"]
    assert "1234567-81234567-8" not in answer.body.decode()


async def test_a_100_kb_field_is_refused_before_it_is_read(app: FastAPI) -> None:
    company = {"business_id": "1" * 100_000}
    answer = await call(app, "PUT", "/v1/companies/c-1", headers=NETVISOR, body=json.dumps(company).encode())
    assert _error(answer, 413)["code"] == "payload_too_large"
    # Refused by its length; the bytes are only dropped (under 1 MiB), to keep the connection.
    assert (answer.body_bytes_taken, "connection" in answer.headers) == (len(json.dumps(company)), False)
    assert b"1" * 100 not in answer.body


async def test_an_idempotency_key_longer_than_allowed_is_422(app: FastAPI) -> None:
    headers = {**NETVISOR, "Idempotency-Key": "k" * 101}
    answer = await call(app, "POST", "/v1/companies/c-1/maventa/connection", headers=headers, body=b"{}")
    assert "idempotency-key (header)" in _error(answer, 422)["details"][0]


def _unbounded_strings(schema: dict[str, Any], components: dict[str, Any], where: str) -> list[str]:
    """Strings (and lists) without a declared limit anywhere inside a request's schema."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return _unbounded_strings(components[name], components, name)
    found = []
    alternatives = [*schema.get("anyOf", []), *schema.get("oneOf", []), *schema.get("allOf", [])]
    numeric = any(alternative.get("type") == "number" for alternative in alternatives)
    decimal = numeric and {"type": "string"} in alternatives
    for alternative in alternatives:
        if not (decimal and alternative == {"type": "string"}):  # bounded by the model's max_digits
            found += _unbounded_strings(alternative, components, where)
    kind = schema.get("type")
    bounded = {"maxLength", "enum", "const"} & set(schema) or schema.get("format") in ("date", "date-time")
    if kind == "string" and not bounded:
        found.append(where)
    if kind == "array" and "maxItems" not in schema:
        found.append(where)
    for name, inner in schema.get("properties", {}).items():
        found += _unbounded_strings(inner, components, f"{where}.{name}")
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            found += _unbounded_strings(schema[key], components, f"{where}[]")
    return found


def test_every_string_a_caller_sends_has_a_declared_length_limit(app: FastAPI) -> None:
    document = app.openapi()
    components = document["components"]["schemas"]
    unbounded = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            for parameter in operation.get("parameters", []):
                where = f"{method} {path} {parameter['in']} {parameter['name']}"
                unbounded += _unbounded_strings(parameter["schema"], components, where)
            for content in operation.get("requestBody", {}).get("content", {}).values():
                unbounded += _unbounded_strings(content["schema"], components, f"{method} {path} body")
    assert unbounded == []
