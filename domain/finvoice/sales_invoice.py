"""The sales invoice Netvisor may submit as JSON instead of Finvoice XML (R5); the service renders it.

Amounts are computed here, once, so the rendered document always adds up: a row's amount is quantity times
unit price rounded to the cent; VAT is computed per VAT rate on the sum of the rows at that rate (as EN 16931
requires) and the invoice totals are the sums of those. Every text is checked to fit its Finvoice element
and to contain no control characters, so a rendered invoice is never refused later for its shape.
"""

import re
from collections import defaultdict
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from domain.finvoice.values import round_cents
from domain.identifiers import (
    business_id_digits,
    normalise_bic,
    normalise_business_id,
    normalise_iban,
)
from domain.payment_reference import normalise_payment_reference

_CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_CONTROL_CHARACTERS_EXCEPT_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _single_line(value: str) -> str:
    if _CONTROL_CHARACTERS.search(value):
        raise ValueError("must be a single line without control characters")
    return value


def _multi_line(value: str) -> str:
    if _CONTROL_CHARACTERS_EXCEPT_LINES.search(value) or "\r" in value:
        raise ValueError("must not contain control characters other than line feeds and tabs")
    return value


Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=70), AfterValidator(_single_line)
]
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=35), AfterValidator(_single_line)
]
RowText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), AfterValidator(_single_line)
]
UnitText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=14), AfterValidator(_single_line)
]
InvoiceNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20), AfterValidator(_single_line)
]
FreeText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=512), AfterValidator(_multi_line)
]
# Lengths as written by people (spaces, a country prefix) before normalising; the validators check the rest.
BusinessId = Annotated[str, StringConstraints(max_length=20), AfterValidator(normalise_business_id)]
Iban = Annotated[str, StringConstraints(max_length=50), AfterValidator(normalise_iban)]
Bic = Annotated[str, StringConstraints(max_length=15), AfterValidator(normalise_bic)]
PaymentReference = Annotated[
    str, StringConstraints(max_length=50), AfterValidator(normalise_payment_reference)
]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$", max_length=2)]
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$", max_length=3)]


class InvoiceKind(StrEnum):
    INVOICE = "INVOICE"
    CREDIT_NOTE = "CREDIT_NOTE"


class VatCategory(StrEnum):
    """EN 16931 VAT category codes, written as Finvoice `VatCode` / `RowVatCode`."""

    STANDARD = "S"
    ZERO = "Z"
    EXEMPT = "E"
    REVERSE_CHARGE = "AE"
    INTRA_COMMUNITY = "K"
    EXPORT = "G"
    OUTSIDE_SCOPE = "O"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SalesAddress(_Strict):
    street: Name
    post_code: ShortText
    town: ShortText
    country_code: CountryCode = "FI"


class SalesSeller(_Strict):
    """The company sending the invoice; it is paid to `iban` at `bic`."""

    name: Name
    business_id: BusinessId
    address: SalesAddress
    iban: Iban
    bic: Bic

    @property
    def vat_number(self) -> str:
        """The Finnish VAT number, `FI` and the business id's digits."""
        return "FI" + business_id_digits(self.business_id)


class SalesBuyer(_Strict):
    """The customer; a business id is optional for buyers abroad."""

    name: Name
    business_id: BusinessId | None = None
    address: SalesAddress


class SalesInvoiceRow(_Strict):
    """One row: `quantity` times `unit_price` (VAT excluded) at `vat_percent`."""

    description: RowText
    quantity: Annotated[Decimal, Field(max_digits=14, decimal_places=4, allow_inf_nan=False)]
    unit: UnitText | None = None
    unit_price: Annotated[Decimal, Field(max_digits=15, decimal_places=5, allow_inf_nan=False)]
    vat_percent: Annotated[Decimal, Field(ge=0, lt=100, decimal_places=2, allow_inf_nan=False)]
    vat_category: VatCategory | None = Field(
        default=None, description="Defaults to S (standard) for a positive rate, Z (zero rated) for 0 %."
    )

    @property
    def vat_code(self) -> VatCategory:
        if self.vat_category is not None:
            return self.vat_category
        return VatCategory.STANDARD if self.vat_percent > 0 else VatCategory.ZERO

    @property
    def amount(self) -> Decimal:
        """Row total excluding VAT."""
        return round_cents(self.quantity * self.unit_price)

    @property
    def vat_amount(self) -> Decimal:
        return round_cents(self.amount * self.vat_percent / 100)

    @property
    def amount_including_vat(self) -> Decimal:
        return self.amount + self.vat_amount


class VatBreakdown(_Strict):
    """The rows at one VAT rate and category: their base and the VAT on it."""

    vat_percent: Decimal
    vat_code: VatCategory
    base: Decimal
    vat_amount: Decimal


class SalesInvoice(_Strict):
    """A B2B sales invoice to send as a Finvoice 3.0 e-invoice.

    A credit note (`kind` CREDIT_NOTE) carries negative quantities or prices so that its total is negative.
    """

    number: InvoiceNumber
    kind: InvoiceKind = InvoiceKind.INVOICE
    invoice_date: date
    due_date: date
    currency: CurrencyCode = "EUR"
    seller: SalesSeller
    buyer: SalesBuyer
    rows: Annotated[list[SalesInvoiceRow], Field(min_length=1, max_length=1000)]
    payment_reference: PaymentReference = Field(
        description="Finnish reference number (viitenumero) or RF reference; the check digit is verified."
    )
    order_reference: Name | None = None
    free_text: FreeText | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.due_date < self.invoice_date:
            raise ValueError(f"due date {self.due_date} is before the invoice date {self.invoice_date}")
        total = self.total_including_vat
        if self.kind == InvoiceKind.INVOICE and total < 0:
            raise ValueError(f"an invoice cannot total {total}; send a negative total as kind CREDIT_NOTE")
        if self.kind == InvoiceKind.CREDIT_NOTE and total > 0:
            raise ValueError(f"a credit note must total zero or less, not {total}")
        return self

    def vat_breakdown(self) -> list[VatBreakdown]:
        """One entry per (rate, category), in the order the rates first appear in the rows."""
        bases: dict[tuple[Decimal, VatCategory], Decimal] = defaultdict(Decimal)
        for row in self.rows:
            bases[(round_cents(row.vat_percent), row.vat_code)] += row.amount
        return [
            VatBreakdown(
                vat_percent=rate, vat_code=code, base=base, vat_amount=round_cents(base * rate / 100)
            )
            for (rate, code), base in bases.items()
        ]

    @property
    def total_excluding_vat(self) -> Decimal:
        return sum((row.amount for row in self.rows), Decimal("0.00"))

    @property
    def vat_amount(self) -> Decimal:
        return sum((entry.vat_amount for entry in self.vat_breakdown()), Decimal("0.00"))

    @property
    def total_including_vat(self) -> Decimal:
        return self.total_excluding_vat + self.vat_amount
