"""The price list of electronic transactions (R8) as data, and what a company's month costs by it.

The price list changes yearly and must not need a release, so it is a TOML file (`PRICE_LIST_PATH`, default
the illustrative sample shipped as `domain/price_list.toml`); docs/billing.md describes the format.

Rules:
- A month is priced by the version in effect on the month's first day (the latest `effective_from` on or
  before it), so one month never mixes two versions.
- Volume pricing: the month's count decides the unit price of every unit of that month, not only of the units
  above a tier edge. A tier's `up_to` is inclusive. By default the count is the company's electronic
  transactions of all kinds together, because Netvisor prices Maventa transactions by "the monthly number of
  electronic transactions" (docs/facts/netvisor.md §7); a kind can set `tier_basis = "kind"` to be tiered by
  its own count instead.
- Money is Decimal throughout (TOML numbers are read as Decimal, never float); line totals are rounded to the
  cent, half up, and the month's total is the sum of the line totals.
"""

import re
import tomllib
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from importlib import resources
from importlib.resources.abc import Traversable
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

BILLING_TIMEZONE = ZoneInfo("Europe/Helsinki")
SHIPPED_PRICE_LIST = "price_list.toml"
CENT = Decimal("0.01")

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
MONTH_PATTERN = _MONTH.pattern


class InvalidMonth(ValueError):
    """A month that is not written as YYYY-MM."""


class PriceListError(ValueError):
    """The price list cannot be used; the message names the file, the line or entry, and the problem."""


class MonthNotPriced(LookupError):
    """No version of the price list is in effect on the month's first day."""


def parse_month(month: str) -> date:
    """The first day of a month written YYYY-MM (e.g. 2025-04)."""
    match = _MONTH.match(month)
    if match is None:
        raise InvalidMonth(f"month must be a calendar month written YYYY-MM, e.g. 2025-04 (got {month!r})")
    return date(int(match.group(1)), int(match.group(2)), 1)


def next_month_start(month: str) -> date:
    first = parse_month(month)
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def previous_month(moment: datetime) -> str:
    """The month before the Finnish calendar month of `moment` (what the 1st's billing run bills)."""
    local = moment.astimezone(BILLING_TIMEZONE)
    year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def month_has_ended(month: str, now: datetime) -> bool:
    """Whether the month is over in Finland, so no transaction can still be counted in it."""
    end = datetime.combine(next_month_start(month), datetime.min.time(), tzinfo=BILLING_TIMEZONE)
    return now >= end


class TierBasis(StrEnum):
    ALL_TRANSACTIONS = "all_transactions"
    KIND = "kind"


_STRICT = ConfigDict(extra="forbid", frozen=True)
KindName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]


class Tier(BaseModel):
    model_config = _STRICT

    up_to: int | None = Field(None, ge=0, strict=True, description="Inclusive; absent on the last tier")
    unit_price: Decimal = Field(ge=0, decimal_places=4, description="Per transaction, VAT excluded")


class KindPrice(BaseModel):
    model_config = _STRICT

    product_code: str = Field(min_length=1, max_length=50)
    description: str = Field(min_length=1, max_length=200)
    tier_basis: TierBasis = TierBasis.ALL_TRANSACTIONS
    tiers: list[Tier] = Field(min_length=1)

    @field_validator("tiers")
    @classmethod
    def _tiers_cover_every_count(cls, tiers: list[Tier]) -> list[Tier]:
        for number, (previous, tier) in enumerate(pairwise(tiers), start=2):
            if previous.up_to is None:
                raise ValueError(f"only the last tier may leave out up_to (tier {number - 1} does)")
            if tier.up_to is not None and tier.up_to <= previous.up_to:
                raise ValueError(
                    f"tier {number} has up_to = {tier.up_to}, which must be greater than "
                    f"tier {number - 1}'s up_to = {previous.up_to}"
                )
        if tiers[-1].up_to is not None:
            raise ValueError("the last tier must leave out up_to, so every count has a price")
        return tiers

    def unit_price(self, count: int) -> Decimal:
        """The unit price for a month whose tier count is `count` (an edge belongs to the tier it ends)."""
        for tier in self.tiers:
            if tier.up_to is None or count <= tier.up_to:
                return tier.unit_price
        raise AssertionError("validated tiers always end with an open tier")


class PriceListVersion(BaseModel):
    model_config = _STRICT

    effective_from: date
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217, e.g. EUR")
    kinds: dict[KindName, KindPrice] = Field(min_length=1)


class PricedLine(BaseModel):
    """One kind of transaction in a company's month: how many, at which unit price, for how much."""

    kind: str
    product_code: str
    description: str
    quantity: int
    tier_count: int = Field(description="The count that chose the tier (all transactions, or this kind's)")
    unit_price: Decimal
    total: Decimal


class PricedMonth(BaseModel):
    month: str
    currency: str
    price_list_effective_from: date
    lines: list[PricedLine]
    total: Decimal

    def billed_lines(self) -> list[PricedLine]:
        """The lines with transactions; a kind the company did not use is not billed."""
        return [line for line in self.lines if line.quantity > 0]


