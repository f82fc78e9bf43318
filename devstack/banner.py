"""The table `make run` prints once everything is up: where each part is, and the tokens for local calls."""

import os
from pathlib import Path

from pydantic import SecretStr

from devstack.ports import worker_metrics_ports
from devstack.secrets_key import key_file
from settings import Settings


def _token(settings: Settings, field: str, variable: str) -> str:
    value: SecretStr = getattr(settings, field)
    default = Settings.model_fields[field].default
    if value == default:
        return f"{value.get_secret_value()}  (dev default)"
    return f"(set by {variable}; not shown)"


def _secrets_key(data_dir: Path) -> str:
    if "SECRETS_KEY" in {name.upper() for name in os.environ}:
        return "(set by SECRETS_KEY; not shown)"
    return f"{key_file(data_dir)}  (generated once; keep it with the data)"


def banner(settings: Settings, data_dir: Path) -> str:
    host = settings.bind_host
    api = f"http://{host}:{settings.api_port}"
    rows = [
        ("Temporal UI", f"http://{host}:{settings.temporal_ui_port}"),
        ("Temporal frontend", f"{settings.temporal_address}  (namespace {settings.temporal_namespace})"),
        ("Task queue", settings.temporal_task_queue),
        ("API", f"{api}  (health {api}/healthz)"),
        ("API docs", f"{api}/docs  (OpenAPI {api}/openapi.json)"),
        ("Codec endpoint", f"{api}/codec  (support token)"),
        ("Support console", f"{api}/support/  (support token and your agent id)"),
        ("UI decoding", f"sign in at {api}/support/ or {api}/codec/ui/login, see docs/support.md"),
        ("Maventa sandbox", f"http://{host}:{settings.maventa_sandbox_port}  (controls under /_sandbox/)"),
        ("Netvisor sandbox", f"http://{host}:{settings.netvisor_sandbox_port}  (controls under /_sandbox/)"),
        *(
            (
                f"Worker {n + 1} metrics" if settings.workers > 1 else "Worker metrics",
                f"http://{host}:{port}/metrics",
            )
            for n, port in enumerate(worker_metrics_ports(settings))
        ),
        ("Data folder", str(data_dir)),
        ("Secrets key", _secrets_key(data_dir)),
        ("Netvisor token", _token(settings, "api_netvisor_token", "API_NETVISOR_TOKEN")),
        ("Support token", _token(settings, "api_support_token", "API_SUPPORT_TOKEN")),
    ]
    width = max(len(name) for name, _ in rows)
    lines = [f"  {name.ljust(width)}  {where}" for name, where in rows]
    rule = "-" * max(len(line) for line in lines)
    return "\n".join(
        [
            "",
            rule,
            "  Maventa connection service is running. Ctrl-C stops everything.",
            rule,
            *lines,
            rule,
            "",
        ]
    )
