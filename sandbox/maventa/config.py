"""What one sandbox instance needs to know: its state file, the seeded partner account and its clocks."""

from pydantic import BaseModel, SecretStr

from settings import Settings


class MaventaSandboxConfig(BaseModel):
    database_url: str = "sqlite://"
    vendor_api_key: SecretStr = SecretStr("sandbox-vendor-key")
    partner_company_uuid: str = "00000000-0000-4000-8000-00000000cafe"
    partner_user_api_key: SecretStr = SecretStr("sandbox-partner-user-key")
    partner_business_id: str = "2000003-2"
    partner_name: str = "Netvisor Partner Sandbox Oy"
    # "A token will be active for 60 minutes" (docs/facts/maventa.md §1.2).
    token_lifetime_s: int = 3600
    # 0 means the banks confirm only through the control endpoint.
    bank_confirm_seconds: float = 0.0
    # 0 means sent invoices are delivered or failed only through the control endpoints.
    delivery_seconds: float = 0.0
    clock_interval_s: float = 0.2
    webhook_timeout_s: float = 2.0
    # Every API request checked against Maventa's OpenAPI (sandbox/maventa/contract.py).
    contract_checks: bool = True

    @classmethod
    def from_settings(cls, settings: Settings, database_url: str) -> "MaventaSandboxConfig":
        return cls(
            database_url=database_url,
            vendor_api_key=settings.maventa_vendor_api_key,
            partner_company_uuid=settings.maventa_partner_company_uuid,
            partner_user_api_key=settings.maventa_partner_user_api_key,
            token_lifetime_s=settings.sandbox_token_lifetime_s,
            bank_confirm_seconds=settings.sandbox_bank_confirm_seconds,
            delivery_seconds=settings.sandbox_delivery_seconds,
        )
