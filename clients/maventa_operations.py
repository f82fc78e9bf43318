"""Every Maventa operation the client calls, with the scopes of the token it is called with.

Maventa's OpenAPI (contracts/maventa/) lists the scopes each operation needs. A token asks for exactly the
scopes of the calls it serves, never an alias such as `eui` that grants more: a company's token for its own
calls, Netvisor's partner token for the partner-wide ones, and an identity token for `GET /oauth2/current`
alone, whose `global` alias grants document and lookup scopes nothing else needs.
tests/clients/test_maventa_operations.py checks the table against the OpenAPI.
"""

from dataclasses import dataclass
from urllib.parse import quote

COMPANY_SCOPES = frozenset({"company:read", "company:write", "invoice:receive", "invoice:send"})
PARTNER_SCOPES = frozenset({"partner:invoice_delivery_actions", "partner:lookups"})
IDENTITY_SCOPES = frozenset({"global"})


@dataclass(frozen=True)
class Operation:
    """A path template as the OpenAPI writes it; `scopes` None for the calls that need no token."""

    method: str
    path: str
    scopes: frozenset[str] | None

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def scope(self) -> str:
        """The `scope` form field of the token request: space-separated, in a stable order."""
        return " ".join(sorted(self.scopes or ()))

    def url_path(self, **parameters: str) -> str:
        return self.path.format(**{name: quote(value, safe="") for name, value in parameters.items()})


TOKEN = Operation("POST", "/oauth2/token", None)
CREATE_USER = Operation("POST", "/v1/users", None)
CREATE_COMPANY = Operation("POST", "/v1/companies", None)
CURRENT_COMPANY = Operation("GET", "/oauth2/current", IDENTITY_SCOPES)
LOOKUP_COMPANIES = Operation("GET", "/v1/partner/lookups/companies", PARTNER_SCOPES)
RECEIVED_EVENTS = Operation("GET", "/v1/partner/invoice_events/received", PARTNER_SCOPES)
AUTHORIZATION_STATUS = Operation("GET", "/v1/company/authorization", COMPANY_SCOPES)
REQUEST_AUTHORIZATION = Operation("POST", "/v1/company/authorization", COMPANY_SCOPES)
VENDOR_LINK = Operation("GET", "/v1/company/vendors", COMPANY_SCOPES)
LINK_VENDOR = Operation("POST", "/v1/company/vendors", COMPANY_SCOPES)
UNLINK_VENDOR = Operation("DELETE", "/v1/company/vendors", COMPANY_SCOPES)
LIST_PROFILES = Operation("GET", "/v1/company/profiles", COMPANY_SCOPES)
CREATE_PROFILE = Operation("POST", "/v1/company/profiles", COMPANY_SCOPES)
DELETE_PROFILE = Operation("DELETE", "/v1/company/profiles/{id}", COMPANY_SCOPES)
SCAN_SERVICE = Operation("GET", "/v1/services/scan", COMPANY_SCOPES)
ACTIVATE_SCAN = Operation("POST", "/v1/services/scan", COMPANY_SCOPES)
LIST_INVOICES = Operation("GET", "/v1/invoices", COMPANY_SCOPES)
SEND_INVOICE = Operation("POST", "/v1/invoices", COMPANY_SCOPES)
GET_INVOICE = Operation("GET", "/v1/invoices/{id}", COMPANY_SCOPES)
GET_FILE = Operation("GET", "/v1/invoices/{id}/files/{file_id}", COMPANY_SCOPES)
SET_INVOICE_EVENT = Operation("PATCH", "/v1/invoices/{id}/invoice_events", COMPANY_SCOPES)
LIST_NOTIFICATIONS = Operation("GET", "/v1/company/notifications", COMPANY_SCOPES)
SUBSCRIBE_NOTIFICATIONS = Operation("POST", "/v1/company/notifications", COMPANY_SCOPES)

ALL_OPERATIONS = (
    TOKEN,
    CREATE_USER,
    CREATE_COMPANY,
    CURRENT_COMPANY,
    LOOKUP_COMPANIES,
    RECEIVED_EVENTS,
    AUTHORIZATION_STATUS,
    REQUEST_AUTHORIZATION,
    VENDOR_LINK,
    LINK_VENDOR,
    UNLINK_VENDOR,
    LIST_PROFILES,
    CREATE_PROFILE,
    DELETE_PROFILE,
    SCAN_SERVICE,
    ACTIVATE_SCAN,
    LIST_INVOICES,
    SEND_INVOICE,
    GET_INVOICE,
    GET_FILE,
    SET_INVOICE_EVENT,
    LIST_NOTIFICATIONS,
    SUBSCRIBE_NOTIFICATIONS,
)
