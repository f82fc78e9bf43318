"""Maventa's published OpenAPI (contracts/maventa/) as checks: operations, scopes, requests and answers.

openapi-core validates parameters, bodies and answers against the OpenAPI 3.0.1 document, unknown body fields
included. Two things it does not check are added here from the same document: OAuth2 scopes (a token's granted
scopes, with the aliases the document defines, must cover the operation's) and query parameters the operation
does not declare. What the document leaves open is listed in `UNDESCRIBED_BODIES` with the reason.
"""

import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import yaml
from jsonschema_path import SchemaPath
from openapi_core import V30RequestValidator, V30ResponseValidator
from openapi_core.datatypes import RequestParameters
from openapi_core.security.exceptions import SecurityProviderError
from openapi_core.security.factories import SecurityProviderFactory
from openapi_core.security.providers import BaseProvider
from openapi_schema_validator import OAS30Validator
from python_multipart.multipart import MultipartParser, parse_options_header
from werkzeug.datastructures import Headers, ImmutableMultiDict

SPEC_FILE = Path(__file__).parent / "maventa" / "maventa-peppol.yaml"
COMPANY_AUTH = "company_auth"
ERROR_SCHEMA = "API_Entities_Error"
# The description: "Errors are presented using the HTTP status codes 400-599" with `{code, message, details}`,
# for any endpoint; the operations document only some of them.
_ALIAS = re.compile(r"Alias for ([a-z:_, ]+)")
# Invoice details in a document format come back as the document itself, not as the JSON details the operation
# describes (docs/facts/maventa.md §2.2); the OpenAPI lists only json and xml renderings of the details.
DOCUMENT_RETURN_FORMATS_EXCEPT = frozenset({"EXTENDED_DETAILS"})


@dataclass(frozen=True)
class Operation:
    """One operation of the document, as the service relies on it."""

    method: str
    path: str
    operation_id: str
    scopes: frozenset[str]
    needs_token: bool
    query: frozenset[str]
    pattern: re.Pattern[str] = field(compare=False, repr=False)

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class Call:
    """One HTTP exchange as it crossed the wire; the answer fields stay empty for a request alone."""

    method: str
    url: str
    request_headers: Mapping[str, str]
    request_body: bytes = b""
    status: int | None = None
    response_headers: Mapping[str, str] = field(default_factory=dict)
    response_body: bytes = b""

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def query(self) -> list[tuple[str, str]]:
        return parse_qsl(urlsplit(self.url).query, keep_blank_values=True)


class _Bearer(BaseProvider):
    """An OAuth2 operation needs `Authorization: Bearer <token>`; which scopes it carries is checked apart."""

    def __call__(self, parameters: RequestParameters) -> Any:
        scheme, _, token = str(parameters.header.get("Authorization", "")).partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise SecurityProviderError("Missing bearer token.")
        return token


class _Providers(SecurityProviderFactory):
    def create(self, scheme: SchemaPath) -> Any:
        if (scheme / "type").read_str() == "oauth2":
            return _Bearer(scheme)
        return super().create(scheme)


