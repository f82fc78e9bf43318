"""The fleet's Maventa places leased through the store: shares that never add up to more than the budget, a
lone process given them all, a dead process's lease expiring."""

import time

import pytest

from store import maventa_budget
from store.database import Sessions
from store.maventa_budget import fair_shares, give_back, renew_lease

PLACES = 20


def test_fair_shares_give_what_one_does_not_want_to_the_others() -> None:
    assert fair_shares({"a": 20}, PLACES) == {"a": 20}
    assert fair_shares({"a": 20, "b": 20}, PLACES) == {"a": 10, "b": 10}
    assert fair_shares({"a": 20, "b": 1}, PLACES) == {"a": 19, "b": 1}
    assert fair_shares({"a": 20, "b": 0}, PLACES) == {"a": 20, "b": 0}
    assert sum(fair_shares({"a": 20, "b": 20, "c": 20}, PLACES).values()) == PLACES


def test_a_lone_process_is_leased_the_whole_budget(sessions: Sessions) -> None:
    renew_lease(sessions, "api", PLACES, held=0, waiting=1)
    give_back(sessions, "api")
    assert renew_lease(sessions, "worker", PLACES, held=0, waiting=50).allowed == PLACES
    renew_lease(sessions, "idle", PLACES, held=0, waiting=0)
    assert renew_lease(sessions, "worker", PLACES, held=PLACES, waiting=50).allowed == PLACES


def test_a_second_process_gets_only_what_the_first_gives_up(sessions: Sessions) -> None:
    assert renew_lease(sessions, "a", PLACES, held=0, waiting=50).allowed == PLACES
    assert renew_lease(sessions, "b", PLACES, held=0, waiting=50).allowed == 0, "a's places are still a's"
    shrunk = renew_lease(sessions, "a", PLACES, held=PLACES, waiting=50)
    assert (shrunk.allowed, shrunk.recorded) == (10, PLACES), "a takes no new place, keeps those it holds"
    assert renew_lease(sessions, "b", PLACES, held=0, waiting=50).allowed == 0
    assert renew_lease(sessions, "a", PLACES, held=10, waiting=50).recorded == 10
    assert renew_lease(sessions, "b", PLACES, held=0, waiting=50).allowed == 10


def test_the_share_that_spaces_turns_is_what_the_process_would_be_given_not_what_it_asked_for(
    sessions: Sessions,
) -> None:
    few = renew_lease(sessions, "worker", PLACES, held=3, waiting=0)
    assert (few.allowed, few.share) == (3, PLACES), "alone, it would be given them all"
    renew_lease(sessions, "other", PLACES, held=0, waiting=50)
    assert renew_lease(sessions, "worker", PLACES, held=3, waiting=0).share == PLACES // 2


def test_a_dead_processs_lease_expires(sessions: Sessions, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(maventa_budget, "LEASE_S", 0.3)
    renew_lease(sessions, "dead", PLACES, held=0, waiting=50)
    assert renew_lease(sessions, "alive", PLACES, held=0, waiting=50).allowed == 0
    time.sleep(0.4)
    assert renew_lease(sessions, "alive", PLACES, held=0, waiting=50).allowed == PLACES
