"""The README's configuration table, generated from settings/__init__.py so that it stays true.

`python -m devstack.configuration` prints it; a test fails when the README's copy differs. A field's meaning
is its `description=`; the fields declared without one are explained here.
"""

from pydantic import SecretStr
from pydantic.fields import FieldInfo

from settings import Settings

MEANINGS = {
    "api_port": "Port of the HTTP API",
    "api_netvisor_token": "Bearer token Netvisor sends to the `/v1/companies/...` routes",
    "api_support_token": "Bearer token of customer service: support routes and the codec endpoint",
    "api_webhook_secret": "Secret path segment of Maventa's webhook URL `/v1/webhooks/maventa/{secret}`",
    "temporal_address": "Temporal frontend `host:port`; `make run` starts the dev server on its port",
    "temporal_namespace": "Temporal namespace of every workflow",
    "temporal_task_queue": "Task queue the worker polls and the API starts workflows on",
    "temporal_ui_port": "Port of the dev server's web UI (`make run`)",
    "maventa_base_url": "Maventa AutoXChange API; `make run` points it at the Maventa sandbox",
    "maventa_vendor_api_key": "Netvisor's vendor API key at Maventa",
    "maventa_partner_company_uuid": "Netvisor's own (partner) company at Maventa",
    "maventa_partner_user_api_key": "API key of Netvisor's partner user at Maventa",
    "maventa_timeout_s": "Timeout of one Maventa call, seconds",
    "netvisor_base_url": "Netvisor API; `make run` points it at the Netvisor sandbox",
    "netvisor_sender": "Sender name in Netvisor's MAC headers",
    "netvisor_partner_id": "Netvisor partner id (MAC authentication)",
    "netvisor_partner_key": "Netvisor partner key (MAC authentication)",
    "netvisor_customer_id": "Netvisor customer id of the integration (MAC authentication)",
    "netvisor_customer_key": "Netvisor customer key of the integration (MAC authentication)",
    "netvisor_timeout_s": "Timeout of one Netvisor call, seconds (Netvisor asks for at least 120)",
    "maventa_sandbox_port": "Port of the Maventa sandbox (`make run`)",
    "netvisor_sandbox_port": "Port of the Netvisor sandbox (`make run`)",
    "sandbox_bank_confirm_seconds": "Maventa sandbox confirms the bank network after this many seconds; "
    "0 = only by control endpoint (`make run` uses 20)",
    "sandbox_delivery_seconds": "Maventa sandbox delivers sent invoices after this many seconds; "
    "0 = only by control endpoint (`make run` uses 10)",
    "sandbox_token_lifetime_s": "Lifetime of the Maventa sandbox's tokens (Maventa: 60 minutes)",
    "metrics_port": "Port of the worker's Prometheus `/metrics` (the first worker's under `make run`)",
    "log_level": "Log level of every process (DEBUG, INFO, WARNING, ERROR)",
}


def meaning(name: str, field: FieldInfo) -> str | None:
    return field.description or MEANINGS.get(name)


def _default(field: FieldInfo) -> str:
    if isinstance(field.default, SecretStr):
        return "dev value; set in production"
    shown = str(field.default)
    return f"`{shown}`" if shown else "(empty)"


def configuration_table() -> str:
    lines = ["| environment variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        text = (meaning(name, field) or "").replace("|", "\\|")
        lines.append(f"| `{name.upper()}` | {_default(field)} | {text} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(configuration_table())
