"""The sandbox's fast request check says what openapi-core says: valid or not, for the same requests."""

import json

import httpx
import pytest

from contracts.maventa_openapi import Call, maventa_contract
from contracts.maventa_request_check import RequestCheck

BEARER = {"authorization": "Bearer t", "accept": "application/json"}
JSON = {**BEARER, "content-type": "application/json"}
COMPANY = {
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


def _form(path: str, fields: dict[str, str], files: dict[str, bytes] | None = None) -> Call:
    parts: dict[str, tuple[str | None, str | bytes]] = {k: (None, v) for k, v in fields.items()}
    parts |= {k: (f"{k}.xml", v) for k, v in (files or {}).items()}
    request = httpx.Request("POST", f"http://m{path}", headers=BEARER, files=parts)
    return Call("POST", str(request.url), dict(request.headers), request.read())


def _json(method: str, path: str, body: object) -> Call:
    return Call(method, f"http://m{path}", JSON, json.dumps(body).encode())


def _token(fields: dict[str, str]) -> Call:
    request = httpx.Request("POST", "http://m/oauth2/token", data=fields)
    return Call("POST", str(request.url), dict(request.headers), request.read())


CALLS = {
    "invoice list": Call("GET", "http://m/v1/invoices?direction=SENT&page=2&per_page=100", BEARER),
    "invoice list, bad direction": Call("GET", "http://m/v1/invoices?direction=UP", BEARER),
    "invoice list, page not a number": Call("GET", "http://m/v1/invoices?page=two", BEARER),
    "invoice list, unknown parameter": Call("GET", "http://m/v1/invoices?bids=1", BEARER),
    "invoice list, bad date": Call("GET", "http://m/v1/invoices?received_at_start=yesterday", BEARER),
    "lookup": Call(
        "GET", "http://m/v1/partner/lookups/companies?bids=1234567-8,2345678-9&country=FI", BEARER
    ),
    "lookup, without bids": Call("GET", "http://m/v1/partner/lookups/companies?country=FI", BEARER),
    "profile filter": Call("GET", "http://m/v1/company/profiles?network=VISMA,PEPPOL", BEARER),
    "profile filter, unknown network": Call("GET", "http://m/v1/company/profiles?network=FAX", BEARER),
    "company": _form("/v1/companies", COMPANY),
    "company, without no_vat": _form("/v1/companies", {k: v for k, v in COMPANY.items() if k != "no_vat"}),
    "company, no_vat not a boolean": _form("/v1/companies", COMPANY | {"no_vat": "maybe"}),
    "company, unknown field": _form("/v1/companies", COMPANY | {"vat": "FI12345678"}),
    "company, unknown country": _form("/v1/companies", COMPANY | {"country": "US"}),
    "upload": _form("/v1/invoices", {"uuid": "u-1", "format": "FINVOICE30"}, {"file": b"<Finvoice/>"}),
    "upload, without file": _form("/v1/invoices", {"uuid": "u-1"}),
    "upload, unknown format": _form("/v1/invoices", {"format": "PDF"}, {"file": b"%PDF"}),
    "authorization": _json(
        "POST", "/v1/company/authorization", {"auth_email": "a@b.c", "locale": "FI", "options": "{}"}
    ),
    "authorization, options an object": _json(
        "POST", "/v1/company/authorization", {"auth_email": "a@b.c", "locale": "FI", "options": {}}
    ),
    "authorization, without locale": _json("POST", "/v1/company/authorization", {"auth_email": "a@b.c"}),
    "profile": _json(
        "POST", "/v1/company/profiles", {"network": "PEPPOL", "scheme": "0216", "endpoint_id": "0037"}
    ),
    "profile, version a number": _json(
        "POST", "/v1/company/profiles", {"network": "PEPPOL", "profile_version": 3}
    ),
    "profile, unknown field": _json(
        "POST", "/v1/company/profiles", {"network": "PEPPOL", "participant": "x"}
    ),
    "invoice event": _json("PATCH", "/v1/invoices/x/invoice_events", {"state": "HANDLED"}),
    "invoice event, unknown state": _json("PATCH", "/v1/invoices/x/invoice_events", {"state": "READ"}),
    "token": _token(
        {"grant_type": "client_credentials", "client_id": "c", "client_secret": "s", "scope": "eui"}
    ),
    "token, other grant": _token({"grant_type": "password", "client_id": "c"}),
    "token, as JSON": _json("POST", "/oauth2/token", {"grant_type": "client_credentials"}),
}


@pytest.mark.parametrize("name", CALLS)
def test_the_fast_check_agrees_with_openapi_core(name: str) -> None:
    """Each name with a comma is a request off the contract; both checks must say so, and only then."""
    call = CALLS[name]
    contract = maventa_contract()
    operation = contract.find(call.method, call.path)
    assert operation is not None
    fast = RequestCheck(contract).problems(operation, call)
    thorough = contract.request_problems(call)
    assert bool(fast) == bool(thorough), (fast, thorough)
    assert bool(thorough) == ("," in name), thorough
