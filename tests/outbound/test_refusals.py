"""What is refused, and how: a company that cannot send, a bad address or document, a reused invoice key."""

import asyncio
import uuid

import pytest
from pydantic import SecretStr
from temporalio.service import RPCError

from store.database import unit_of_work
from store.vault import put_secret
from tests.outbound.conftest import Stack, eventually
from tests.outbound.invoices import RECIPIENT, json_request
from workflows.sales_invoice_models import workflow_id


def _key() -> str:
    return f"inv-{uuid.uuid4().hex[:12]}"


@pytest.mark.parametrize("state", ["NOT_LINKED", "EXISTING_ACCOUNT", "RELEASED", "PROVISIONING"])
async def test_company_whose_sending_is_not_allocated_is_refused_and_nothing_leaves(
    stack: Stack, state: str
) -> None:
    company = await stack.company(state, webhooks=False)
    key = _key()

    answer = await stack.api.post(
        f"/v1/companies/{company.company_id}/sales-invoices", json=json_request(key, company.business_id)
    )

    assert answer.status_code == 409
    error = answer.json()["error"]
    assert error["code"] == "sending_not_allocated"
    assert f"state {state}" in error["message"]
    assert await stack.sent_at_maventa(company.business_id) == []
    with pytest.raises(RPCError):
        await stack.client.get_workflow_handle(workflow_id(company.company_id, key)).describe()
    missing = await stack.api.get(f"/v1/companies/{company.company_id}/sales-invoices/{key}")
    assert missing.status_code == 404


async def test_unknown_company_is_told_to_report_the_company_first(stack: Stack) -> None:
    answer = await stack.api.post(
        "/v1/companies/nv-never-reported/sales-invoices", json=json_request(_key(), "2077474-0")
    )
    assert answer.status_code == 409
    assert "PUT /v1/companies/nv-never-reported" in answer.json()["error"]["message"]


@pytest.mark.parametrize(
    ("recipient", "field", "problem"),
    [
        (
            {"einvoice_address": "003715728601", "operator": "003721291126"},
            "recipient.einvoice_address",
            "check digit is wrong",
        ),
        (
            {"einvoice_address": "FI2112345600000786", "operator": "NDEAFIHH"},
            "recipient.einvoice_address",
            "IBAN",
        ),
        (
            {"einvoice_address": "003715728600", "operator": "NOTANOPERATOR1"},
            "recipient.operator",
            "neither an operator id",
        ),
    ],
)
async def test_bad_recipient_address_is_a_422_naming_it(
    stack: Stack, recipient: dict[str, str], field: str, problem: str
) -> None:
    company = await stack.company(webhooks=False)
    body = {**json_request(_key(), company.business_id), "recipient": recipient}

    answer = await stack.api.post(f"/v1/companies/{company.company_id}/sales-invoices", json=body)

    assert answer.status_code == 422
    message = answer.json()["error"]["message"]
    assert field in message and problem in message, message
    assert await stack.sent_at_maventa(company.business_id) == []


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ("<Finvoice Version='3.0'><SellerPartyDetails>", "cannot be read"),
        (
            '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><Finvoice Version="3.0">&e;</Finvoice>',
            "cannot be read",
        ),
        ('<?xml version="1.0" encoding="KLINGON-8"?><Finvoice Version="3.0"/>', "declares the encoding"),
    ],
)
async def test_a_document_that_is_not_a_readable_finvoice_is_a_422(
    stack: Stack, document: str, problem: str
) -> None:
    company = await stack.company(webhooks=False)
    body = {"invoice_key": _key(), "recipient": RECIPIENT, "finvoice_xml": document}

    answer = await stack.api.post(f"/v1/companies/{company.company_id}/sales-invoices", json=body)

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_invoice"
    assert problem in answer.json()["error"]["message"]


