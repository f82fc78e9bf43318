"""The sandbox over HTTP as Maventa's API answers: shapes, headers, codes and the control endpoints."""

import asyncio
from pathlib import Path
from typing import Any

import httpx
from lxml import etree
from sqlalchemy import event

from sandbox.maventa import create_app
from sandbox.maventa.contract import ContractCheck
from sandbox.maventa.faults import FaultInjection
from sandbox.maventa.finvoice import Buyer, generate_invoice
from tests.clock import wall_clock
from tests.sandbox.maventa.serving import (
    VENDOR_KEY,
    MaventaSandbox,
    business_id,
    running_sandbox,
    sandbox_config,
    serve,
)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _is_error(body: Any, code: str) -> bool:
    return set(body) == {"code", "message", "details"} and body["code"] == code


async def test_tokens_are_form_encoded_and_unknown_credentials_get_401(maventa: MaventaSandbox) -> None:
    _, creds = await maventa.account()
    fields = {
        "grant_type": "client_credentials",
        "client_id": creds.company_uuid,
        "client_secret": creds.user_api_key.get_secret_value(),
        "vendor_api_key": VENDOR_KEY,
    }
    form = await maventa.http.post("/oauth2/token", data=fields)
    as_json = await maventa.http.post("/oauth2/token", json=fields)
    assert form.status_code == 200
    # The OpenAPI documents application/x-www-form-urlencoded only.
    assert as_json.status_code == 422
    assert form.json()["expires_in"] == 3600
    assert form.json()["token_type"] == "bearer"
    assert form.json()["scope"] == "global company"
    wrong = await maventa.http.post("/oauth2/token", data=fields | {"client_secret": "not-the-key"})
    assert wrong.status_code == 401
    assert _is_error(wrong.json(), "invalid_client")
    wrong_vendor = await maventa.http.post("/oauth2/token", data=fields | {"vendor_api_key": "other"})
    assert wrong_vendor.status_code == 401


async def test_every_v1_call_needs_a_bearer(maventa: MaventaSandbox) -> None:
    missing = await maventa.http.get("/v1/invoices")
    unknown = await maventa.http.get("/v1/invoices", headers=_bearer("made-up"))
    assert missing.status_code == unknown.status_code == 401
    assert _is_error(unknown.json(), "token_invalid")


async def test_invoice_list_pages_default_to_ten_with_headers(maventa: MaventaSandbox) -> None:
    bid, creds = await maventa.account()
    await maventa.receive(bid, count=23)
    headers = _bearer(await maventa.token(creds))
    first = await maventa.http.get("/v1/invoices", params={"direction": "RECEIVED"}, headers=headers)
    assert len(first.json()) == 10
    assert first.headers["X-Total"] == "23"
    assert first.headers["X-Total-Pages"] == "3"
    assert first.headers["X-Page"] == "1"
    assert first.headers["X-Per-Page"] == "10"
    assert first.headers["X-Next-Page"] == "2"
    last = await maventa.http.get("/v1/invoices", params={"page": 3}, headers=headers)
    assert len(last.json()) == 3
    assert last.headers["X-Next-Page"] == ""
    too_many = await maventa.http.get("/v1/invoices", params={"per_page": 101}, headers=headers)
    assert too_many.status_code == 400
    assert _is_error(too_many.json(), "invalid_parameters")


async def test_channels_map_to_origin_and_formats(maventa: MaventaSandbox) -> None:
    bid, creds = await maventa.account()
    headers = _bearer(await maventa.token(creds))
    refused = await maventa.http.post(
        f"/_sandbox/companies/{bid}/received-invoices", json={"channel": "SCAN"}
    )
    assert refused.status_code == 409
    assert "SCAN" in refused.json()["message"]
    await maventa.http.post(
        "/v1/services/scan",
        headers=headers,
        files={"return_address[email_address]": (None, "r@example.invalid")},
    )
    (operator,) = await maventa.receive(bid, channel="OPERATOR")
    (bank,) = await maventa.receive(bid, channel="BANK")
    (scan,) = await maventa.receive(bid, channel="SCAN")
    invoices = {
        i: (await maventa.http.get(f"/v1/invoices/{i}", headers=headers)).json()
        for i in (operator, bank, scan)
    }
    assert invoices[operator]["origin"] == "EXTERNAL"
    assert invoices[bank]["origin"] == "EXTERNAL"
    assert invoices[bank]["recipient"]["operator"] == "DABAFIHH"
    assert invoices[scan]["origin"] == "SCAN"
    assert invoices[scan]["origin_type"] == "SCAN_PDF"
    original = await maventa.http.get(
        f"/v1/invoices/{bank}", params={"return_format": "ORIGINAL_IMAGE"}, headers=headers
    )
    assert original.status_code == 404
    image = await maventa.http.get(
        f"/v1/invoices/{bank}", params={"return_format": "ORIGINAL_OR_GENERATED_IMAGE"}, headers=headers
    )
    assert image.headers["content-type"] == "application/pdf"
    assert image.content.startswith(b"%PDF")
    xml = await maventa.http.get(
        f"/v1/invoices/{operator}", params={"return_format": "FINVOICE30"}, headers=headers
    )
    assert etree.fromstring(xml.content).get("Version") == "3.0"


