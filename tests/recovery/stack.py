"""One service for every fault of issue 23, started as `make run WORKERS=2` starts it, on PostgreSQL.

The differences from the reliability package's stack (tests/reliability/stack.py, whose user-side helpers this
reuses) are what the faults need to mean something:

- two worker processes on the one task queue, so a killed worker's work has somewhere to go;
- the inbox sweep as the worker starts it, with the production's pacing (its 15-minute backstop, the import's
  timeouts and retries): recovery that waited for the backstop would miss the settle deadlines;
- the store on PostgreSQL (a scratch schema) behind a link the test can cut (tests/recovery/store_link.py).

Only the checks that must fit in a test are shortened: the sandbox confirms and delivers after 1 s, Netvisor
may show an uncertain import after 3 s (`INBOUND_RECHECK_AFTER_S`, 90 s in production), and a sales invoice
whose delivery webhook was lost is first looked up after 5 s.
"""

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url
from temporalio.api.enums.v1 import PendingActivityState

from bench.harness import loopback_environment, started
from devstack.children import ChildProcess
from devstack.stack import DevStack
from settings import Settings
from starters.inbound import start_inbox
from store.database import Sessions
from store.scratch import scratch_schema
from tests.recovery.store_link import StoreLink
from tests.reliability.stack import NETVISOR_TOKEN, SUPPORT_TOKEN, WEBHOOK_SECRET, Service

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
WORKERS = 2
PENDING_ACTIVITY_STATE_STARTED = PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
ENVIRONMENT = {
    "LOG_LEVEL": "ERROR",
    "WORKERS": str(WORKERS),
    "API_NETVISOR_TOKEN": NETVISOR_TOKEN,
    "API_SUPPORT_TOKEN": SUPPORT_TOKEN,
    "API_WEBHOOK_SECRET": WEBHOOK_SECRET,
    "SANDBOX_BANK_CONFIRM_SECONDS": "1",
    "SANDBOX_DELIVERY_SECONDS": "1",
    "BANK_NETWORK_CHECK_SECONDS": "1",
    "BANK_NETWORK_CHECK_ANY_DAY": "true",
    "INBOUND_RECHECK_AFTER_S": "3",
    "SALES_INVOICE_FIRST_CHECK_S": "5",
    "SALES_INVOICE_LONGEST_CHECK_INTERVAL_S": "10",
    "WORKER_GRACEFUL_SHUTDOWN_S": "2",
}


@dataclass
class Recovering(Service):
    """The reliability package's service, with a fleet of workers and a store whose link can be cut."""

    store_link: StoreLink | None = field(default=None)

    async def busy_worker(self, workflow_ids: list[str]) -> ChildProcess | None:
        """The worker process running an activity of one of these workflows now, if any: the one to kill."""
        by_pid = {str(worker.pid): worker for worker in self.devstack.workers}
        for workflow_id in workflow_ids:
            description = await self.client.get_workflow_handle(workflow_id).describe()
            for pending in description.raw_description.pending_activities:
                pid = pending.last_worker_identity.split("@")[0]
                if pending.state == PENDING_ACTIVITY_STATE_STARTED and pid in by_pid:
                    return by_pid[pid]
        return None

    @staticmethod
    async def kill_and_restart(worker: ChildProcess, down_s: float) -> None:
        """SIGKILL (the process and all it holds gone at once), then a supervisor starts it again."""
        os.killpg(worker.pid, signal.SIGKILL)
        await worker.wait()
        await asyncio.sleep(down_s)
        await worker.start()

    async def kill_api(self) -> None:
        """SIGKILL to the API: requests under way get no answer, the notices it held back are lost."""
        os.killpg(self.devstack.api.pid, signal.SIGKILL)
        await self.devstack.api.wait()

    def cut_store(self) -> None:
        assert self.store_link is not None
        self.store_link.cut()

    def restore_store(self) -> None:
        assert self.store_link is not None
        self.store_link.restore()


@asynccontextmanager
async def recovering_service(folder: Path) -> AsyncIterator[Recovering]:
    with scratch_schema(POSTGRES_URL) as direct_url:
        direct = make_url(direct_url)
        link = StoreLink(direct.host or "127.0.0.1", direct.port or 5432)
        linked = direct.set(host="127.0.0.1", port=link.port).render_as_string(hide_password=False)
        values = (
            loopback_environment(folder)
            | ENVIRONMENT
            | {"SECRETS_KEY": Fernet.generate_key().decode("ascii"), "DATABASE_URL": linked}
        )
        settings = Settings.model_validate({name.lower(): value for name, value in values.items()})
        devstack = DevStack(settings)
        devstack.env.update(values)
        # The test reads the store straight from PostgreSQL: a cut link is the service's fault only.
        sessions = Sessions.for_url(direct_url)
        service = partial(Recovering, sessions=sessions, data_dir=folder, store_link=link)
        try:
            async with started(settings, devstack, start_inbox, service) as running:
                yield running
        finally:
            sessions.dispose()
            link.close()