async def test_an_invoice_of_another_seller_or_without_a_document_is_a_422(stack: Stack) -> None:
    company = await stack.company(webhooks=False)
    url = f"/v1/companies/{company.company_id}/sales-invoices"

    other_seller = await stack.api.post(url, json=json_request(_key(), "2077474-0"))
    assert other_seller.status_code == 422
    assert "invoice.seller.business_id is 2077474-0" in other_seller.json()["error"]["message"]

    no_document = await stack.api.post(url, json={"invoice_key": _key(), "recipient": RECIPIENT})
    assert no_document.status_code == 422
    assert "exactly one of finvoice_xml" in no_document.json()["error"]["message"]

    not_a_pdf = {**json_request(_key(), company.business_id), "pdf_base64": "aGk="}
    bad_pdf = await stack.api.post(url, json=not_a_pdf)
    assert bad_pdf.status_code == 422
    assert "pdf_base64 is not a PDF" in bad_pdf.json()["error"]["message"]


async def test_the_same_key_for_a_different_invoice_is_refused(stack: Stack) -> None:
    company = await stack.company(webhooks=False)
    key = _key()
    url = f"/v1/companies/{company.company_id}/sales-invoices"
    first = await stack.api.post(url, json=json_request(key, company.business_id))
    assert first.status_code == 202

    changed = json_request(key, company.business_id)
    changed["invoice"]["rows"][0]["quantity"] = "4"
    second = await stack.api.post(url, json=changed)

    assert second.status_code == 409
    assert second.json()["error"]["code"] == "invoice_key_reused"


async def test_an_invoice_maventa_refused_is_reported_and_can_be_sent_again_under_its_key(
    stack: Stack,
) -> None:
    company = await stack.company(webhooks=False)
    right_key = company.credentials.user_api_key

    def store_key(value: str) -> None:
        with unit_of_work(stack.sessions) as session:
            put_secret(session, company.company_id, "maventa_user_api_key", SecretStr(value))

    await asyncio.to_thread(store_key, "not-the-key")
    key = _key()
    url = f"/v1/companies/{company.company_id}/sales-invoices"
    body = json_request(key, company.business_id)
    assert (await stack.api.post(url, json=body)).status_code == 202

    view = await stack.settled(company.company_id, key, "REJECTED")
    assert "Maventa refused the invoice" in view["history"][-1]["detail"]
    reported = await eventually(lambda: stack.netvisor_status(key))
    assert reported["status"] == "REJECTED"

    await asyncio.to_thread(store_key, right_key.get_secret_value())
    again = await stack.api.post(url, json=body)
    assert again.status_code == 202
    assert again.json() == {"invoice_key": key, "status": "SUBMITTED", "duplicate": False}
    view = await stack.settled(company.company_id, key, "PENDING")
    history = [change["status"] for change in view["history"]]
    assert history == ["SUBMITTED", "REJECTED", "SUBMITTED", "PENDING"]
    assert len(await stack.sent_at_maventa(company.business_id)) == 1


async def test_a_step_failed_for_good_does_not_take_allocated_sending_away(stack: Stack) -> None:
    """E.g. Netvisor refused the invoicing addresses: support sees NEEDS_SUPPORT, sending stays allocated."""
    company = await stack.company("RECEIVING", shown_state="NEEDS_SUPPORT", webhooks=False)
    key = _key()

    answer = await stack.api.post(
        f"/v1/companies/{company.company_id}/sales-invoices", json=json_request(key, company.business_id)
    )

    assert answer.status_code == 202, answer.text
    await stack.settled(company.company_id, key, "PENDING")
    assert len(await stack.sent_at_maventa(company.business_id)) == 1


async def test_a_not_linked_company_shown_as_needs_support_still_cannot_send(stack: Stack) -> None:
    """E.g. its release failed: NEEDS_SUPPORT is shown, and sending was never allocated."""
    company = await stack.company("NOT_LINKED", shown_state="NEEDS_SUPPORT", webhooks=False)

    answer = await stack.api.post(
        f"/v1/companies/{company.company_id}/sales-invoices", json=json_request(_key(), company.business_id)
    )

    assert answer.status_code == 409
    error = answer.json()["error"]
    assert error["code"] == "sending_not_allocated"
    assert "state NOT_LINKED" in error["message"] and "customer service" in error["message"]
    assert await stack.sent_at_maventa(company.business_id) == []
