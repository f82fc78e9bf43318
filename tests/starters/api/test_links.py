"""The OpenAPI links Netvisor's engineers read: each leads to an operation that exists, fills exactly the
path parameters it needs, and starts from an answer that carries what it takes."""

import re

from settings import Settings
from starters.api.app import create_app

DESCRIPTION = create_app(Settings()).openapi()
OPERATIONS = {
    operation["operationId"]: (method, path)
    for path, methods in DESCRIPTION["paths"].items()
    for method, operation in methods.items()
}
CREATED = "PUT /v1/companies/{company_id}"


def _links() -> list[tuple[str, str, str, dict[str, str]]]:
    return [
        (f"{method.upper()} {path}", status, link["operationId"], link["parameters"])
        for path, methods in DESCRIPTION["paths"].items()
        for method, operation in methods.items()
        for status, answer in operation["responses"].items()
        for link in answer.get("links", {}).values()
    ]


def _answer_fields(source: str, status: str) -> set[str]:
    method, path = source.split(" ", 1)
    reference = DESCRIPTION["paths"][path][method.lower()]["responses"][status]["content"]["application/json"]
    name = reference["schema"]["$ref"].rsplit("/", 1)[-1]
    return set(DESCRIPTION["components"]["schemas"][name]["properties"])


def test_a_created_company_leads_to_every_route_that_names_only_a_company() -> None:
    from_put = {
        OPERATIONS[target][1]
        for source, _, target, _ in _links()
        if source == "PUT /v1/companies/{company_id}"
    }
    company_routes = {
        path for path in DESCRIPTION["paths"] if path.count("{") == 1 and "{company_id}" in path
    } - {"/v1/companies/{company_id}"}
    assert from_put == company_routes


def test_every_link_fills_its_targets_path_parameters_from_what_the_source_has() -> None:
    links = _links()
    assert len(links) > 30
    for source, status, target, parameters in links:
        _, target_path = OPERATIONS[target]
        assert set(parameters) == set(re.findall(r"{(\w+)}", target_path)), (source, target)
        source_path = source.split(" ", 1)[1]
        for expression in parameters.values():
            if expression.startswith("$request.path."):
                assert f"{{{expression.removeprefix('$request.path.')}}}" in source_path, (source, expression)
            else:
                first_field = expression.removeprefix("$response.body#/").split("/")[0]
                assert first_field in _answer_fields(source, status), (source, expression)