async def test_extended_details_list_every_file_and_lists_only_attachments(maventa: MaventaSandbox) -> None:
    bid, creds = await maventa.account()
    headers = _bearer(await maventa.token(creds))
    # About one in three has an attachment: among thirty, none would be a one-in-200,000 chance.
    await maventa.receive(bid, count=30)
    listed = (await maventa.http.get("/v1/invoices", params={"per_page": 100}, headers=headers)).json()
    assert all(f["type"] == "ATTACHMENT" for invoice in listed for f in invoice["files"])
    with_attachment = next(i for i in listed if i["files"])
    details = (
        await maventa.http.get(
            f"/v1/invoices/{with_attachment['id']}",
            params={"return_format": "EXTENDED_DETAILS"},
            headers=headers,
        )
    ).json()
    assert sorted(f["type"] for f in details["files"]) == ["ATTACHMENT", "IMAGE", "INVOICE"]
    attachment = next(f for f in details["files"] if f["type"] == "ATTACHMENT")
    content = await maventa.http.get(attachment["href"], headers=headers)
    assert content.content.startswith(b"%PDF")


async def test_faults_hit_the_api_but_never_the_controls(maventa: MaventaSandbox) -> None:
    bid, creds = await maventa.account()
    await maventa.control("PUT", "/faults", json={"error_rate": 1.0, "status": 502})
    broken = await maventa.http.get("/v1/invoices")
    assert broken.status_code == 502
    assert _is_error(broken.json(), "internal_error")
    assert (await maventa.http.get(f"/_sandbox/companies/{bid}")).status_code == 200
    await maventa.control("DELETE", "/faults")
    assert (
        await maventa.http.get("/v1/invoices", headers=_bearer(await maventa.token(creds)))
    ).status_code == 200


async def test_bank_network_and_delivery_settle_by_themselves_when_configured() -> None:
    async with running_sandbox(bank_confirm_seconds=0.2, delivery_seconds=0.2) as maventa:
        _, sender = await maventa.customer()
        recipient_bid, recipient = await maventa.account("Vastaanottaja Oy")
        headers = _bearer(await maventa.token(sender))
        bank = await maventa.http.post("/v1/company/profiles", json={"network": "BANK"}, headers=headers)
        assert bank.json()["status"] == "pending"
        document = generate_invoice(
            buyer=Buyer(business_id=recipient_bid, name="Vastaanottaja Oy"),
            number="S-1",
            channel="OPERATOR",
            received_at=wall_clock(),
            seed="send",
        ).document
        sent = await maventa.http.post(
            "/v1/invoices",
            headers=headers,
            files={
                "file": ("invoice.xml", document, "application/xml"),
                "recipient_eia": (None, "0037" + recipient_bid.replace("-", "")),
                "recipient_operator": (None, "003721291126"),
            },
        )
        assert sent.status_code == 201
        assert sent.json()["status"] == "PENDING"
        await asyncio.sleep(0.6)
        delivered = (await maventa.http.get(f"/v1/invoices/{sent.json()['id']}", headers=headers)).json()
        assert delivered["status"] == "DELIVERED"
        assert [a["type"] for a in delivered["actions"]] == ["CREATED", "SENT", "DELIVERED"]
        profiles = (await maventa.http.get("/v1/company/profiles", headers=headers)).json()
        assert [p["status"] for p in profiles if p["network"] == "BANK"] == ["active"]
        inbox = await maventa.http.get("/v1/invoices", headers=_bearer(await maventa.token(recipient)))
        assert [(i["number"], i["origin"]) for i in inbox.json()] == [("S-1", "INTERNAL")]


