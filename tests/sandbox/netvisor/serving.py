"""The Netvisor sandbox on a random loopback port, for its own tests and the client's contract tests."""

from pydantic import SecretStr

from sandbox.netvisor import NetvisorSandboxConfig
from tests.support import new_business_id, serving

# The names these tests have always used for the shared helpers.
serve = serving
business_id = new_business_id

PARTNER_ID = "test-partner"
PARTNER_KEY = "partner-secret-key-0001"
# A customer id with non-ASCII text, as real ones have (docs/facts/netvisor.md §2.1).
CUSTOMER_ID = "Integraatiokäyttäjä"
CUSTOMER_KEY = "customer-secret-key-ä-0002"


def sandbox_config(database_url: str = "sqlite://") -> NetvisorSandboxConfig:
    return NetvisorSandboxConfig(
        database_url=database_url,
        partner_id=PARTNER_ID,
        partner_key=SecretStr(PARTNER_KEY),
        customer_id=CUSTOMER_ID,
        customer_key=SecretStr(CUSTOMER_KEY),
    )