def _multipart_loads(value: bytes, **parameters: str) -> ImmutableMultiDict[str, Any]:
    """Form fields as text, files as bytes, read with python-multipart: openapi-core's own reader keeps
    every part as bytes, which its casts to a field's type (`no_vat` boolean) do not read, and goes through
    the e-mail parser (0.2 s for a 200 kB upload)."""
    fields: list[tuple[str, Any]] = []
    part: dict[str, Any] = {}

    def on_part_begin() -> None:
        part.clear()
        part.update(headers={}, data=bytearray(), field=b"", value=b"")

    def on_header_field(data: bytes, start: int, end: int) -> None:
        part["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        part["value"] += data[start:end]

    def on_header_end() -> None:
        part["headers"][part["field"].decode("latin-1").lower()] = part["value"].decode("latin-1")
        part["field"], part["value"] = b"", b""

    def on_part_data(data: bytes, start: int, end: int) -> None:
        part["data"] += data[start:end]

    def on_part_end() -> None:
        _, options = parse_options_header(part["headers"].get("content-disposition", ""))
        name = options.get(b"name", b"").decode("utf-8")
        data = bytes(part["data"])
        fields.append((name, data if b"filename" in options else data.decode("utf-8")))

    parser = MultipartParser(
        parameters.get("boundary", "").strip('"'),
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    parser.write(value)
    parser.finalize()
    return ImmutableMultiDict(fields)


def form_fields(body: bytes, content_type: str) -> ImmutableMultiDict[str, Any]:
    """The fields of a form body, urlencoded or multipart; none for any other content type."""
    mimetype, _, rest = content_type.partition(";")
    if mimetype.strip().lower() == "application/x-www-form-urlencoded":
        return ImmutableMultiDict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    if mimetype.strip().lower() == "multipart/form-data":
        parameters = dict(p.strip().partition("=")[::2] for p in rest.split(";") if "=" in p)
        return _multipart_loads(body, boundary=parameters.get("boundary", ""))
    return ImmutableMultiDict()


class _Request:
    """openapi-core's request protocol over a recorded call."""

    def __init__(self, call: Call) -> None:
        parts = urlsplit(call.url)
        self.host_url = f"{parts.scheme}://{parts.netloc}"
        self.path = parts.path
        self.method = call.method.lower()
        self.body = call.request_body or None
        headers = Headers(list(call.request_headers.items()))
        self.content_type = headers.get("content-type", "")
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(call.query), header=headers, cookie=ImmutableMultiDict()
        )


class _Response:
    def __init__(self, call: Call) -> None:
        assert call.status is not None
        self.status_code = call.status
        self.headers = Headers(list(call.response_headers.items()))
        self.content_type = self.headers.get("content-type", "")
        self.data = call.response_body


def _template_pattern(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path)) + "$")


def _problem(call: Call, error: Exception) -> str:
    """One line per openapi-core error: its distinct causes, the first few, each shortened."""
    causes = list(dict.fromkeys(str(e).splitlines()[0][:200] for e in _causes(error))) or [str(error)]
    more = f" (and {len(causes) - 3} more)" if len(causes) > 3 else ""
    return f"{call.method} {call.path}: {type(error).__name__}: {'; '.join(causes[:3])}{more}"


def _causes(error: BaseException) -> Iterator[BaseException]:
    """openapi-core wraps the schema errors that say what is wrong; show those, not the wrapper."""
    inner = getattr(error, "schema_errors", None) or getattr(error, "errors", None)
    if inner:
        for each in inner:
            yield from _causes(each)
    elif error.__cause__ is not None:
        yield from _causes(error.__cause__)
    else:
        yield error


