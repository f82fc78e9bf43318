"""A fast check of one request against its operation in Maventa's OpenAPI, for the sandbox to answer with.

openapi-core (contracts/maventa_openapi.py) checks the tests' recorded requests, at 5-30 ms a request: too
slow for a sandbox that answers bursts of uploads. This check compiles each operation's parameters and body
schemas once into JSON Schema validators (openapi-schema-validator, the validator openapi-core itself uses),
reads the query and form text as the OpenAPI's styles say (comma-separated arrays, typed form fields) and
validates in well under a millisecond. tests/contracts/test_maventa_request_check.py holds it to
openapi-core's verdicts.
"""

import json
from collections.abc import Iterable
from typing import Any

from openapi_schema_validator import OAS30Validator
from werkzeug.datastructures import ImmutableMultiDict

from contracts.maventa_openapi import Call, MaventaContract, Operation, form_fields

FILE = "<file>"
"""A file part reads as text to the schema (`type: string, format: binary`); its bytes are not checked."""


def _typed(value: Any, schema: dict[str, Any]) -> Any:
    """Text of a query parameter or form field as the value its schema describes; left as text when it
    does not read as one, so the validator names the problem."""
    if isinstance(value, bytes):
        return FILE
    kind = schema.get("type")
    try:
        if kind == "integer":
            return int(value)
        if kind == "number":
            return float(value)
    except ValueError:
        return value
    if kind == "boolean" and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _values(
    name: str, schema: dict[str, Any], source: ImmutableMultiDict[str, Any], *, exploded: bool
) -> Any:
    if schema.get("type") == "array":
        items = source.getlist(name) if exploded else str(source[name]).split(",")
        return [_typed(item, schema.get("items", {})) for item in items]
    return _typed(source[name], schema)


def _validator(schema: dict[str, Any]) -> OAS30Validator:
    return OAS30Validator(schema, format_checker=OAS30Validator.FORMAT_CHECKER)


class _OperationCheck:
    def __init__(self, operation: dict[str, Any]) -> None:
        parameters = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
        self._query = {p["name"]: p for p in parameters}
        self._query_validator = _validator(
            {
                "type": "object",
                "properties": {p["name"]: p.get("schema", {}) for p in parameters},
                "required": [p["name"] for p in parameters if p.get("required")],
                "additionalProperties": False,
            }
        )
        body = operation.get("requestBody") or {}
        self._body_required = bool(body.get("required"))
        self._media = {
            media_type: (
                media.get("schema", {}),
                OAS30Validator(media.get("schema", {}), format_checker=OAS30Validator.FORMAT_CHECKER),
            )
            for media_type, media in (body.get("content") or {}).items()
        }

    def problems(self, call: Call) -> Iterable[str]:
        query = ImmutableMultiDict(call.query)
        explodes = {name: parameter.get("explode", True) for name, parameter in self._query.items()}
        instance = {
            name: _values(name, self._query[name].get("schema", {}), query, exploded=explodes[name])
            if name in self._query
            else query[name]
            for name in query
        }
        yield from (f"query: {e.message}" for e in self._query_validator.iter_errors(instance))
        yield from self._body_problems(call)

    def _body_problems(self, call: Call) -> Iterable[str]:
        if not call.request_body:
            if self._body_required:
                yield "the request body is missing"
            return
        content_type = {k.lower(): v for k, v in call.request_headers.items()}.get("content-type", "")
        media_type = content_type.partition(";")[0].strip().lower()
        if media_type not in self._media:
            yield f"content type {media_type or 'none'} is not one of {sorted(self._media)}"
            return
        schema, validator = self._media[media_type]
        if media_type == "application/json":
            try:
                instance = json.loads(call.request_body)
            except ValueError:
                yield "the body is not JSON"
                return
        else:
            fields = form_fields(call.request_body, content_type)
            properties = schema.get("properties", {})
            instance = {
                name: _values(name, properties[name], fields, exploded=True)
                if name in properties
                else fields[name]
                for name in fields
            }
        yield from (f"body: {e.message}" for e in validator.iter_errors(instance))


class RequestCheck:
    """Per-operation checks of a contract, compiled on first use."""

    def __init__(self, contract: MaventaContract) -> None:
        self._contract = contract
        self._checks: dict[Operation, _OperationCheck] = {}

    def problems(self, operation: Operation, call: Call) -> list[str]:
        if operation not in self._checks:
            document = self._contract.strict_operation(operation)
            self._checks[operation] = _OperationCheck(document)
        return [f"{operation.name}: {problem}" for problem in self._checks[operation].problems(call)]
