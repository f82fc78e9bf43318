"""The API process's one set of store sessions, opened on first use and shared through app.state."""

from fastapi import Request

from settings import Settings
from store.database import Sessions


def store_sessions(request: Request) -> Sessions:
    sessions: Sessions | None = getattr(request.app.state, "sessions", None)
    if sessions is None:
        settings: Settings = request.app.state.settings
        sessions = request.app.state.sessions = Sessions.for_url(settings.store_url)
    return sessions
