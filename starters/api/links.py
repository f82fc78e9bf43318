"""How the API's operations follow one another, as OpenAPI links in /openapi.json.

A company that `PUT /v1/companies/{company_id}` accepted, or the first one support's list shows, is the
one every other company route names; a sales invoice accepted by its POST is the one its GET reads; a
quarantined invoice listed is the one its retry takes. Netvisor's engineers read the chain in the
description; the stateful fuzz (tests/starters/api) follows it, so its requests reach real companies and
invoices instead of ids nobody created.
"""

from typing import Any

COMPANY_CREATED = ("put", "/v1/companies/{company_id}", "202")
COMPANIES_LISTED = ("get", "/v1/support/companies", "200")
SALES_INVOICE_ACCEPTED = ("post", "/v1/companies/{company_id}/sales-invoices", "202")
QUARANTINE_LISTED = ("get", "/v1/support/companies/{company_id}/quarantine", "200")
SALES_INVOICE = ("get", "/v1/companies/{company_id}/sales-invoices/{invoice_key}")
QUARANTINE_RETRY = ("post", "/v1/support/companies/{company_id}/quarantine/{invoice_id}/retry")


def with_links(schema: dict[str, Any]) -> dict[str, Any]:
    """The API's OpenAPI description with the links above added to the answers they start from."""
    operations = {
        (method, path): operation
        for path, methods in schema.get("paths", {}).items()
        for method, operation in methods.items()
    }
    company_routes = [
        operation["operationId"]
        for (method, path), operation in operations.items()
        if (method, path) != COMPANY_CREATED[:2] and _names_only_the_company(path)
    ]
    for source, company_id in (
        (COMPANY_CREATED, "$response.body#/company_id"),
        (COMPANIES_LISTED, "$response.body#/companies/0/company_id"),
    ):
        _link(operations, source, {target: {"company_id": company_id} for target in company_routes})
    _link(
        operations,
        SALES_INVOICE_ACCEPTED,
        {
            operations[SALES_INVOICE]["operationId"]: {
                "company_id": "$request.path.company_id",
                "invoice_key": "$response.body#/invoice_key",
            }
        },
    )
    _link(
        operations,
        QUARANTINE_LISTED,
        {
            operations[QUARANTINE_RETRY]["operationId"]: {
                "company_id": "$request.path.company_id",
                "invoice_id": "$response.body#/invoices/0/id",
            }
        },
    )
    return schema


def _names_only_the_company(path: str) -> bool:
    return "{company_id}" in path and path.count("{") == 1


def _link(
    operations: dict[tuple[str, str], dict[str, Any]],
    source: tuple[str, str, str],
    targets: dict[str, dict[str, str]],
) -> None:
    method, path, status = source
    answer = operations[(method, path)]["responses"][status]
    answer["links"] = {
        operation_id: {"operationId": operation_id, "parameters": parameters}
        for operation_id, parameters in sorted(targets.items())
    }
