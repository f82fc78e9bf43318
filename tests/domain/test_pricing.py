"""The price list as data: tiers, effective dates, exact money, and loud failures naming where it is wrong."""

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from domain.pricing import (
    InvalidMonth,
    MonthNotPriced,
    PricedLine,
    PricedMonth,
    PriceList,
    PriceListError,
    load_price_list,
    month_has_ended,
    parse_month,
    parse_price_list,
    previous_month,
)
from store.ledger import RECEIVED_EINVOICE, RECEIVED_SCANNED_INVOICE, SENT_EINVOICE

TWO_VERSIONS = """
title = "Test prices"

[[version]]
effective_from = 2025-01-01
currency = "EUR"

[version.kinds.received_einvoice]
product_code = "IN"
description = "Received e-invoices"
tiers = [
  { up_to = 10, unit_price = 0.30 },
  { up_to = 100, unit_price = 0.25 },
  { unit_price = 0.20 },
]

[version.kinds.sent_einvoice]
product_code = "OUT"
description = "Sent e-invoices"
tier_basis = "kind"
tiers = [
  { up_to = 10, unit_price = 0.50 },
  { unit_price = 0.40 },
]

[[version]]
effective_from = 2025-06-15
currency = "EUR"

[version.kinds.received_einvoice]
product_code = "IN"
description = "Received e-invoices"
tiers = [{ unit_price = 0.33 }]

[version.kinds.sent_einvoice]
product_code = "OUT"
description = "Sent e-invoices"
tiers = [{ unit_price = 0.44 }]
"""


@pytest.fixture
def prices() -> PriceList:
    return parse_price_list(TWO_VERSIONS, "test.toml")


def _line(priced: PricedMonth, kind: str) -> PricedLine:
    return next(line for line in priced.lines if line.kind == kind)


def test_the_shipped_list_is_labelled_a_sample_and_prices_every_ledger_kind() -> None:
    shipped = load_price_list()
    text = (Path(__file__).parents[2] / "domain" / "price_list.toml").read_text()
    assert "illustrative sample" in shipped.title.lower()
    assert text.startswith("# ILLUSTRATIVE SAMPLE PRICE LIST: these are NOT Netvisor's prices.")
    shipped.require_kinds([RECEIVED_EINVOICE, RECEIVED_SCANNED_INVOICE, SENT_EINVOICE])
    priced = shipped.price("2025-03", {RECEIVED_EINVOICE: 3})
    assert priced.currency == "EUR"
    assert priced.total == Decimal("3") * _line(priced, RECEIVED_EINVOICE).unit_price


@pytest.mark.parametrize(
    ("count", "unit_price", "total"),
    [
        (1, "0.30", "0.30"),
        (10, "0.30", "3.00"),  # exactly at the edge: still the first tier
        (11, "0.25", "2.75"),  # one over: every unit at the second tier's price
        (100, "0.25", "25.00"),
        (101, "0.20", "20.20"),
    ],
)
def test_the_months_count_decides_the_unit_price_of_every_unit(
    prices: PriceList, count: int, unit_price: str, total: str
) -> None:
    priced = prices.price("2025-03", {RECEIVED_EINVOICE: count})
    line = _line(priced, RECEIVED_EINVOICE)
    assert (line.quantity, line.tier_count) == (count, count)
    assert line.unit_price == Decimal(unit_price)
    assert line.total == Decimal(total)
    assert priced.total == Decimal(total)


def test_the_tier_counts_all_transactions_unless_the_kind_says_kind(prices: PriceList) -> None:
    priced = prices.price("2025-03", {RECEIVED_EINVOICE: 6, SENT_EINVOICE: 5})
    received, sent = _line(priced, RECEIVED_EINVOICE), _line(priced, SENT_EINVOICE)
    # 11 transactions in all push received e-invoices past their first edge (10)...
    assert (received.tier_count, received.unit_price, received.total) == (
        11,
        Decimal("0.25"),
        Decimal("1.50"),
    )
    # ...while sent e-invoices are tiered by their own 5.
    assert (sent.tier_count, sent.unit_price, sent.total) == (5, Decimal("0.50"), Decimal("2.50"))
    assert priced.total == Decimal("4.00")
    assert [line.kind for line in priced.billed_lines()] == [RECEIVED_EINVOICE, SENT_EINVOICE]


def test_a_month_is_priced_by_the_version_in_effect_on_its_first_day(prices: PriceList) -> None:
    counts = {RECEIVED_EINVOICE: 1}
    # The second version takes effect mid-June: June is still priced by the first, July by the second.
    assert prices.price("2025-05", counts).total == Decimal("0.30")
    assert prices.price("2025-06", counts).total == Decimal("0.30")
    july = prices.price("2025-07", counts)
    assert (july.total, str(july.price_list_effective_from)) == (Decimal("0.33"), "2025-06-15")
    on_the_first = parse_price_list(TWO_VERSIONS.replace("2025-06-15", "2025-06-01"))
    assert on_the_first.price("2025-06", counts).total == Decimal("0.33")
    with pytest.raises(MonthNotPriced, match=r"2024-12.*earliest takes effect on 2025-01-01"):
        prices.price("2024-12", counts)


