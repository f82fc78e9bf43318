"""Where a Finnish B2B e-invoice goes: the recipient's e-invoice address and its operator
(docs/facts/einvoicing.md §0)."""

from pydantic import BaseModel


class Route(BaseModel):
    """Where the invoice goes: the recipient's e-invoice address (OVT or IBAN) and its operator."""

    einvoice_address: str
    operator: str
