"""`python -m starters.api`: serve the API with uvicorn on settings.bind_host:settings.api_port."""

import uvicorn

from observability.redaction import setting_secrets
from settings import get_settings
from starters.api.app import create_app
from workers.logs import configure_logging

if __name__ == "__main__":
    settings = get_settings()
    configure_logging(settings.log_level, secrets=setting_secrets(settings))
    uvicorn.run(
        create_app(settings),
        host=settings.bind_host,
        port=settings.api_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
