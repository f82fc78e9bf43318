"""`python -m sandbox.maventa`: the sandbox on settings.bind_host:settings.maventa_sandbox_port."""

import logging

import uvicorn

from sandbox.maventa import MaventaSandboxConfig, create_app
from settings import get_settings


def main() -> None:
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=settings.log_level)
    database_url = f"sqlite:///{settings.data_dir / 'maventa-sandbox.db'}"
    app = create_app(MaventaSandboxConfig.from_settings(settings, database_url))
    uvicorn.run(app, host=settings.bind_host, port=settings.maventa_sandbox_port, log_level="warning")


if __name__ == "__main__":
    main()
