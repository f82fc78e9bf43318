"""Business ids, OVT addresses, IBANs, operator codes and payment references as a user types them."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.identifiers import (
    MAVENTA_OPERATOR,
    InvalidIdentifier,
    business_id_of_ovt,
    einvoice_address_for,
    is_valid_business_id,
    normalise_business_id,
    normalise_einvoice_address,
    normalise_iban,
    normalise_operator_code,
    normalise_ovt,
)
from domain.payment_reference import (
    ReferenceScheme,
    finnish_reference_check_digit,
    normalise_payment_reference,
    reference_scheme,
)

WEIGHTS = (7, 9, 10, 5, 8, 4, 2)


def check_digit(first_seven: str) -> int | None:
    """The reference algorithm of docs/facts/einvoicing.md §2.1, written independently of stdnum."""
    remainder = sum(int(d) * w for d, w in zip(first_seven, WEIGHTS, strict=True)) % 11
    if remainder == 1:
        return None
    return 0 if remainder == 0 else 11 - remainder


@pytest.mark.parametrize(
    ("first_seven", "expected"),
    [("2077474", 0), ("1572860", 0), ("2332748", 7), ("2129112", 6), ("7654321", 2), ("4567890", 7)],
)
def test_known_business_ids_are_valid(first_seven: str, expected: int) -> None:
    assert normalise_business_id(f"{first_seven}-{expected}") == f"{first_seven}-{expected}"


@pytest.mark.parametrize("typed", ["21291126", "2129112-6", " 2129112-6 ", "FI21291126", "fi 2129112-6"])
def test_business_id_is_normalised_to_hyphen_form(typed: str) -> None:
    assert normalise_business_id(typed) == "2129112-6"


def test_old_six_digit_business_id_is_zero_padded() -> None:
    assert normalise_business_id("129112-9") == "0129112-9"


@pytest.mark.parametrize("typed", ["1478523-8", "1234567-8", "2129112-5"])
def test_wrong_check_digit_is_refused_with_a_reason(typed: str) -> None:
    with pytest.raises(InvalidIdentifier, match="check digit"):
        normalise_business_id(typed)


@pytest.mark.parametrize("typed", ["", "abc", "123-4", "21291126X", "2129112-66"])
def test_malformed_business_id_is_refused_with_the_expected_form(typed: str) -> None:
    with pytest.raises(InvalidIdentifier, match="1234567-8"):
        normalise_business_id(typed)


def test_non_ascii_digits_are_refused() -> None:
    with pytest.raises(InvalidIdentifier):
        normalise_business_id("212911\u0662-6")
    with pytest.raises(InvalidIdentifier):
        normalise_payment_reference("123456\u0661")


def test_invalid_identifier_is_a_value_error_for_pydantic() -> None:
    assert issubclass(InvalidIdentifier, ValueError)


@given(st.from_regex(r"[0-9]{7}", fullmatch=True), st.integers(0, 9))
def test_business_id_check_digit_matches_reference_algorithm(first_seven: str, digit: int) -> None:
    expected = check_digit(first_seven)
    assert is_valid_business_id(f"{first_seven}-{digit}") == (expected == digit)


@given(st.from_regex(r"[0-9]{7}", fullmatch=True))
def test_einvoice_address_is_0037_and_the_digits(first_seven: str) -> None:
    digit = check_digit(first_seven)
    if digit is None:
        return
    business_id = f"{first_seven}-{digit}"
    address = einvoice_address_for(business_id)
    assert address == f"0037{first_seven}{digit}"
    assert normalise_ovt(address) == address
    assert business_id_of_ovt(address) == business_id


def test_einvoice_address_of_maventa_is_its_operator_code() -> None:
    assert einvoice_address_for("2129112-6") == MAVENTA_OPERATOR == "003721291126"


@pytest.mark.parametrize("ovt", ["003721291126", "0037212911261", "003721291126ABCDE", "0037 2129 1126"])
def test_ovt_with_optional_suffix_is_accepted(ovt: str) -> None:
    assert normalise_ovt(ovt) == ovt.replace(" ", "")


@pytest.mark.parametrize(
    ("ovt", "problem"),
    [
        ("003721291125", "check digit"),
        ("003621291126", "not an OVT"),
        ("0037212911", "not an OVT"),
        ("003721291126ABCDEF", "not an OVT"),
    ],
)
def test_bad_ovt_is_refused(ovt: str, problem: str) -> None:
    with pytest.raises(InvalidIdentifier, match=problem):
        normalise_ovt(ovt)


def test_iban_is_checked_and_compacted() -> None:
    assert normalise_iban("FI49 5000 9420 0287 30") == "FI4950009420028730"
    with pytest.raises(InvalidIdentifier, match="IBAN"):
        normalise_iban("FI4950009420028731")


def test_einvoice_address_is_ovt_or_iban() -> None:
    assert normalise_einvoice_address("003712345671") == "003712345671"
    assert normalise_einvoice_address("fi4950009420028730") == "FI4950009420028730"
    with pytest.raises(InvalidIdentifier, match="neither an OVT"):
        normalise_einvoice_address("12345")


@pytest.mark.parametrize(
    "code",
    [
        "003721291126",
        "003723327487",
        "003710948874",
        "DABAFIHH",
        "NDEAFIHH",
        "OKOYFIHH",
        "HELSFIHH",
        "AABAFI22",
        "BAWCFI22",
        "PAGERO",
        "00885060259470028",
        "dabafihh",
    ],
)
def test_operator_codes_from_the_tieke_list_are_accepted(code: str) -> None:
    assert normalise_operator_code(code) == code.upper()


@pytest.mark.parametrize("code", ["003721291125", "DABA", "DABAXXHH", "00885060259470027", "MAVENTAX"])
def test_bad_operator_codes_are_refused(code: str) -> None:
    with pytest.raises(InvalidIdentifier, match="operator code"):
        normalise_operator_code(code)


@pytest.mark.parametrize(("reference", "scheme"), [("1234561", "SPY"), ("RF18 5390 0754 7034", "ISO")])
def test_payment_references(reference: str, scheme: str) -> None:
    normalised = normalise_payment_reference(reference)
    assert reference_scheme(normalised) == ReferenceScheme(scheme)


@pytest.mark.parametrize("reference", ["1234562", "123", "RF19 5390 0754 7034", "12a4561"])
def test_bad_payment_references_are_refused(reference: str) -> None:
    with pytest.raises(InvalidIdentifier):
        normalise_payment_reference(reference)


@given(st.from_regex(r"[1-9][0-9]{2,18}", fullmatch=True))
def test_finnish_reference_with_its_check_digit_is_valid(base: str) -> None:
    reference = base + str(finnish_reference_check_digit(base))
    assert normalise_payment_reference(reference) == reference
    wrong = base + str((finnish_reference_check_digit(base) + 1) % 10)
    with pytest.raises(InvalidIdentifier):
        normalise_payment_reference(wrong)