class PriceList(BaseModel):
    model_config = _STRICT

    title: str = Field(min_length=1, description="Says what the list is, e.g. that it is a sample")
    version: list[PriceListVersion] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_version_per_date(self) -> "PriceList":
        seen: set[date] = set()
        for version in self.version:
            if version.effective_from in seen:
                raise ValueError(f"two versions take effect on {version.effective_from}; keep one")
            seen.add(version.effective_from)
        return self

    def version_for(self, month: str) -> PriceListVersion:
        """The version in effect on the month's first day."""
        first_day = parse_month(month)
        in_effect = [version for version in self.version if version.effective_from <= first_day]
        if not in_effect:
            earliest = min(version.effective_from for version in self.version)
            raise MonthNotPriced(
                f"no price list version is in effect for {month}; the earliest takes effect on {earliest}"
            )
        return max(in_effect, key=lambda version: version.effective_from)

    def require_kinds(self, kinds: Iterable[str]) -> None:
        """Every version must price every kind the ledger records: checked at start, not mid-billing."""
        for number, version in enumerate(self.version, start=1):
            missing = sorted(set(kinds) - set(version.kinds))
            if missing:
                raise PriceListError(
                    f"version {number} (effective_from {version.effective_from}) has no price for "
                    f"{', '.join(missing)}: add a [version.kinds.{missing[0]}] table"
                )

    def price(self, month: str, counts: Mapping[str, int]) -> PricedMonth:
        """What the month's transactions cost: one line per kind of the version, in the version's order."""
        version = self.version_for(month)
        unpriced = sorted(set(counts) - set(version.kinds))
        if unpriced:
            raise MonthNotPriced(
                f"the price list version effective {version.effective_from} has no price for "
                f"{', '.join(unpriced)}"
            )
        all_transactions = sum(counts.values())
        lines = []
        for kind, price in version.kinds.items():
            quantity = counts.get(kind, 0)
            tier_count = quantity if price.tier_basis is TierBasis.KIND else all_transactions
            unit_price = price.unit_price(tier_count)
            lines.append(
                PricedLine(
                    kind=kind,
                    product_code=price.product_code,
                    description=price.description,
                    quantity=quantity,
                    tier_count=tier_count,
                    unit_price=unit_price,
                    total=(unit_price * quantity).quantize(CENT, rounding=ROUND_HALF_UP),
                )
            )
        return PricedMonth(
            month=month,
            currency=version.currency,
            price_list_effective_from=version.effective_from,
            lines=lines,
            total=sum((line.total for line in lines), Decimal("0.00")),
        )


def _entry(location: tuple[int | str, ...], data: Any) -> str:
    """A pydantic location as the file's reader sees it, e.g. `[[version]] 2 (effective_from 2026-01-01)`."""
    parts: list[str] = []
    node = data
    for position, key in enumerate(location):
        node = _child(node, key)
        if isinstance(key, int) and parts:
            parts[-1] = f"{parts[-1]} {key + 1}"
            if position == 1 and isinstance(node, dict) and "effective_from" in node:
                parts[-1] += f" (effective_from {node['effective_from']})"
        else:
            parts.append(f"[[{key}]]" if position == 0 and key == "version" else str(key))
    return " > ".join(parts) or "the file"


def _child(node: Any, key: int | str) -> Any:
    if isinstance(node, dict):
        return node.get(str(key))
    if isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
        return node[key]
    return None


def _line_of(text: str, location: tuple[int | str, ...]) -> int | None:
    """Best effort: the 1-based line of the version, kind table or key the location points into."""
    lines = text.splitlines()
    keys = list(location)
    start, end, found = 0, len(lines), None
    if len(keys) >= 2 and keys[0] == "version" and isinstance(keys[1], int):
        headers = [number for number, line in enumerate(lines) if _VERSION_HEADER.match(line)]
        if keys[1] >= len(headers):
            return None
        start = found = headers[keys[1]]
        end = next((number for number in headers if number > start), len(lines))
        keys = keys[2:]
        if len(keys) >= 2 and keys[0] == "kinds":
            kind_header = re.compile(rf"^\s*\[\s*version\s*\.\s*kinds\s*\.\s*{re.escape(str(keys[1]))}\s*\]")
            start = found = next((n for n in range(start, end) if kind_header.match(lines[n])), found)
            keys = keys[2:]
    if keys and isinstance(keys[0], str):
        assignment = re.compile(rf"^\s*{re.escape(keys[0])}\s*=")
        found = next((n for n in range(start, end) if assignment.match(lines[n])), found)
    return None if found is None else found + 1


_VERSION_HEADER = re.compile(r"^\s*\[\[\s*version\s*\]\]")


def _problem(text: str, data: Any, problem: Mapping[str, Any]) -> str:
    location = tuple(problem["loc"])
    line = _line_of(text, location)
    where = f"line {line} ({_entry(location, data)})" if line else _entry(location, data)
    return f"{where}: {problem['msg']}"


def parse_price_list(text: str, source: str = "price list") -> PriceList:
    """Read a price list from TOML text; raise PriceListError naming the line or entry and the problem."""
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as error:
        raise PriceListError(f"{source}: not valid TOML: {error}") from None
    try:
        return PriceList.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(_problem(text, data, problem) for problem in error.errors())
        raise PriceListError(f"{source}: {problems}") from None


def load_price_list(path: Path | None = None) -> PriceList:
    """The price list at `path`, or the shipped illustrative sample when no path is given."""
    file: Traversable = resources.files("domain").joinpath(SHIPPED_PRICE_LIST) if path is None else path
    source = f"domain/{SHIPPED_PRICE_LIST}" if path is None else str(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise PriceListError(f"{source}: cannot be read ({error.strerror or type(error).__name__})") from None
    return parse_price_list(text, source)
