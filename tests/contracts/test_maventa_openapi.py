"""Maventa's OpenAPI in the project, and the checks built on it: they catch what leaves the contract."""

import hashlib
import json

import httpx
import pytest

from clients.maventa_operations import ALL_OPERATIONS
from contracts.maventa_openapi import SPEC_FILE, Call, maventa_contract

CONTRACT_DIR = SPEC_FILE.parent
BEARER = {"authorization": "Bearer t", "accept": "application/json"}
JSON = {**BEARER, "content-type": "application/json"}


def _published_digest(name: str) -> str:
    source = (CONTRACT_DIR / "SOURCE.md").read_text(encoding="utf-8")
    row = next(line for line in source.splitlines() if line.startswith(f"| `{name}`"))
    return row.rsplit("`", 2)[-2]


@pytest.mark.parametrize("name", ["maventa-peppol.yaml", "maventa-peppol.json"])
def test_the_copies_are_the_published_files(name: str) -> None:
    digest = hashlib.sha256((CONTRACT_DIR / name).read_bytes()).hexdigest()
    assert digest == _published_digest(name)


def test_the_openapi_3_conversion_keeps_what_the_service_relies_on_from_the_swagger_original() -> None:
    """Scopes and required parameters of every operation the client calls, in both documents."""
    swagger = json.loads((CONTRACT_DIR / "maventa-peppol.json").read_text(encoding="utf-8"))
    contract = maventa_contract()
    for used in ALL_OPERATIONS:
        original = swagger["paths"][used.path][used.method.lower()]
        converted = contract.find(used.method, used.path.replace("{id}", "x").replace("{file_id}", "y"))
        assert converted is not None and converted.path == used.path
        scopes = {
            s for requirement in original.get("security") or [] for s in requirement.get("company_auth", [])
        }
        assert converted.scopes == scopes, used.name
        required_query = {p["name"] for p in original.get("parameters", []) if p["in"] == "query"}
        assert converted.query == required_query, used.name


def test_aliases_expand_as_the_token_endpoint_describes() -> None:
    contract = maventa_contract()
    assert contract.granted("global company") >= {"company:read", "company:write", "document:send", "lookup"}
    assert "invoice:receive" in contract.granted("eui")
    assert not {s for s in contract.granted("eui") if s.startswith("partner:")}


def test_a_company_token_lacks_the_partner_scopes() -> None:
    contract = maventa_contract()
    received = contract.find("GET", "/v1/partner/invoice_events/received")
    assert received is not None
    assert contract.missing_scopes(received, "eui") == {"partner:invoice_delivery_actions"}
    assert contract.missing_scopes(received, "partner:invoice_delivery_actions") == set()


@pytest.mark.parametrize(
    ("call", "problem"),
    [
        (Call("GET", "http://m/v1/partner/lookups/companies?country=FI", BEARER), "Missing required query"),
        (Call("GET", "http://m/v1/invoices?direction=SIDEWAYS", BEARER), "'SIDEWAYS' is not one of"),
        (Call("GET", "http://m/v1/invoices?mine=1", BEARER), "query parameter 'mine'"),
        (Call("GET", "http://m/v1/invoices", {}), "Security"),
        (Call("GET", "http://m/v1/invoice/abc", BEARER), "no such operation"),
        (
            Call(
                "POST", "http://m/v1/company/profiles", JSON, b'{"network": "PEPPOL", "profile_version": 30}'
            ),
            "30 is not of type 'string'",
        ),
        (
            Call(
                "POST",
                "http://m/v1/company/authorization",
                JSON,
                b'{"auth_email": "a@b.c", "locale": "FI", "options": {"kyc": "done"}}',
            ),
            "is not of type 'string'",
        ),
        (Call("POST", "http://m/v1/company/authorization", JSON, b'{"auth_email": "a@b.c"}'), "'locale'"),
    ],
)
def test_requests_off_the_contract_are_named(call: Call, problem: str) -> None:
    problems = maventa_contract().request_problems(call)
    assert any(problem in p for p in problems), problems


def test_a_form_field_the_operation_does_not_have_is_named() -> None:
    fields = {
        "vendor_api_key": "v",
        "user_api_key": "u",
        "name": "Yritys Oy",
        "bid": "1234567-8",
        "no_vat": "true",
        "address1": "Katu 1",
        "post_code": "00100",
        "post_office": "Helsinki",
        "city": "Helsinki",
        "country": "FI",
        "email": "a@b.c",
    }
    valid = httpx.Request("POST", "http://m/v1/companies", files={k: (None, v) for k, v in fields.items()})
    extra = httpx.Request(
        "POST", "http://m/v1/companies", files={k: (None, v) for k, v in (fields | {"vat": "x"}).items()}
    )
    contract = maventa_contract()
    assert contract.request_problems(Call("POST", str(valid.url), dict(valid.headers), valid.read())) == []
    problems = contract.request_problems(Call("POST", str(extra.url), dict(extra.headers), extra.read()))
    assert problems == ["POST /v1/companies: form field 'vat' is not in the operation"]


def _answer(method: str, url: str, status: int, body: object) -> Call:
    return Call(
        method,
        url,
        BEARER,
        status=status,
        response_headers={"content-type": "application/json"},
        response_body=json.dumps(body).encode(),
    )


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        (
            _answer("GET", "http://m/v1/company/profiles", 200, [{"id": "p", "profile_version": 1}]),
            "type 'string'",
        ),
        (_answer("GET", "http://m/v1/company/profiles", 200, [{"id": "p", "endpoint_id": None}]), "None"),
        (_answer("GET", "http://m/v1/company/vendors", 200, {"state": "ACTIVE", "since": "x"}), "'since'"),
        (_answer("POST", "http://m/v1/invoices", 200, {}), "status 200 is not documented"),
        (_answer("GET", "http://m/v1/invoices", 403, {"error": "no"}), "'error' was unexpected"),
        (_answer("POST", "http://m/v1/company/authorization", 200, {"auth_state": "SIGNED"}), "'status'"),
    ],
)
def test_answers_off_the_contract_are_named(answer: Call, problem: str) -> None:
    problems = maventa_contract().response_problems(answer)
    assert any(problem in p for p in problems), problems


def test_errors_in_maventas_shape_are_in_the_contract_whatever_their_status() -> None:
    """ "Errors are presented using the HTTP status codes 400-599" with `{code, message, details}`."""
    error = {"code": "insufficient_scope", "message": "No", "details": ["missing scope: partner:lookups"]}
    assert (
        maventa_contract().response_problems(
            _answer("GET", "http://m/v1/partner/lookups/companies", 403, error)
        )
        == []
    )
