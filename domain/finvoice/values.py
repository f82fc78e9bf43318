"""Amounts and dates as Finvoice writes them: decimal comma, `CCYYMMDD`."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from domain.finvoice.errors import UnparsableInvoice

CENT = Decimal("0.01")


def parse_amount(text: str, *, field: str) -> Decimal:
    """An amount written with a decimal comma or point, spaces as thousands separators allowed."""
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise UnparsableInvoice(f"{field} {text!r} is not a number") from exc
    if not value.is_finite():
        raise UnparsableInvoice(f"{field} {text!r} is not a number")
    return value


def parse_date(text: str, *, field: str) -> date:
    """A date as `CCYYMMDD` (Finvoice) or `CCYY-MM-DD` (UBL), which XML Schema lets carry a time zone
    (`2016-04-04+01:00`, `2016-04-04Z`); the zone does not move a calendar date and is dropped."""
    cleaned = text.strip()
    if len(cleaned) > 10 and cleaned[4:5] == "-" and cleaned[10] in "+-Z":
        cleaned = cleaned[:10]
    cleaned = cleaned.replace("-", "")
    if len(cleaned) != 8 or not (cleaned.isascii() and cleaned.isdigit()):
        raise UnparsableInvoice(f"{field} {text!r} is not a date of the form CCYYMMDD")
    try:
        return date(int(cleaned[:4]), int(cleaned[4:6]), int(cleaned[6:]))
    except ValueError as exc:
        raise UnparsableInvoice(f"{field} {text!r} is not a calendar date") from exc


def round_cents(value: Decimal) -> Decimal:
    """Half-up to the cent, as Finnish invoices round."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def format_amount(value: Decimal, *, min_places: int = 2, max_places: int = 2) -> str:
    """Decimal comma, at least `min_places` and at most `max_places` decimals, no exponent."""
    rounded = value.quantize(Decimal(1).scaleb(-max_places), rounding=ROUND_HALF_UP)
    if rounded.is_zero():
        rounded = abs(rounded)
    text = f"{rounded:f}"
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0").ljust(min_places, "0")
    return f"{whole},{fraction}" if fraction else whole


def format_date(value: date) -> str:
    """`CCYYMMDD`."""
    return value.strftime("%Y%m%d")
