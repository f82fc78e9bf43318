"""Maventa's failures as Temporal sees them: 4xx will fail again (non-retryable), 5xx/429/timeouts will pass.

Messages name what was being done and Maventa's own message; the client never puts a key into either.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from temporalio.exceptions import ApplicationError

from clients.maventa import MaventaError, MaventaRequestError, MaventaUnavailable


@contextmanager
def maventa_failures(doing: str) -> Iterator[None]:
    """Translate MaventaErrors raised inside `with maventa_failures("creating the company"):`."""
    try:
        yield
    except MaventaRequestError as error:
        raise ApplicationError(
            f"Maventa refused {doing}: {error.message}", type=type(error).__name__, non_retryable=True
        ) from None
    except MaventaUnavailable as error:
        delay = timedelta(seconds=error.retry_after_s) if error.retry_after_s else None
        raise ApplicationError(
            f"Maventa was unavailable while {doing}: {error.message}",
            type=type(error).__name__,
            next_retry_delay=delay,
        ) from None
    except MaventaError as error:
        raise ApplicationError(
            f"Maventa failed while {doing}: {error.message}",
            type=type(error).__name__,
            non_retryable=not error.retryable,
        ) from None
