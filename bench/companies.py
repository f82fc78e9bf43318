"""Companies as Netvisor founds them: through the API, provisioned by the real connection workflow."""

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

from temporalio.service import RPCError

from bench.stack import Running, new_business_id
from workflows.connection import workflow_id
from workflows.search_attributes import MAVENTA_STATE


@dataclass(frozen=True)
class Company:
    company_id: str
    business_id: str


def company_body(business_id: str, *, purchases: bool) -> dict[str, Any]:
    return {
        "business_id": business_id,
        "name": f"Penkki {business_id} Oy",
        "email": "talous@penkki.fi",
        "address": {"street": "Mittakatu 1", "post_code": "00100", "city": "Helsinki"},
        "modules": {"sales": True, "purchases": purchases},
    }


async def found(running: Running, *, purchases: bool) -> Company:
    """PUT /v1/companies/{id}: the day the company is founded in Netvisor."""
    company = Company(company_id=f"bench-{uuid.uuid4().hex[:10]}", business_id=new_business_id())
    response = await running.api.put(
        f"/v1/companies/{company.company_id}", json=company_body(company.business_id, purchases=purchases)
    )
    response.raise_for_status()
    return company


async def state_of(running: Running, company: Company) -> str:
    """The MaventaState search attribute: read without a query, so no action is spent on it."""
    try:
        description = await running.client.get_workflow_handle(workflow_id(company.company_id)).describe()
    except RPCError:
        return ""
    return description.typed_search_attributes.get(MAVENTA_STATE) or ""


async def connected(running: Running, within_s: float = 60.0) -> Company:
    """A company founded with both modules and taken to CONNECTED; support's "check now" asks about the bank
    network once the sandbox has confirmed it, instead of waiting for the hours-long check cadence."""
    company = await found(running, purchases=True)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while (state := await state_of(running, company)) != "CONNECTED":
        if loop.time() > deadline:
            raise TimeoutError(f"{company.company_id} stayed {state or 'unknown'}")
        if state == "RECEIVING":
            await asyncio.sleep(1.0)
            await running.support.post(f"/v1/support/companies/{company.company_id}/bank-network/check")
        await asyncio.sleep(0.2)
    return company
