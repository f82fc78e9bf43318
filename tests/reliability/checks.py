"""What a user checks after any fault: every received invoice in Netvisor once, every sales invoice at
Maventa once and delivered, Netvisor told, the month's transactions counted once. Shared by the matrix and the
crash tests.
"""

import asyncio
from collections import Counter
from dataclasses import asdict, dataclass

from store.received_invoices import IMPORTED
from tests.reliability.stack import Company, Service
from workflows.sales_invoice_models import maventa_uuid, workflow_id


@dataclass
class Figures:
    invoices_in: int = 0
    in_netvisor: int = 0
    duplicates_in_netvisor: int = 0
    invoices_out: int = 0
    at_maventa: int = 0
    duplicates_at_maventa: int = 0
    delivered: int = 0
    retries: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


async def settled(
    service: Service, companies: list[Company], received: dict[str, list[str]], keys: dict[str, list[str]]
) -> bool:
    """Everything arrived where it should: in Netvisor, in the ledger, acknowledged at Maventa."""
    for company in companies:
        arrived = received[company.company_id]
        if Counter(await service.in_netvisor(company)) != Counter(arrived):
            return False
        ledger = await asyncio.to_thread(service.ledger, arrived)
        if any(row.status != IMPORTED for row in ledger.values()):
            return False
        if set((await asyncio.to_thread(service.queue_states, arrived)).values()) - {"HANDLED"}:
            return False
        for key in keys[company.company_id]:
            if await service.netvisor_sales_status(key) != "DELIVERED":
                return False
    return True


async def unsettled(
    service: Service, companies: list[Company], received: dict[str, list[str]], keys: dict[str, list[str]]
) -> list[str]:
    """What keeps `settled` false, for a failing test's message: an invoice twice in Netvisor never settles,
    however long the test waits, and reads differently from one still on its way."""
    found = []
    for company in companies:
        arrived = received[company.company_id]
        in_netvisor = Counter(await service.in_netvisor(company))
        ledger = await asyncio.to_thread(service.ledger, arrived)
        queue = await asyncio.to_thread(service.queue_states, arrived)
        for invoice in arrived:
            if in_netvisor[invoice] != 1:
                found.append(f"{invoice} {in_netvisor[invoice]} times in Netvisor")
            row = ledger.get(invoice)
            if row is None or row.status != IMPORTED:
                found.append(f"{invoice} {row.status if row else 'missing'} in the ledger")
            if queue.get(invoice) != "HANDLED":
                found.append(f"{invoice} {queue.get(invoice)} at Maventa")
        found += [
            f"{n} times in Netvisor, not received: {i}" for i, n in in_netvisor.items() if i not in arrived
        ]
        for key in keys[company.company_id]:
            if (status := await service.netvisor_sales_status(key)) != "DELIVERED":
                found.append(f"{key} {status} in Netvisor")
    return found


async def exactly_once(
    service: Service, companies: list[Company], received: dict[str, list[str]], keys: dict[str, list[str]]
) -> Figures:
    """Assert the user's view of exactly once, and count what was seen (retries included)."""
    figures = Figures()
    for company in companies:
        arrived = received[company.company_id]
        sales = keys[company.company_id]
        in_netvisor = Counter(await service.in_netvisor(company))
        assert in_netvisor == Counter(arrived), f"{company.company_id}: {in_netvisor} != {arrived}"
        ledger = await asyncio.to_thread(service.ledger, arrived)
        assert len(ledger) == len(arrived) and {row.status for row in ledger.values()} <= {IMPORTED}
        assert set((await asyncio.to_thread(service.queue_states, arrived)).values()) <= {"HANDLED"}

        sent = await service.sent_at_maventa(company)
        uuids = Counter(row["uuid"] for row in sent)
        assert uuids == Counter(maventa_uuid(company.company_id, key) for key in sales), "not once at Maventa"
        assert {row["status"] for row in sent} <= {"DELIVERED"}
        for key in sales:
            assert await service.sales_status(company, key) == "DELIVERED"
        assert await service.transactions(company) == {
            "received_einvoice": len(arrived),
            "received_scanned_invoice": 0,
            "sent_einvoice": len(sales),
        }
        figures.invoices_in += len(arrived)
        figures.in_netvisor += sum(in_netvisor.values())
        figures.duplicates_in_netvisor += sum(in_netvisor.values()) - len(in_netvisor)
        figures.invoices_out += len(sales)
        figures.at_maventa += len(sent)
        figures.duplicates_at_maventa += len(sent) - len(uuids)
        figures.delivered += len(sales)
        figures.retries += sum(row.attempts - 1 for row in ledger.values())
        figures.retries += await service.activity_retries([workflow_id(company.company_id, k) for k in sales])
    return figures
