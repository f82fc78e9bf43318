"""`python -m starters.api`: serve the API with uvicorn on settings.bind_host:settings.api_port."""

import sys

import uvicorn

from observability.redaction import setting_secrets
from settings import get_settings
from settings.safety import UnsafeSettings
from starters.api.app import create_app
from starters.api.serving import server_config
from workers.logs import configure_logging

if __name__ == "__main__":
    settings = get_settings()
    configure_logging(settings.log_level, secrets=setting_secrets(settings))
    try:
        app = create_app(settings)
    except UnsafeSettings as unsafe:
        print(unsafe, file=sys.stderr)
        raise SystemExit(2) from None
    uvicorn.Server(server_config(app, settings)).run()
