from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from store.companies import (
    CompanyChanges,
    Identifies,
    find_by_maventa_company_uuid,
    get_company,
    list_companies,
    upsert_company,
)
from store.database import Sessions, unit_of_work


def test_upsert_creates_then_changes_only_the_given_fields(sessions: Sessions) -> None:
    with unit_of_work(sessions) as session:
        created = upsert_company(session, "1001", CompanyChanges(business_id="1234567-8", name="Oy Alpha Ab"))
        assert created.state == "PROVISIONING"
        assert created.needs_support is False

    start = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
    with unit_of_work(sessions) as session:
        upsert_company(
            session,
            "1001",
            CompanyChanges(
                state="LINKED", import_mode="from_date", import_from=start, credentials_ref="secret-x"
            ),
        )

    with unit_of_work(sessions) as session:
        company = get_company(session, "1001")
    assert company is not None
    assert (company.name, company.business_id, company.state) == ("Oy Alpha Ab", "1234567-8", "LINKED")
    assert company.import_mode == "from_date"
    assert company.import_from == start
    assert company.credentials_ref == "secret-x"


def test_an_unknown_import_mode_or_field_is_refused() -> None:
    with pytest.raises(ValidationError):
        CompanyChanges.model_validate({"import_mode": "sometimes"})
    with pytest.raises(ValidationError):
        CompanyChanges.model_validate({"api_key": "x"})


def test_lists_by_state_and_needs_support_in_pages(sessions: Sessions) -> None:
    with unit_of_work(sessions) as session:
        for number in range(1, 8):
            state = "CONNECTED" if number % 2 else "RECEIVING"
            upsert_company(session, f"c{number}", CompanyChanges(state=state, needs_support=number in {3, 4}))

    with unit_of_work(sessions) as session:
        first = list_companies(session, state="CONNECTED", limit=2)
        second = list_companies(session, state="CONNECTED", after=first[-1].company_id, limit=2)
        third = list_companies(session, state="CONNECTED", after=second[-1].company_id, limit=2)
        flagged = list_companies(session, needs_support=True)
        flagged_connected = list_companies(session, state="CONNECTED", needs_support=True)
        everyone = list_companies(session)

    assert [c.company_id for c in first + second + third] == ["c1", "c3", "c5", "c7"]
    assert [c.company_id for c in flagged] == ["c3", "c4"]
    assert [c.company_id for c in flagged_connected] == ["c3"]
    assert len(everyone) == 7


def test_finds_a_company_by_its_maventa_company(sessions: Sessions) -> None:
    with unit_of_work(sessions) as session:
        upsert_company(session, "c1", CompanyChanges(maventa_company_uuid="uuid-a"))
        upsert_company(session, "c2", CompanyChanges(maventa_company_uuid="uuid-b"))
    with unit_of_work(sessions) as session:
        found = find_by_maventa_company_uuid(session, "uuid-b")
        assert found is not None and found.company_id == "c2"
        assert find_by_maventa_company_uuid(session, "uuid-z") is None


def test_finds_a_company_by_any_of_its_identifiers_and_by_its_support_reason(sessions: Sessions) -> None:
    with unit_of_work(sessions) as session:
        upsert_company(session, "c1", CompanyChanges(business_id="1234567-8", maventa_company_uuid="uuid-1"))
        upsert_company(session, "c2", CompanyChanges(business_id="7654321-2"))
        upsert_company(
            session,
            "c3",
            CompanyChanges(needs_support=True, needs_support_reason="Bank network overdue since 2025-01-07"),
        )
        upsert_company(
            session, "c4", CompanyChanges(needs_support=True, needs_support_reason="Maventa refused: x")
        )

    def ids(**filters: Any) -> list[str]:
        with unit_of_work(sessions) as session:
            return [row.company_id for row in list_companies(session, **filters)]

    assert ids(identifies=Identifies(company_id="c2")) == ["c2"]
    assert ids(identifies=Identifies(business_id="1234567-8")) == ["c1"]
    assert ids(identifies=Identifies(maventa_company_uuid="uuid-1")) == ["c1"]
    assert ids(identifies=Identifies(company_id="c2", business_id="1234567-8")) == ["c1", "c2"]
    assert ids(identifies=Identifies()) == [], "nothing named matches nothing, not every company"
    assert ids(identifies=Identifies(company_id="nobody")) == []
    assert ids(reason_starts="Bank network overdue") == ["c3"]
    assert ids(reason_starts="Bank_network%") == [], "the prefix is matched literally"
