"""Finnish identifiers the sandbox derives: business ids, e-invoice addresses, reference numbers, IBANs."""

import hashlib
import random

from stdnum import iban
from stdnum.fi import ytunnus

# Maventa's operator (intermediator) id (docs/facts/maventa.md §2.7).
MAVENTA_OPERATOR_ID = "003721291126"
_YTUNNUS_WEIGHTS = (7, 9, 10, 5, 8, 4, 2)
_REFERENCE_WEIGHTS = (7, 3, 1)


def business_id_digits(value: str) -> str:
    """The 8 digits of a business id given as `1234567-8`, `12345678` or a VAT number `FI12345678`."""
    digits = "".join(c for c in value if c.isdigit())
    return digits[-8:] if len(digits) >= 8 else digits


def format_business_id(value: str) -> str:
    digits = business_id_digits(value)
    return f"{digits[:7]}-{digits[7:]}" if len(digits) == 8 else value


def is_valid_business_id(value: str) -> bool:
    return len(business_id_digits(value)) == 8 and bool(ytunnus.is_valid(format_business_id(value)))


def ovt_address(business_id: str) -> str:
    """EIA (OVT) = 0037 + business id without the hyphen (docs/facts/maventa.md §2.7)."""
    return "0037" + business_id_digits(business_id)


def vat_number(business_id: str) -> str:
    return "FI" + business_id_digits(business_id)


def generated_business_id(rng: random.Random) -> str:
    """A random business id with a valid check digit (docs/facts/einvoicing.md §2.1)."""
    while True:
        body = f"{rng.randrange(1_000_000, 3_400_000):07d}"
        remainder = sum(int(c) * w for c, w in zip(body, _YTUNNUS_WEIGHTS, strict=True)) % 11
        if remainder != 1:
            return f"{body}-{0 if remainder == 0 else 11 - remainder}"


def reference_number(base: str) -> str:
    """Finnish creditor reference: the base digits plus a 7-3-1 check digit."""
    digits = "".join(c for c in base if c.isdigit())[-19:].rjust(3, "1")
    total = sum(int(d) * _REFERENCE_WEIGHTS[i % 3] for i, d in enumerate(reversed(digits)))
    return digits + str((10 - total % 10) % 10)


def finnish_iban(rng: random.Random) -> str:
    bban = f"{rng.randrange(10**13, 10**14):014d}"
    return "FI" + iban.calc_check_digits("FI00" + bban) + bban


def virtual_barcode(account: str, total: str, reference: str, due: str) -> str:
    """Version 4 virtual bank barcode: IBAN digits, euros, cents, reference and due date (YYMMDD)."""
    euros, _, cents = total.partition(",")
    return (
        "4"
        + account[2:]
        + euros.rjust(6, "0")[-6:]
        + cents.ljust(2, "0")
        + "000"
        + reference.rjust(20, "0")
        + due[2:]
    )


def digest(secret: str) -> str:
    """Keys and tokens are kept only as digests, so the state file holds no usable secret."""
    return hashlib.sha256(secret.encode()).hexdigest()
