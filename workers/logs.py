"""Structured logs: one JSON object per line, with who it is about and never a secret.

Inside Temporal work each line carries company_id, workflow_id and workflow_type (activity_type in
activities); inside an API request, request_id (observability/log_context.py). Known secret values and
credential-shaped text are masked (observability/redaction.py).
"""

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO, Any

from temporalio import activity, workflow

from observability.log_context import LogContextFilter
from observability.redaction import Redactor

# Attributes every LogRecord has (and uvicorn's terminal colouring); anything else was passed as `extra=`.
_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "color_message",
}


class JsonLineFormatter(logging.Formatter):
    """A record as a JSON line; extras such as request_id, company_id or temporal_workflow are kept."""

    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__()
        self._redactor = redactor or Redactor()

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRIBUTES})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(self._redactor.value(line), default=lambda value: self._redactor.text(str(value)))


def json_log_handler(stream: IO[str], secrets: Iterable[str] = ()) -> logging.Handler:
    """A handler writing JSON lines with the log context, masking the given secret values."""
    handler = logging.StreamHandler(stream)
    handler.addFilter(LogContextFilter())
    handler.setFormatter(JsonLineFormatter(Redactor(secrets)))
    return handler


def configure_logging(level: str, secrets: Iterable[str] = (), stream: IO[str] | None = None) -> None:
    """Send every logger's records to stderr (or `stream`) as JSON lines at the given level.

    Temporal's loggers stop appending their context to the message text: it is in the line's fields instead.
    """
    workflow.logger.workflow_info_on_message = False
    activity.logger.activity_info_on_message = False
    logging.basicConfig(
        level=level.upper(), handlers=[json_log_handler(stream or sys.stderr, secrets)], force=True
    )
