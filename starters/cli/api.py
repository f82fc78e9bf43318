"""The support API as the CLI calls it: the support token and agent id on every request, and every failure
turned into an exit code with a message a person can act on."""

from dataclasses import dataclass
from typing import Any

import httpx

OK = 0
REFUSED = 1
USAGE = 2
UNREACHABLE = 3

TIMEOUT_S = 60.0
"""Release and retry wait up to about 20 s for Maventa before answering; this leaves room for that."""


class CliFailure(Exception):
    """Stops the command with `exit_code` after printing `message`."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


@dataclass(frozen=True)
class SupportApi:
    base_url: str
    token: str
    support_user: str

    def call(
        self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None
    ) -> tuple[int, Any]:
        """(status, body) of a 2xx answer; a CliFailure for anything else."""
        headers = {"Authorization": f"Bearer {self.token}", "X-Support-User": self.support_user}
        try:
            with httpx.Client(base_url=self.base_url, timeout=TIMEOUT_S) as client:
                response = client.request(method, path, json=json, params=params, headers=headers)
        except httpx.ConnectError:
            raise CliFailure(
                f"Cannot reach the API at {self.base_url} (connection refused). Is the service running "
                "(`make run`)? Set MAVENTA_API_URL or --api-url if it is elsewhere.",
                UNREACHABLE,
            ) from None
        except httpx.TimeoutException:
            raise CliFailure(
                f"The API at {self.base_url} did not answer within {TIMEOUT_S:.0f} s; try again shortly.",
                UNREACHABLE,
            ) from None
        except httpx.HTTPError as error:
            raise CliFailure(f"Calling the API at {self.base_url} failed: {error}", UNREACHABLE) from None
        body = _body(response)
        if response.is_success:
            return response.status_code, body
        message = _error_message(response, body)
        raise CliFailure(message, UNREACHABLE if response.status_code >= 500 else REFUSED)


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _error_message(response: httpx.Response, body: Any) -> str:
    """The API's own message (it says what to do), with its status and code for reference."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("message"):
        return f"{error['message']} ({response.status_code} {error.get('code', '')})".replace(" )", ")")
    return f"The API answered {response.status_code} {response.reason_phrase}."
