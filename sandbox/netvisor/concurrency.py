"""Netvisor's one-message-at-a-time rule per customer environment (docs/facts/netvisor.md §1 Concurrency:
"Overlapping messages to the same customer environment cause errors" [C] NV-ERR).

ASSUMPTION: the exact answer is not documented; the sandbox answers the overlapping request with
`TECHNICAL_ERROR` and leaves the first one alone. Requests are told apart by their organisation header.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.netvisor.envelope import NetvisorFailure, failed_response, wants_http_status
from sandbox.netvisor.faults import is_netvisor_resource

ORGANISATION_HEADER = b"x-netvisor-organisation-id"
OVERLAP_MESSAGE = (
    "Another request to the same customer environment is still being processed. "
    "Send one message at a time and wait for the reply."
)


class OneMessageAtATime:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.in_flight: set[str] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not is_netvisor_resource(scope):
            await self.app(scope, receive, send)
            return
        # Resource names seem case-insensitive (docs/facts/netvisor.md §1); the MAC covers the URL as sent.
        scope = {**scope, "path": scope["path"].lower()}
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        organisation = headers.get(ORGANISATION_HEADER.decode(), "").strip()
        if not organisation:
            await self.app(scope, receive, send)
            return
        if organisation in self.in_flight:
            failure = NetvisorFailure("TECHNICAL_ERROR", OVERLAP_MESSAGE)
            response = failed_response(failure, use_http_status=wants_http_status(headers))
            await response(scope, receive, send)
            return
        self.in_flight.add(organisation)

        async def send_then_free_the_slot(message: Message) -> None:
            # The caller may send its next message as soon as it has the whole answer, which can be before
            # this task resumes: the slot is free from the moment the last byte is handed over.
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                self.in_flight.discard(organisation)
            await send(message)

        try:
            await self.app(scope, receive, send_then_free_the_slot)
        finally:
            self.in_flight.discard(organisation)
