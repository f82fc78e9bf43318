"""What one Netvisor sandbox instance needs: its state file and the one integration it accepts."""

from pydantic import BaseModel, SecretStr

from settings import Settings


class NetvisorSandboxConfig(BaseModel):
    database_url: str = "sqlite://"
    partner_id: str = "sandbox-partner"
    partner_key: SecretStr = SecretStr("sandbox-partner-key")
    customer_id: str = "maventa-connection-service"
    customer_key: SecretStr = SecretStr("sandbox-customer-key")
    # Finvoice-sourced imports take about a minute to appear (docs/facts/netvisor.md §4.1);
    # 0 shows them at once.
    finvoice_visibility_delay_s: float = 0.0

    @classmethod
    def from_settings(cls, settings: Settings, database_url: str) -> "NetvisorSandboxConfig":
        return cls(
            database_url=database_url,
            partner_id=settings.netvisor_partner_id,
            partner_key=settings.netvisor_partner_key,
            customer_id=settings.netvisor_customer_id,
            customer_key=settings.netvisor_customer_key,
        )
