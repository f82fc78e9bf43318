"""Payment references: the Finnish reference number (viitenumero) and the international RF reference.

Finvoice requires a reference on every invoice and names its scheme: `SPY` for a Finnish reference, `ISO`
for an RF reference (ISO 11649).
"""

from enum import StrEnum

from stdnum import iso11649
from stdnum.exceptions import ValidationError

from domain.identifiers import InvalidIdentifier

_FINNISH_WEIGHTS = (7, 3, 1)


class ReferenceScheme(StrEnum):
    """The scheme name Finvoice writes in `EpiRemittanceInfoIdentifier@IdentificationSchemeName`."""

    FINNISH = "SPY"
    RF = "ISO"


def finnish_reference_check_digit(base: str) -> int:
    """The check digit of a Finnish reference: weights 7, 3, 1 from the right, then up to the next ten."""
    total = sum(int(digit) * _FINNISH_WEIGHTS[i % 3] for i, digit in enumerate(reversed(base)))
    return (10 - total % 10) % 10


def normalise_payment_reference(value: str) -> str:
    """A Finnish reference (4-20 digits, last one a check digit) or an RF reference, spaces removed."""
    compact = value.replace(" ", "").upper()
    if compact.startswith("RF"):
        try:
            return iso11649.validate(compact)
        except ValidationError as exc:
            raise InvalidIdentifier(f"RF reference {value!r} is not valid: {exc}") from exc
    if not (compact.isascii() and compact.isdigit() and 4 <= len(compact) <= 20):
        raise InvalidIdentifier(
            f"payment reference {value!r} is neither a Finnish reference number (4-20 digits) "
            "nor an RF reference"
        )
    if finnish_reference_check_digit(compact[:-1]) != int(compact[-1]):
        raise InvalidIdentifier(f"payment reference {value!r} has a wrong check digit")
    return compact


def reference_scheme(reference: str) -> ReferenceScheme:
    """Which scheme a normalised reference belongs to."""
    return ReferenceScheme.RF if reference.startswith("RF") else ReferenceScheme.FINNISH
