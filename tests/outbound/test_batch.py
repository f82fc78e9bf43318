"""The month-end batch: every invoice gets its own outcome, and one bad invoice does not stop the others."""

import uuid

from tests.outbound.conftest import Stack, eventually
from tests.outbound.invoices import json_request


async def test_batch_sends_the_good_invoices_and_names_what_is_wrong_with_the_bad_one(stack: Stack) -> None:
    company = await stack.company(webhooks=False)
    keys = [f"inv-{uuid.uuid4().hex[:12]}" for _ in range(3)]
    good, other, bad = (json_request(key, company.business_id) for key in keys)
    bad["recipient"]["einvoice_address"] = "003715728601"
    shapeless = {"recipient": good["recipient"]}

    answer = await stack.api.post(
        f"/v1/companies/{company.company_id}/sales-invoices/batch",
        json={"invoices": [good, bad, other, good, shapeless]},
    )

    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert (result["accepted"], result["duplicate"], result["rejected"]) == (2, 1, 2)
    outcomes = [(o["invoice_key"], o["outcome"]) for o in result["outcomes"]]
    assert outcomes == [
        (keys[0], "accepted"),
        (keys[2], "rejected"),
        (keys[1], "accepted"),
        (keys[0], "duplicate"),
        (None, "rejected"),
    ]
    assert "recipient.einvoice_address" in result["outcomes"][1]["reason"]
    assert "check digit is wrong" in result["outcomes"][1]["reason"]
    assert "invoice_key" in result["outcomes"][4]["reason"]

    async def both_sent() -> list[str] | None:
        sent = await stack.sent_at_maventa(company.business_id)
        return sorted(s["number"] for s in sent) if len(sent) == 2 else None

    assert await eventually(both_sent) == sorted(key[-20:] for key in keys[:2])
    rejected = await stack.api.get(f"/v1/companies/{company.company_id}/sales-invoices/{keys[2]}")
    assert rejected.status_code == 404


async def test_batch_is_capped_and_refused_as_a_whole_when_the_company_cannot_send(stack: Stack) -> None:
    released = await stack.company("RELEASED", webhooks=False)
    url = f"/v1/companies/{released.company_id}/sales-invoices/batch"

    too_many = await stack.api.post(url, json={"invoices": [{}] * 501})
    assert too_many.status_code == 422
    assert "invoices" in too_many.json()["error"]["message"]

    refused = await stack.api.post(url, json={"invoices": [json_request("inv-1", released.business_id)]})
    assert refused.status_code == 409
    assert "RELEASED" in refused.json()["error"]["message"]
