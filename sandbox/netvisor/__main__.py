"""`python -m sandbox.netvisor`: serve the sandbox on settings.bind_host:settings.netvisor_sandbox_port."""

import uvicorn

from sandbox.netvisor.app import create_app
from sandbox.netvisor.config import NetvisorSandboxConfig
from settings import get_settings


def main() -> None:
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    database_url = f"sqlite:///{settings.data_dir / 'netvisor-sandbox.db'}"
    app = create_app(NetvisorSandboxConfig.from_settings(settings, database_url))
    uvicorn.run(
        app,
        host=settings.bind_host,
        port=settings.netvisor_sandbox_port,
        log_level=settings.log_level.lower(),
    )


if __name__ == "__main__":
    main()