def test_money_is_exact_decimal_and_line_totals_round_half_up_to_the_cent() -> None:
    text = TWO_VERSIONS.replace("unit_price = 0.30", "unit_price = 0.0125")
    priced = parse_price_list(text).price("2025-03", {RECEIVED_EINVOICE: 2})
    line = _line(priced, RECEIVED_EINVOICE)
    assert isinstance(line.unit_price, Decimal) and line.unit_price == Decimal("0.0125")
    assert line.total == Decimal("0.03")  # 0.025 rounds half up
    three = parse_price_list(TWO_VERSIONS.replace("unit_price = 0.30", "unit_price = 0.1"))
    assert three.price("2025-03", {RECEIVED_EINVOICE: 3}).total == Decimal("0.30")  # not 0.30000000000000004


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        (
            TWO_VERSIONS.replace("{ up_to = 100, unit_price = 0.25 }", "{ up_to = 5, unit_price = 0.25 }"),
            r"line 11 \(\[\[version\]\] 1 \(effective_from 2025-01-01\) > kinds > received_einvoice > tiers\)"
            r".*tier 2 has up_to = 5, which must be greater than tier 1's up_to = 10",
        ),
        (
            TWO_VERSIONS.replace('2025-06-15\ncurrency = "EUR"', '2025-06-15\ncurrency = "euro"'),
            r"line 28 \(\[\[version\]\] 2 \(effective_from 2025-06-15\) > currency\)",
        ),
        (
            TWO_VERSIONS.replace('tier_basis = "kind"', 'tier_bassis = "kind"'),
            r"line 20 \(.*kinds > sent_einvoice > tier_bassis\): Extra inputs are not permitted",
        ),
        (
            TWO_VERSIONS.replace("{ unit_price = 0.40 }", "{ up_to = 20, unit_price = 0.40 }"),
            r"sent_einvoice > tiers\): .*the last tier must leave out up_to",
        ),
        (
            TWO_VERSIONS.replace("unit_price = 0.50", "unit_price = -0.50"),
            r"sent_einvoice > tiers 1 > unit_price\): Input should be greater than or equal to 0",
        ),
        (TWO_VERSIONS.replace("2025-06-15", "2025-01-01"), r"two versions take effect on 2025-01-01"),
        (
            TWO_VERSIONS.replace("up_to = 10, unit_price = 0.30", "up_to = 10 unit_price = 0.30"),
            r"not valid TOML: .*\(at line 12, column",
        ),
        ('title = "No versions"\n', r"\[\[version\]\]: Field required"),
    ],
    ids=[
        "tiers-not-increasing",
        "bad-currency",
        "misspelt-key",
        "last-tier-closed",
        "negative-price",
        "same-date-twice",
        "toml-syntax",
        "no-version",
    ],
)
def test_a_malformed_price_list_fails_naming_the_line_and_the_problem(broken: str, expected: str) -> None:
    with pytest.raises(PriceListError, match=r"^broken\.toml: " + f".*{expected}"):
        parse_price_list(broken, "broken.toml")


def test_a_version_missing_a_ledger_kind_is_refused_at_start(prices: PriceList) -> None:
    with pytest.raises(
        PriceListError,
        match=r"version 1 \(effective_from 2025-01-01\) has no price for "
        r"received_scanned_invoice",
    ):
        prices.require_kinds([RECEIVED_EINVOICE, RECEIVED_SCANNED_INVOICE, SENT_EINVOICE])


def test_price_list_path_picks_the_file_and_a_missing_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "prices.toml"
    path.write_text(TWO_VERSIONS)
    assert load_price_list(path).title == "Test prices"
    assert "sample" in load_price_list(None).title
    with pytest.raises(PriceListError, match=f"{tmp_path / 'absent.toml'}: cannot be read"):
        load_price_list(tmp_path / "absent.toml")


@pytest.mark.parametrize("month", ["2025-13", "2025-4", "25-04", "2025-04-01", ""])
def test_a_month_must_be_written_yyyy_mm(month: str) -> None:
    with pytest.raises(InvalidMonth, match="YYYY-MM"):
        parse_month(month)


def test_months_follow_the_finnish_calendar() -> None:
    # 2025-04-30 21:00 UTC is already May 1st 00:00 in Helsinki (UTC+3 in summer).
    assert not month_has_ended("2025-04", datetime(2025, 4, 30, 20, 59, 59, tzinfo=UTC))
    assert month_has_ended("2025-04", datetime(2025, 4, 30, 21, 0, tzinfo=UTC))
    assert month_has_ended("2024-12", datetime(2025, 1, 1, 0, 0, tzinfo=UTC))
    assert previous_month(datetime(2025, 1, 1, 1, 0, tzinfo=UTC)) == "2024-12"
    assert previous_month(datetime(2025, 2, 28, 22, 30, tzinfo=UTC)) == "2025-02"  # March 1st in Helsinki
