"""Tables rendered in Maventa's JSON shapes (docs/facts/maventa.md §2.1, §2.3, §2.7, §2.8, §2.9)."""

from datetime import datetime
from typing import Any

from sandbox.maventa.tables import (
    Company,
    Invoice,
    InvoiceAction,
    InvoiceEvent,
    InvoiceFile,
    Notification,
    Profile,
)

# The sandbox's own file types; Maventa documents only ATTACHMENT (docs/facts/maventa.md §2.1).
FILE_INVOICE = "INVOICE"
FILE_IMAGE = "IMAGE"
FILE_ATTACHMENT = "ATTACHMENT"


def compact(value: Any) -> Any:
    """Absent values left out, not null: the OpenAPI's fields are not nullable."""
    if isinstance(value, dict):
        return {k: compact(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [compact(v) for v in value]
    return value


def timestamp(value: datetime | None) -> str | None:
    """UTC ISO-8601 like `2016-09-23T09:09:06Z` (docs/facts/maventa.md §0)."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def file_view(base_url: str, invoice_id: str, file: InvoiceFile) -> dict[str, Any]:
    return compact(
        {
            "id": file.id,
            "filename": file.filename,
            "type": file.type,
            "mimetype": file.mimetype,
            "href": f"{base_url}v1/invoices/{invoice_id}/files/{file.id}",
        }
    )


def action_view(action: InvoiceAction) -> dict[str, Any]:
    return compact(
        {
            "type": action.type,
            "channel": action.channel,
            "message": action.message,
            "key": action.key,
            "happened_at": timestamp(action.happened_at),
        }
    )


def invoice_view(
    invoice: Invoice,
    files: list[InvoiceFile],
    actions: list[InvoiceAction],
    base_url: str,
    *,
    all_files: bool = False,
) -> dict[str, Any]:
    """Lists and details carry ATTACHMENT files only; EXTENDED_DETAILS carries every file."""
    shown = files if all_files else [f for f in files if f.type == FILE_ATTACHMENT]
    return compact(
        {
            "id": invoice.id,
            "status": invoice.status,
            "reference": invoice.reference,
            "number": invoice.number,
            "sender": invoice.sender,
            "recipient": invoice.recipient,
            "received_at": timestamp(invoice.received_at),
            "created_at": timestamp(invoice.created_at),
            "date": invoice.date,
            "date_due": invoice.date_due,
            "source_format": invoice.source_format,
            "sum": invoice.sum,
            "sum_tax": invoice.sum_tax,
            "currency": invoice.currency,
            "origin": invoice.origin,
            "origin_type": invoice.origin_type,
            "files": [file_view(base_url, invoice.id, f) for f in shown],
            "actions": [action_view(a) for a in actions],
            "revision": {},
        }
    )


def profile_view(profile: Profile) -> dict[str, Any]:
    return compact(
        {
            "id": profile.id,
            "status": profile.status,
            "last_event": {
                "message": profile.last_event_message,
                "created_at": timestamp(profile.updated_at),
            },
            "profiles": profile.profiles,
            "profile_version": profile.profile_version,
            "endpoint_id": profile.endpoint_id,
            "scheme": profile.scheme,
            "network": profile.network,
            "network_settings": {},
            "profiles_with_extensions": [],
        }
    )


def _return_address_view(stored: dict[str, Any]) -> dict[str, Any] | None:
    """The return address as given (street_name, extra_lines, ... of the request) in the answer's postal
    shape (name, address1, address2, ...): the OpenAPI names the two differently."""
    if not stored:
        return None
    postal = stored.get("postal_address") or {}
    return compact(
        {
            "email_address": stored.get("email_address"),
            "postal_address": {
                "address1": postal.get("street_name"),
                "address2": ", ".join(postal.get("extra_lines") or []) or None,
                "post_code": postal.get("post_code"),
                "city": postal.get("city"),
                "country_code": postal.get("country_code"),
            }
            if postal
            else None,
        }
    )


def scan_view(company: Company) -> dict[str, Any]:
    """The scan address: e-mail, and paper to `name / serial / PL 100 / 80020 Kollektor Scan`."""
    if company.scan_status is None:
        return {"status": "disabled"}
    serial = company.bid_digits
    return compact(
        {
            "status": company.scan_status,
            "scan_address": {
                # The e-mail domain is the sandbox's own; Maventa's real scan e-mail address format is not
                # public.
                "email_address": f"{serial}@scan.sandbox.invalid",
                "postal_address": {
                    "name": company.name,
                    "address1": serial,
                    "address2": "PL 100",
                    "post_code": "80020",
                    "city": "Kollektor Scan",
                    "country_code": "FI",
                },
            },
            "return_address": _return_address_view(company.scan_return_address),
            "features": {
                "other_docs": False,
                "scan_reminders": False,
                "cash_discount_field_scanning": False,
                "line_scanning": False,
                "vat_liable": not company.no_vat,
            },
        }
    )


def event_view(event: InvoiceEvent) -> dict[str, Any]:
    return compact(
        {
            "company_id": event.company_id,
            "invoice_id": event.invoice_id,
            "state": event.state,
            "created_at": timestamp(event.created_at),
        }
    )


def notification_view(notification: Notification) -> dict[str, Any]:
    """The OpenAPI's optional `vendor_key` is left out: the sandbox keeps only the key's digest."""
    return {
        "id": notification.id,
        "destination_type": notification.destination_type,
        "destination": notification.destination,
        "events": notification.events,
    }


def authorization_view(company: Company) -> dict[str, Any]:
    """All three fields are required strings; a company never asked to authorize has an empty e-mail [A]."""
    return {
        "auth_state": company.auth_state,
        "auth_email": company.auth_email or "",
        "company_state": company.company_state,
    }
