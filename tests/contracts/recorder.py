"""Every Maventa exchange of a test, recorded on the wire and checked against Maventa's OpenAPI.

`ContractRecorder` is a pair of httpx event hooks. The client's requests are checked (path, method,
parameters, body, content type, bearer, and that the token asked for the scopes the operation lists) and so is
every answer the sandbox gives (status documented or an error in Maventa's error shape, body on its schema).
With `strict`, the first problem raises at the call that caused it, so the test that made it fails there.
"""

from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import httpx

from contracts.maventa_openapi import Call, MaventaContract, maventa_contract

CONTROL_PREFIX = "/_sandbox"
# FastAPI's pages describing the sandbox itself (sandbox/maventa/contract.py lets them through too).
SANDBOX_PAGES = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})


class ContractViolation(AssertionError):
    """A request or an answer that leaves Maventa's published contract."""


@dataclass
class Recorded:
    call: Call
    operation: str | None
    token_scope: str | None
    problems: list[str]


@dataclass
class ContractRecorder:
    """Checks requests when `requests` is set (the client's), answers always (the sandbox's)."""

    requests: bool = True
    strict: bool = True
    contract: MaventaContract = field(default_factory=maventa_contract)
    calls: list[Recorded] = field(default_factory=list)
    token_scopes: dict[str, str] = field(default_factory=dict)

    def hooks(self) -> dict[str, list[object]]:
        return {"response": [self.on_response]}

    def client(self, **kwargs: object) -> httpx.AsyncClient:
        return httpx.AsyncClient(event_hooks=self.hooks(), **kwargs)  # type: ignore[arg-type]

    async def on_response(self, response: httpx.Response) -> None:
        request = response.request
        if request.url.path.startswith(CONTROL_PREFIX) or request.url.path in SANDBOX_PAGES:
            return
        await response.aread()
        call = Call(
            method=request.method,
            url=str(request.url),
            request_headers=dict(request.headers),
            request_body=await request.aread(),
            status=response.status_code,
            response_headers=dict(response.headers),
            response_body=response.content,
        )
        self._check(call)

    def _check(self, call: Call) -> None:
        operation = self.contract.find(call.method, call.path)
        scope = self._scope_of(call)
        problems = self.contract.response_problems(call)
        if self.requests:
            problems = self.contract.request_problems(call) + problems
            if operation is not None and operation.needs_token:
                if scope is None:
                    problems.append(f"{operation.name}: made with a token this test never saw issued")
                else:
                    problems += [
                        f"{operation.name}: the token did not ask for scope {missing}"
                        for missing in sorted(self.contract.missing_scopes(operation, scope))
                    ]
        self._note_token(call)
        self.calls.append(Recorded(call, operation.name if operation else None, scope, problems))
        if problems and self.strict:
            raise ContractViolation("\n".join(problems))

    def _scope_of(self, call: Call) -> str | None:
        scheme, _, token = call.request_headers.get("authorization", "").partition(" ")
        return self.token_scopes.get(token) if scheme.lower() == "bearer" else None

    def _note_token(self, call: Call) -> None:
        """The scopes a token was asked for, by the access token the answer carried."""
        if call.path != "/oauth2/token" or call.status != 200:
            return
        asked = dict(parse_qsl(call.request_body.decode("utf-8"))).get("scope", "")
        answer = httpx.Response(200, content=call.response_body).json()
        self.token_scopes[str(answer["access_token"])] = asked

    @property
    def problems(self) -> list[str]:
        return [problem for recorded in self.calls for problem in recorded.problems]

    @property
    def operations(self) -> set[str]:
        return {recorded.operation for recorded in self.calls if recorded.operation is not None}

    def asked_scopes(self) -> set[str]:
        """Every distinct `scope` the client's token requests asked for."""
        return {
            dict(parse_qsl(r.call.request_body.decode("utf-8"))).get("scope", "")
            for r in self.calls
            if r.call.path == "/oauth2/token"
        }
