"""Typed Netvisor failures that say whether a retry can help; messages never carry keys."""

# FAILED categories that describe Netvisor's own trouble, not the request (docs/facts/netvisor.md §3).
TRANSIENT_CODES = frozenset({"TECHNICAL_ERROR", "SYSTEM_MAINTANANCE"})


class NetvisorError(Exception):
    def __init__(self, message: str, *, status: int | None, code: str | None, retryable: bool) -> None:
        super().__init__(f"{code}: {message}" if code else message)
        self.message = message
        self.status = status
        self.code = code
        self.retryable = retryable


class NetvisorUnavailable(NetvisorError):
    """Netvisor could not answer (5xx, timeout, dropped connection, maintenance): retry later.

    `uncertain` is True when a change may have been committed all the same; check Netvisor before retrying.
    """

    def __init__(self, message: str, *, status: int | None, code: str | None, uncertain: bool) -> None:
        super().__init__(message, status=status, code=code, retryable=True)
        self.uncertain = uncertain


class NetvisorRejected(NetvisorError):
    """Netvisor answered FAILED: the same request will fail again; `code` says why."""

    def __init__(self, message: str, *, status: int | None, code: str | None) -> None:
        super().__init__(message, status=status, code=code, retryable=False)
