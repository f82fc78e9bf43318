"""Finnish e-invoicing identifiers: business id (Y-tunnus), OVT e-invoice address, IBAN, operator code.

Each `normalise_*` function returns the canonical form or raises `InvalidIdentifier` with a message that
names the problem; the API turns that message into a 422 answer, so it is written for the person who typed
the value.
"""

import re

from stdnum import bic, ean, iban
from stdnum.exceptions import ValidationError
from stdnum.fi import ytunnus

MAVENTA_OPERATOR = "003721291126"
"""Maventa's operator (intermediator) id in the Finnish operator network."""

OVT_PREFIX = "0037"
"""ICD of the Finnish Tax Administration: every OVT code starts with it."""

NAMED_OPERATOR_CODES = frozenset({"PAGERO", "MAVENTA"})
"""Operator ids in the TIEKE list that are neither OVT- nor BIC-shaped."""

_OVT = re.compile(r"0037(?P<business_id>[0-9]{8})(?P<suffix>[0-9A-Z]{0,5})")
_GLN_OPERATOR = re.compile(r"0088(?P<gln>[0-9]{13})")
_OLD_BUSINESS_ID = re.compile(r"[0-9]{6}-[0-9]")


class InvalidIdentifier(ValueError):
    """An identifier that fails its format or check digit; the message says which and why."""


def normalise_business_id(value: str) -> str:
    """The business id as `NNNNNNN-C`; accepts `12345678`, `FI12345678` and old 6-digit ids."""
    cleaned = value.strip()
    if _OLD_BUSINESS_ID.fullmatch(cleaned):
        cleaned = "0" + cleaned
    digits = ytunnus.compact(cleaned)
    if not (digits.isascii() and digits.isdigit() and len(digits) == 8):
        raise InvalidIdentifier(
            f"business id {value!r} is not of the form 1234567-8 (seven digits, a hyphen and a check digit)"
        )
    if not ytunnus.is_valid(digits):
        raise InvalidIdentifier(f"business id {value!r} has a wrong check digit")
    return ytunnus.format(digits)


def is_valid_business_id(value: str) -> bool:
    """Whether `normalise_business_id` accepts the value."""
    try:
        normalise_business_id(value)
    except InvalidIdentifier:
        return False
    return True


def business_id_digits(business_id: str) -> str:
    """The 8 digits of a business id without the hyphen, as used in OVT codes and scan addresses."""
    return normalise_business_id(business_id).replace("-", "")


def einvoice_address_for(business_id: str) -> str:
    """The company's own OVT e-invoice address: `0037` followed by its business id without the hyphen."""
    return OVT_PREFIX + business_id_digits(business_id)


def normalise_ovt(value: str) -> str:
    """An OVT code: `0037`, an 8-digit business id with a valid check digit, and an optional suffix of
    up to 5 characters (department or cost centre)."""
    compact = value.replace(" ", "").upper()
    match = _OVT.fullmatch(compact)
    if match is None:
        raise InvalidIdentifier(
            f"e-invoice address {value!r} is not an OVT code "
            "(0037, the 8-digit business id and an optional suffix of up to 5 characters)"
        )
    if not ytunnus.is_valid(match["business_id"]):
        raise InvalidIdentifier(
            f"e-invoice address {value!r} contains business id {ytunnus.format(match['business_id'])} "
            "whose check digit is wrong"
        )
    return compact


def business_id_of_ovt(ovt: str) -> str:
    """The business id inside an OVT code, as `NNNNNNN-C`."""
    return ytunnus.format(normalise_ovt(ovt)[4:12])


def normalise_iban(value: str) -> str:
    """An IBAN in compact upper-case form, checked with ISO 7064 mod 97-10 and the country's length."""
    try:
        return iban.validate(value)
    except ValidationError as exc:
        raise InvalidIdentifier(f"IBAN {value!r} is not valid: {exc}") from exc


def normalise_bic(value: str) -> str:
    """A BIC (SWIFT code) of 8 or 11 characters in upper case."""
    try:
        return bic.validate(value)
    except ValidationError as exc:
        raise InvalidIdentifier(f"BIC {value!r} is not valid: {exc}") from exc


def normalise_einvoice_address(value: str) -> str:
    """A Finnish e-invoice address: an OVT code (operator network) or an IBAN (bank network)."""
    compact = value.replace(" ", "").upper()
    if compact.startswith(OVT_PREFIX):
        return normalise_ovt(compact)
    if compact[:2].isalpha():
        return normalise_iban(compact)
    raise InvalidIdentifier(
        f"e-invoice address {value!r} is neither an OVT code (0037 + business id) nor an IBAN"
    )


def normalise_operator_code(value: str) -> str:
    """An operator (intermediator) id: an OVT-style operator code such as 003721291126, a bank BIC
    such as DABAFIHH, a GLN-based code (0088 + 13 digits) or one of the TIEKE named codes."""
    compact = value.replace(" ", "").upper()
    if compact in NAMED_OPERATOR_CODES:
        return compact
    if compact.startswith(OVT_PREFIX):
        try:
            return normalise_ovt(compact)
        except InvalidIdentifier as exc:
            raise InvalidIdentifier(f"operator code {value!r} is not valid: {exc}") from exc
    gln = _GLN_OPERATOR.fullmatch(compact)
    if gln is not None:
        if not ean.is_valid(gln["gln"]):
            raise InvalidIdentifier(f"operator code {value!r} has a wrong GLN check digit")
        return compact
    if bic.is_valid(compact):
        return compact
    raise InvalidIdentifier(
        f"operator code {value!r} is neither an operator id such as 003721291126 "
        "nor a bank BIC such as DABAFIHH"
    )