class MaventaContract:
    """The document's operations and the checks the client's tests and the sandbox run."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self._strict = _closed_objects(document)
        self._validators: dict[Operation, tuple[V30RequestValidator, V30ResponseValidator]] = {}
        # Strict like the answers' own schemas: no field the document does not name.
        error = document["components"]["schemas"][ERROR_SCHEMA]
        self._error = OAS30Validator({**error, "additionalProperties": False})
        self.operations = tuple(self._read_operations())
        # Literal paths first: `/v1/invoices/reports/definitions` is not `/v1/invoices/{id}`.
        self._by_specificity = sorted(self.operations, key=lambda o: o.path.count("{"))
        self.aliases = self._read_aliases()

    def strict_operation(self, operation: Operation) -> dict[str, Any]:
        """The operation with its references inlined and its object schemas closed to unnamed fields."""
        return _inlined(self._strict["paths"][operation.path][operation.method.lower()], self._strict)

    def _validators_of(self, operation: Operation) -> tuple[V30RequestValidator, V30ResponseValidator]:
        """openapi-core over a document of this one operation: finding the path among 96 cost 5 ms a call."""
        if operation not in self._validators:
            method = operation.method.lower()
            alone = {
                **{k: v for k, v in self._strict.items() if k != "components"},
                "components": {"securitySchemes": self._strict["components"]["securitySchemes"]},
                "paths": {operation.path: {method: self.strict_operation(operation)}},
            }
            spec = SchemaPath.from_dict(alone)
            self._validators[operation] = (
                V30RequestValidator(
                    spec,
                    security_provider_factory=_Providers(),
                    extra_media_type_deserializers={"multipart/form-data": _multipart_loads},
                ),
                V30ResponseValidator(spec),
            )
        return self._validators[operation]

    def _read_operations(self) -> Iterator[Operation]:
        for path, item in self.document["paths"].items():
            for method, operation in item.items():
                if method not in {"get", "post", "put", "patch", "delete"}:
                    continue
                requirements = operation.get("security") or []
                scopes = frozenset(
                    scope for requirement in requirements for scope in requirement.get(COMPANY_AUTH, [])
                )
                yield Operation(
                    method=method.upper(),
                    path=path,
                    operation_id=operation["operationId"],
                    scopes=scopes,
                    needs_token=bool(requirements),
                    query=frozenset(
                        p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"
                    ),
                    pattern=_template_pattern(path),
                )

    def _read_aliases(self) -> dict[str, frozenset[str]]:
        """`eui`, `global`, `company`: the scope descriptions say which scopes each stands for."""
        flows = self.document["components"]["securitySchemes"][COMPANY_AUTH]["flows"]
        aliases = {}
        for scope, description in flows["clientCredentials"]["scopes"].items():
            found = _ALIAS.search(description)
            if found:
                aliases[scope] = frozenset(s.strip() for s in found.group(1).split(",") if s.strip())
        return aliases

    @property
    def scopes(self) -> frozenset[str]:
        flows = self.document["components"]["securitySchemes"][COMPANY_AUTH]["flows"]
        return frozenset(flows["clientCredentials"]["scopes"])

    def find(self, method: str, path: str) -> Operation | None:
        method = method.upper()
        for operation in self._by_specificity:
            if operation.method == method and operation.pattern.match(path):
                return operation
        return None

    def path_exists(self, path: str) -> bool:
        return any(operation.pattern.match(path) for operation in self.operations)

    def granted(self, scope: str) -> frozenset[str]:
        """A token's scope string with every alias expanded; an alias also grants its own name."""
        granted: set[str] = set()
        pending = scope.split()
        while pending:
            name = pending.pop()
            if name not in granted:
                granted.add(name)
                pending.extend(self.aliases.get(name, ()))
        return frozenset(granted)

    def missing_scopes(self, operation: Operation, granted_scope: str) -> frozenset[str]:
        """Every scope the operation lists (an OAuth2 requirement needs all of them) that the token lacks."""
        return operation.scopes - self.granted(granted_scope)

    def request_problems(self, call: Call) -> list[str]:
        """What in the request leaves the document: path, method, parameters, body, content type, bearer."""
        operation = self.find(call.method, call.path)
        if operation is None:
            return [f"{call.method} {call.path}: no such operation in Maventa's OpenAPI"]
        requests, _ = self._validators_of(operation)
        problems = [_problem(call, e) for e in requests.iter_errors(_Request(call))]
        problems += [
            f"{operation.name}: query parameter {name!r} is not in the operation"
            for name in sorted({name for name, _ in call.query} - operation.query)
        ]
        return problems + self._unknown_form_fields(operation, call)

    def _unknown_form_fields(self, operation: Operation, call: Call) -> list[str]:
        """openapi-core reads only the fields a form's schema names; one it does not name is an error too."""
        content_type = Headers(list(call.request_headers.items())).get("content-type", "")
        body = self.document["paths"][operation.path][operation.method.lower()].get("requestBody", {})
        media = body.get("content", {}).get(content_type.partition(";")[0].strip())
        if not media or not call.request_body:
            return []
        named = set(media.get("schema", {}).get("properties", {}))
        return [
            f"{operation.name}: form field {name!r} is not in the operation"
            for name in sorted(set(form_fields(call.request_body, content_type)) - named)
        ]

    def response_problems(self, call: Call) -> list[str]:
        """What in the answer leaves the document: an undocumented success status, a body off its schema."""
        assert call.status is not None
        operation = self.find(call.method, call.path)
        if operation is None:
            if call.status >= 400:
                return self._error_problems(call)
            return [
                f"{call.method} {call.path}: answered {call.status}, but it is no operation of the OpenAPI"
            ]
        responses = self.document["paths"][operation.path][operation.method.lower()]["responses"]
        documented = responses.get(str(call.status))
        if documented is None:
            if call.status >= 400:
                return self._error_problems(call)
            return [f"{operation.name}: status {call.status} is not documented"]
        if not documented.get("content") or self._is_document(operation, call):
            return []
        _, responses = self._validators_of(operation)
        return [_problem(call, e) for e in responses.iter_errors(_Request(call), _Response(call))]

    def _error_problems(self, call: Call) -> list[str]:
        try:
            body = json.loads(call.response_body)
        except ValueError:
            return [f"{call.method} {call.path}: error {call.status} without a JSON body"]
        return [
            f"{call.method} {call.path}: error {call.status} body: {e.message}"
            for e in self._error.iter_errors(body)
        ]

    @staticmethod
    def _is_document(operation: Operation, call: Call) -> bool:
        formats = [value for name, value in call.query if name == "return_format"]
        return (
            operation.path == "/v1/invoices/{id}"
            and bool(formats)
            and formats[0] not in DOCUMENT_RETURN_FORMATS_EXCEPT
        )


