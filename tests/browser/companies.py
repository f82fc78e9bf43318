"""Companies in the states the browser tests need, made through the service's own API and the sandboxes."""

import uuid
from dataclasses import dataclass

from tests.reliability.stack import Service, eventually, founding
from tests.sandbox.maventa.serving import business_id

UTF8_NAME = "Säästö Äänentoisto Oy"


@dataclass(frozen=True)
class ExistingAccount:
    """A company whose business id already has a Maventa account outside Netvisor, and that account's keys."""

    company_id: str
    business_id: str
    company_uuid: str
    user_api_key: str

    @property
    def keys(self) -> dict[str, str]:
        return {"company_uuid": self.company_uuid, "user_api_key": self.user_api_key}


async def state_of(service: Service, company_id: str) -> str | None:
    """The company's state as support reads it (RELEASED once it has left)."""
    answer = (await service.support.get(f"/v1/support/companies/{company_id}")).json()
    account = answer.get("account") or {}
    return account.get("state") or ("RELEASED" if answer.get("released") else None)


async def existing_account(service: Service, name: str) -> ExistingAccount:
    bid = business_id()
    made = await service.maventa_http.post("/_sandbox/accounts", json={"business_id": bid, "name": name})
    made.raise_for_status()
    company_id = f"br-{uuid.uuid4().hex[:8]}"
    reported = await service.api.put(f"/v1/companies/{company_id}", json=founding(bid) | {"name": name})
    assert reported.status_code == 202, reported.text

    async def waiting() -> bool:
        return await state_of(service, company_id) == "EXISTING_ACCOUNT"

    assert await eventually(waiting, timeout_s=60), f"{company_id} did not reach EXISTING_ACCOUNT"
    keys = made.json()
    return ExistingAccount(company_id, bid, keys["company_uuid"], keys["user_api_key"])
