"""A burst of sales invoices for one company through the API: Temporal actions per delivered invoice.

Each invoice is posted as Netvisor would, uploaded by its own workflow, delivered by the Maventa sandbox a
second later, and its webhook reaches the API, which signals the workflow. Every invoice's whole history is
counted once all have settled.
"""

import asyncio
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from bench.companies import Company
from bench.histories import actions_of
from bench.stack import Running
from workflows.sales_invoice_models import workflow_id

RECIPIENT = {"einvoice_address": "003715728600", "operator": "003721291126"}


@dataclass(frozen=True)
class OutboundResult:
    invoices: int
    delivered: int
    actions: Counter[str]
    seconds: float


def sales_invoice(seller_business_id: str, number: str = "2024-0042") -> dict[str, Any]:
    """A JSON invoice (domain.finvoice.SalesInvoice) with two VAT rates and Finnish letters, rendered to
    Finvoice 3.0 by the service; the tests send the same one."""
    return {
        "number": number,
        "invoice_date": "2024-05-02",
        "due_date": "2024-05-16",
        "seller": {
            "name": "Myyjä Oy",
            "business_id": seller_business_id,
            "address": {"street": "Kauppakatu 1", "post_code": "00100", "town": "Helsinki"},
            "iban": "FI2112345600000785",
            "bic": "NDEAFIHH",
        },
        "buyer": {
            "name": "Ostaja Ab",
            "business_id": "1572860-0",
            "address": {"street": "Tehtaantie 2", "post_code": "33100", "town": "Tampere"},
        },
        "rows": [
            {
                "description": "Konsultointi",
                "quantity": "3",
                "unit": "h",
                "unit_price": "95.50",
                "vat_percent": "25.5",
            },
            {"description": "Käsikirja", "quantity": "1", "unit_price": "20.00", "vat_percent": "10"},
        ],
        "payment_reference": "1232",
        "free_text": "Kiitos tilauksesta",
    }


async def _status(running: Running, company: Company, key: str) -> str:
    response = await running.api.get(f"/v1/companies/{company.company_id}/sales-invoices/{key}")
    return str(response.json().get("status")) if response.status_code == 200 else ""


async def measure_outbound(
    running: Running, company: Company, invoices: int, within_s: float = 180.0
) -> OutboundResult:
    keys = [f"bench-{n:04d}" for n in range(invoices)]
    gate = asyncio.Semaphore(10)

    async def send(key: str) -> None:
        body = {
            "invoice_key": key,
            "recipient": dict(RECIPIENT),
            "invoice": sales_invoice(company.business_id, key),
        }
        async with gate:
            response = await running.api.post(f"/v1/companies/{company.company_id}/sales-invoices", json=body)
        response.raise_for_status()

    started = time.perf_counter()
    await asyncio.gather(*(send(k) for k in keys))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    open_keys = set(keys)
    while open_keys and loop.time() < deadline:
        statuses = await asyncio.gather(*(_status(running, company, k) for k in sorted(open_keys)))
        open_keys = {k for k, s in zip(sorted(open_keys), statuses, strict=True) if s != "DELIVERED"}
        await asyncio.sleep(0.5)
    seconds = time.perf_counter() - started
    ids = [workflow_id(company.company_id, k) for k in keys]
    if not open_keys:
        await asyncio.wait_for(
            asyncio.gather(*(running.client.get_workflow_handle(w).result() for w in ids)), within_s
        )
    actions = await actions_of(running.client, ids)
    return OutboundResult(
        invoices=invoices, delivered=invoices - len(open_keys), actions=actions, seconds=seconds
    )
