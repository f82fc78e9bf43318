"""Every answer model of the client against the schema it reads in Maventa's OpenAPI: a field whose name or
type differs fails (the way `profile_version: int` would have failed on the first real profile list)."""

from typing import Any

import pytest
from pydantic import BaseModel

from clients import maventa_models as models
from contracts.maventa_openapi import maventa_contract

READS = {
    models.TokenAnswer: "API_Entities_OAuthToken",
    models.ApiUser: "API_Entities_ApiUser",
    models.CreatedCompany: "API_Entities_Company",
    models.CompanyLookup: "Partner_HttpApi_Entities_CompanyLookups",
    models.CompanyInfo: "API_Entities_CompanyParty",
    models.CurrentAccount: "API_Entities_OAuthCurrent",
    models.AuthorizationAnswer: "API_Entities_CompanyAuthorization",
    models.AuthorizationStatus: "API_Entities_CompanyAuthorizationStatus",
    models.VendorLink: "API_Entities_LinkVendorAPIKey",
    models.ProfileEvent: "API_Entities_CompanyProfileEvent",
    models.NetworkProfile: "API_Entities_CompanyProfile",
    models.PostalAddress: "Scan_HttpApi_Entities_PostalAddress",
    models.ScanAddress: "Scan_HttpApi_Entities_ScanAddress",
    models.ScanService: "Scan_HttpApi_Entities_ScanConfiguration",
    models.InvoiceSender: "Invoices_HttpApi_Entities_InvoiceSenderParty",
    models.InvoiceRecipient: "Invoices_HttpApi_Entities_InvoiceRecipientParty",
    models.InvoiceFile: "Invoices_HttpApi_Entities_InvoiceFile",
    models.InvoiceAction: "Invoices_HttpApi_Entities_InvoiceAction",
    models.Invoice: "Invoices_HttpApi_Entities_Invoice",
    models.Notification: "API_Entities_Notifications_Notification",
    models.InvoiceEvent: "Partner_HttpApi_Entities_InvoiceEventsReceived",
}
# Models the client sends or keeps for itself, not answers.
NOT_ANSWERS = {models.MaventaModel, models.MaventaCredentials, models.NewCompany}


def _shape(schema: dict[str, Any], definitions: dict[str, Any]) -> Any:
    """A comparable (type, format, items / referenced schema) of one property, nulls left out."""
    variants = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
    assert len(variants) == 1, schema
    only = variants[0]
    if "$ref" in only:
        return ("object", only["$ref"].rsplit("/", 1)[-1])
    if only.get("type") == "array":
        return ("array", _shape(only.get("items", {}), definitions))
    if only.get("type") == "object":
        return ("object", None)
    # A SecretStr is a string the client keeps out of logs; "password" is pydantic's word for that.
    return (only.get("type"), None if only.get("format") == "password" else only.get("format"))


def _model_fields(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema(mode="validation", ref_template="{model}")
    definitions = schema.get("$defs", {})
    return {name: _shape(prop, definitions) for name, prop in schema["properties"].items()}


def _spec_fields(name: str) -> dict[str, Any]:
    schemas = maventa_contract().document["components"]["schemas"]
    properties = schemas[name]["properties"]
    return {field: _shape(prop, schemas) for field, prop in properties.items()}


def differences(model: type[BaseModel], schema_name: str) -> list[str]:
    """Each field of the model whose name the schema lacks or whose type (and format) it gives otherwise."""
    spec = _spec_fields(schema_name)
    problems = []
    for field, (kind, detail) in _model_fields(model).items():
        if field not in spec:
            problems.append(f"{model.__name__}.{field}: not in {schema_name}")
            continue
        spec_kind, spec_detail = spec[field]
        if kind == "object" and detail is not None:
            expected = READS.get(getattr(models, detail))
            if spec_kind != "object" or spec_detail != expected:
                problems.append(
                    f"{model.__name__}.{field}: {detail} reads {expected}, schema has {spec[field]}"
                )
        elif kind == "array":
            if spec_kind != "array" or not _same_items(detail, spec_detail):
                problems.append(f"{model.__name__}.{field}: array of {detail}, schema has {spec[field]}")
        elif kind != spec_kind or (detail is not None and detail != spec_detail):
            problems.append(
                f"{model.__name__}.{field}: {kind}/{detail}, schema has {spec_kind}/{spec_detail}"
            )
    return problems


def _same_items(model_items: Any, spec_items: Any) -> bool:
    if model_items[0] == "object" and model_items[1] is not None:
        return spec_items == ("object", READS.get(getattr(models, model_items[1])))
    return bool(model_items == spec_items or (model_items[0] == spec_items[0] and model_items[1] is None))


def test_every_answer_model_names_the_schema_it_reads() -> None:
    answers = {
        value
        for value in vars(models).values()
        if isinstance(value, type) and issubclass(value, BaseModel) and value.__module__ == models.__name__
    }
    assert answers - NOT_ANSWERS == set(READS)


@pytest.mark.parametrize(("model", "schema_name"), READS.items(), ids=lambda x: getattr(x, "__name__", x))
def test_each_field_has_the_schemas_name_and_type(model: type[BaseModel], schema_name: str) -> None:
    assert differences(model, schema_name) == []


def test_a_field_of_another_type_or_name_is_found() -> None:
    class OldProfile(models.MaventaModel):
        id: str
        profile_version: int | None = None
        endpoint: str | None = None

    assert differences(OldProfile, "API_Entities_CompanyProfile") == [
        "OldProfile.profile_version: integer/None, schema has string/None",
        "OldProfile.endpoint: not in API_Entities_CompanyProfile",
    ]