def _closed_objects(node: Any) -> Any:
    """A copy in which every object schema with properties allows no others (`additionalProperties: false`),
    so a field the document does not name fails; openapi-core's own switch for this rebuilds a validator class
    on every call."""
    if isinstance(node, list):
        return [_closed_objects(item) for item in node]
    if not isinstance(node, dict):
        return node
    copy = {key: _closed_objects(value) for key, value in node.items()}
    if isinstance(copy.get("properties"), dict) and "additionalProperties" not in copy:
        copy["additionalProperties"] = False
    return copy


def _inlined(node: Any, document: dict[str, Any]) -> Any:
    """`$ref`s replaced by what they point to (the document has no cycles): openapi-core resolves each
    reference again on every call otherwise."""
    if isinstance(node, list):
        return [_inlined(item, document) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return _inlined(target, document)
    return {key: _inlined(value, document) for key, value in node.items()}


def _form_fields_typed(document: dict[str, Any]) -> None:
    """Multipart fields as the Swagger 2.0 original means them: `formData` parameters, text cast to their
    type. The conversion to OpenAPI 3 dropped that, leaving a boolean field that no multipart request can
    carry (every part is text); an `encoding` of style form for each non-text field says it again."""
    for item in document["paths"].values():
        for operation in item.values():
            media = operation.get("requestBody", {}).get("content", {}).get("multipart/form-data")
            if not media:
                continue
            properties = media.get("schema", {}).get("properties", {})
            typed = [
                name for name, schema in properties.items() if schema.get("type") not in ("string", None)
            ]
            if typed:
                media["encoding"] = {name: {"style": "form", "explode": True} for name in typed}


def load_document() -> dict[str, Any]:
    """The OpenAPI 3.0.1 file as published, served from wherever the API is (sandbox, stage, production)."""
    with SPEC_FILE.open(encoding="utf-8") as spec:
        document: dict[str, Any] = yaml.load(spec, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    document["servers"] = [{"url": "/"}]
    _form_fields_typed(document)
    return document


@functools.cache
def maventa_contract() -> MaventaContract:
    """Loaded once per process (0.1 s); read-only after."""
    return MaventaContract(load_document())
