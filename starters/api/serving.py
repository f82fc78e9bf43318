"""How uvicorn serves the API: bind address, and which proxies' X-Forwarded-* headers are believed.

uvicorn believes X-Forwarded-For/-Proto from 127.0.0.1 unless told otherwise; the API believes them only from
the proxies named in API_TRUSTED_PROXIES, and from nobody when it is empty.
"""

import uvicorn
from fastapi import FastAPI

from settings import Settings

GRACEFUL_SHUTDOWN_S = 10


def trusted_proxies(settings: Settings) -> list[str]:
    return [entry.strip() for entry in settings.api_trusted_proxies.split(",") if entry.strip()]


def server_config(app: FastAPI, settings: Settings) -> uvicorn.Config:
    proxies = trusted_proxies(settings)
    return uvicorn.Config(
        app,
        host=settings.bind_host,
        port=settings.api_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies,
    )