async def test_sending_to_a_bank_fails_until_the_bank_network_is_active() -> None:
    async with running_sandbox(delivery_seconds=0.1) as maventa:
        _, sender = await maventa.customer()
        headers = _bearer(await maventa.token(sender))
        document = generate_invoice(
            buyer=Buyer(business_id="1234567-1", name="Pankkiasiakas Oy"),
            number="B-1",
            channel="OPERATOR",
            received_at=wall_clock(),
            seed="bank",
        ).document
        sent = await maventa.http.post(
            "/v1/invoices",
            headers=headers,
            files={
                "file": ("invoice.xml", document, "application/xml"),
                "recipient_eia": (None, "003712345671"),
                "recipient_operator": (None, "NDEAFIHH"),
            },
        )
        await asyncio.sleep(0.4)
        failed = (await maventa.http.get(f"/v1/invoices/{sent.json()['id']}", headers=headers)).json()
        assert failed["status"] == "FAILED"
        assert "bank network" in failed["actions"][-1]["message"]


async def test_an_account_made_by_the_api_starts_unverified_and_bank_confirms_by_control(
    maventa: MaventaSandbox,
) -> None:
    user = await maventa.http.post("/v1/users", json={"vendor_api_key": VENDOR_KEY, "email": "a@b.invalid"})
    assert user.status_code == 201
    bid = business_id()
    fields = {
        "vendor_api_key": VENDOR_KEY,
        "user_api_key": user.json()["user_api_key"],
        "name": "Uusi Yritys Oy",
        "bid": bid,
        "email": "a@b.invalid",
        "country": "FI",
        "address1": "Katu 1",
        "post_code": "00100",
        "post_office": "Helsinki",
        "city": "Helsinki",
    }
    without_no_vat = await maventa.http.post("/v1/companies", files={k: (None, v) for k, v in fields.items()})
    assert without_no_vat.status_code == 422
    assert any("'no_vat' is a required property" in d for d in without_no_vat.json()["details"])
    fields["no_vat"] = "yes please"
    not_a_boolean = await maventa.http.post("/v1/companies", files={k: (None, v) for k, v in fields.items()})
    assert not_a_boolean.status_code == 422
    fields["no_vat"] = "true"
    company = await maventa.http.post("/v1/companies", files={k: (None, v) for k, v in fields.items()})
    assert company.status_code == 201
    view = await maventa.control("GET", f"/companies/{bid}")
    assert view["company_state"] == "UNVERIFIED"
    assert view["vendor_linked"] is True
    confirm = await maventa.http.post(f"/_sandbox/companies/{bid}/bank-network/confirm")
    assert confirm.status_code == 409


async def test_state_survives_a_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'maventa.db'}"
    bid = business_id()
    async with running_sandbox(database_url=url) as first:
        await first.control("POST", "/accounts", json={"business_id": bid, "name": "Pysyvä Oy"})
    async with running_sandbox(database_url=url) as again:
        assert (await again.control("GET", f"/companies/{bid}"))["name"] == "Pysyvä Oy"


async def test_a_call_reads_its_token_once() -> None:
    """The contract check's token serves the route too: each read of it is a query on the one event loop."""
    app = create_app(sandbox_config())
    token_reads: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "FROM token" in statement:
            token_reads.append(statement)

    event.listen(app.state.sandbox.engine, "before_cursor_execute", count)
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
        sandbox = MaventaSandbox(url=url, http=http)
        _, creds = await sandbox.account()
        headers = _bearer(await sandbox.token(creds))
        token_reads.clear()
        listed = await http.get("/v1/invoices", params={"direction": "RECEIVED"}, headers=headers)
        expired_or_unknown = await http.get("/v1/invoices", headers=_bearer("made-up"))
    assert listed.status_code == 200
    assert expired_or_unknown.status_code == 401
    assert len(token_reads) == 2  # one for each call, the refused one's included


def test_the_checks_run_on_the_requests_own_task() -> None:
    """Not Starlette's BaseHTTPMiddleware, which moves every route to a task of its own with streams between
    (sandbox/maventa/contract.py)."""
    app = create_app(sandbox_config())
    assert [m.cls for m in app.user_middleware] == [FaultInjection, ContractCheck]
