"""The one place configuration comes from: environment variables with documented defaults.

Every default runs the embedded stack on one machine (`make run`); production overrides them by environment.
The README's configuration table lists the same names.
"""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    environment: Literal["dev", "production"] = Field(
        "dev",
        description="`production` (the container image's default) refuses to start with a dev default, a "
        "short token or no SECRETS_KEY (docs/security.md); `dev` is the stack of `make run` and the tests",
    )
    data_dir: Path = Field(Path("data"), description="Folder for SQLite files and the dev server's state")
    bind_host: str = Field("127.0.0.1", description="Interface every embedded component binds to")

    api_port: int = 8700
    api_netvisor_token: SecretStr = SecretStr("dev-netvisor-token")
    api_support_token: SecretStr = SecretStr("dev-support-token")
    api_webhook_secret: SecretStr = SecretStr("dev-webhook-secret")
    api_public_url: str = Field(
        "", description="URL Maventa posts webhooks to; default http://{bind_host}:{api_port}"
    )

    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    temporal_task_queue: str = "maventa-connection"
    temporal_maventa_task_queue: str = Field(
        "",
        description="Task queue of every activity that calls Maventa, rate-limited by "
        "MAVENTA_REQUESTS_PER_SECOND; default {temporal_task_queue}-maventa",
    )
    temporal_ui_port: int = 8233
    temporal_profile: str = Field("", description="temporalio.envconfig profile; empty uses env and defaults")

    database_url: str = Field("", description="SQLAlchemy URL of the store; default SQLite under data_dir")
    secrets_key: SecretStr = Field(
        SecretStr("bWF2ZW50YS1jb25uZWN0aW9uLWRldi1rZXktMDAwMDA="),
        description="Fernet key (urlsafe base64, 32 bytes) for secrets at rest and the payload codec",
    )

    maventa_base_url: str = "http://127.0.0.1:8701"
    maventa_vendor_api_key: SecretStr = SecretStr("sandbox-vendor-key")
    maventa_partner_company_uuid: str = "00000000-0000-4000-8000-00000000cafe"
    maventa_partner_user_api_key: SecretStr = SecretStr("sandbox-partner-user-key")
    maventa_timeout_s: float = 30.0
    maventa_requests_per_second: float = Field(
        0.0,
        description="Maventa requests per second the whole fleet may make (Maventa's limit with a margin), "
        "enforced as the Maventa task queue's activity rate and the request pace that every worker and API "
        "process shares through the store; 0 means no limit",
    )
    maventa_requests_per_activity: float = Field(
        1.0,
        gt=0,
        description="Divisor of the request budget that gives the Maventa task queue's activity rate; 1 lets "
        "the queue start as many activities a second as the budget has requests (each makes at least one) "
        "and the workers' pace spaces the rest (docs/operating.md)",
    )
    maventa_task_queue_partitions: int = Field(
        4,
        ge=1,
        description="Read partitions of the Maventa task queue at the Temporal server (its "
        "matching.numTaskqueueReadPartitions, 4 unless configured): the server gives each partition an equal "
        "part of the queue's activity rate, so the rate is set this many times higher (docs/operating.md)",
    )
    netvisor_base_url: str = "http://127.0.0.1:8702"
    netvisor_sender: str = "maventa-connection"
    netvisor_partner_id: str = "sandbox-partner"
    netvisor_partner_key: SecretStr = SecretStr("sandbox-partner-key")
    netvisor_customer_id: str = "maventa-connection-service"
    netvisor_customer_key: SecretStr = SecretStr("sandbox-customer-key")
    netvisor_timeout_s: float = 120.0

    maventa_sandbox_port: int = 8701
    netvisor_sandbox_port: int = 8702
    sandbox_bank_confirm_seconds: float = 0.0
    sandbox_delivery_seconds: float = 0.0
    sandbox_token_lifetime_s: int = 3600

    bank_network_check_seconds: float = Field(
        14400.0, description="How often a company waiting for the bank network checks its BANK profile"
    )
    bank_network_check_any_day: bool = Field(
        False, description="Check the bank network on every day, not only Finnish banking days (demos)"
    )

    inbound_workflow_id: str = Field(
        "maventa-inbox",
        description="Workflow id of the inbox sweep: one per Maventa vendor key and namespace",
    )
    inbound_backstop_s: float = Field(
        900.0, description="The inbox sweep reads Maventa's queue at least this often, webhook or not"
    )
    inbound_invoices_per_activity: int = Field(
        50, description="Companies' received invoices are packed into import activities of about this many"
    )
    inbound_invoices_per_round: int = Field(
        500, description="At most this many queued invoices per sweep round"
    )
    inbound_heartbeat_timeout_s: float = Field(
        5.0, description="An import whose worker was lost mid-batch is retried after this long"
    )
    inbound_import_attempts: int = Field(
        5, description="Attempts of one import activity before its invoices wait for a later round"
    )
    inbound_recheck_after_s: float = Field(
        90.0, description="After an uncertain Netvisor answer, wait this long before looking the invoice up"
    )
    inbound_webhook_coalesce_s: float = Field(
        0.5,
        description="Webhook notices within this window wake the inbox sweep once, and an invoice's delivery "
        "check at most twice (per API process)",
    )
    sales_invoice_first_check_s: float = Field(
        60.0, description="Without a webhook, a sent invoice's delivery is first checked after this long"
    )
    sales_invoice_longest_check_interval_s: float = Field(
        21600.0, description="The delivery check interval doubles up to this"
    )
    sales_invoice_tracking_days: float = Field(
        14.0, description="A sent invoice with no outcome after this many days is reported UNCONFIRMED"
    )
    price_list_path: Path | None = Field(
        None, description="TOML price list for service billing; default the shipped illustrative sample"
    )

    metrics_port: int = 9464
    workers: int = Field(
        1,
        ge=1,
        description="Worker processes `make run` starts on the one task queue (`make run WORKERS=2`); the "
        "n-th serves its metrics on METRICS_PORT + n - 1",
    )
    log_level: str = "INFO"

    temporal_ui_origin: str = Field(
        "",
        description="Origins (scheme://host[:port], comma-separated) of the Temporal UI, the only sites "
        "whose browsers may call the codec endpoint; default http://127.0.0.1:{temporal_ui_port} and "
        "http://localhost:{temporal_ui_port}",
    )
    api_session_cookie_secure: bool | None = Field(
        None,
        description="Send the support session cookie (codec UI) over https only; default true in production, "
        "false in dev",
    )
    api_trusted_proxies: str = Field(
        "",
        description="Addresses (comma-separated IPs or networks, e.g. 10.0.0.0/8) of the TLS proxies whose "
        "X-Forwarded-For/-Proto the API believes; empty believes none",
    )
    api_docs: bool | None = Field(
        None,
        description="Serve /openapi.json, /docs and /redoc to anyone; by default in dev, not in production",
    )
    api_max_body_bytes: int = Field(
        16 * 1024 * 1024,
        description="Largest request body of any route: a sales invoice with its attachments (413 above it); "
        "smaller routes have smaller limits (docs/security.md)",
    )

    worker_max_cached_workflows: int = Field(
        500,
        description="Workflows the worker keeps in memory (about 0.2 MB each); evicted ones replay their "
        "history on their next task",
    )
    worker_max_concurrent_workflow_tasks: int = Field(100, description="Workflow task slots per worker")
    worker_max_concurrent_activities: int = Field(100, description="Activity slots per worker")
    worker_graceful_shutdown_s: float = Field(
        10.0, description="Seconds running activities get to finish when the worker is told to stop"
    )

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def session_cookie_secure(self) -> bool:
        if self.api_session_cookie_secure is not None:
            return self.api_session_cookie_secure
        return self.is_production

    @property
    def temporal_ui_origins(self) -> list[str]:
        """The Temporal UI calls the codec endpoint from the browser (§10), so its origins need CORS."""
        configured = [origin.strip() for origin in self.temporal_ui_origin.split(",") if origin.strip()]
        return configured or [f"http://{host}:{self.temporal_ui_port}" for host in ("127.0.0.1", "localhost")]

    @property
    def store_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'service.db'}"

    @property
    def webhook_base_url(self) -> str:
        return self.api_public_url or f"http://{self.bind_host}:{self.api_port}"

    @property
    def maventa_task_queue(self) -> str:
        return self.temporal_maventa_task_queue or f"{self.temporal_task_queue}-maventa"

    @property
    def maventa_activities_per_second(self) -> float | None:
        """The server-side activity rate of the Maventa task queue: the budget's activities a second from each
        of its partitions. The server splits the rate evenly among the partitions, and a burst's activities
        are not spread evenly over them: at the budget itself, a partition whose backlog ran dry left its part
        unused while the others, still full, dispatched only theirs (7 activities a second at the end of a
        1,000-company burst with 150 waiting). The places (clients/pacing.py) keep Maventa's count within the
        budget; this rate only keeps the fleet from taking on far more activities than it can send."""
        if self.maventa_requests_per_second <= 0:
            return None
        per_partition = self.maventa_requests_per_second / self.maventa_requests_per_activity
        return per_partition * self.maventa_task_queue_partitions


@lru_cache
def get_settings() -> Settings:
    return Settings()
