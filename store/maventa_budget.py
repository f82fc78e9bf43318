"""The fleet's Maventa request budget, shared out through the store: a lease row per process calling Maventa.

Maventa's limit is the fleet's, so its places (clients/pacing.py: a request holds one from leaving until a
second after its answer) are the fleet's too: floor(budget) of them across every worker and API process. Each
process leases some for a few seconds at a time (`LEASE_S`) and renews the lease while it has requests; the
places are shared max-min fairly among the processes that want some, so a lone busy process gets them all and
two busy ones half each. A process never counts on more than the places no other live lease holds, and
records no fewer than it still holds, so the leases never add up to more than the budget. A process that dies
stops renewing: its lease expires and its places go to the others.
"""

import time
from dataclasses import dataclass

from sqlalchemy import delete, text
from sqlmodel import Field, Session, SQLModel, col, select

from store.database import Sessions, unit_of_work

LEASE_S = 2.0
"""How long a lease holds its places without being renewed: what a dead process costs the others."""


class MaventaBudgetLease(SQLModel, table=True):
    __tablename__ = "maventa_budget_leases"

    holder: str = Field(primary_key=True, max_length=128)
    """One process (host, pid and a random part, so a restarted process with the same pid is another)."""
    places: int
    """Places this process may hold until `expires_at`: no other process counts on them."""
    wanted: int
    """Places it would use now (those it holds plus its requests waiting for one), for the fair shares."""
    expires_at: float
    """Seconds since the epoch on the store's clock."""


@dataclass(frozen=True)
class Lease:
    allowed: int
    """Places the process may hold now: its fair share, no more than the others leave free."""
    recorded: int
    """Places its lease row keeps from the others: `allowed`, or more while it still holds more."""
    share: int
    """Places it would be given if it wanted them all: its share of the fleet's rate, which spaces its turns.
    Not `allowed`, which follows what it wanted at this renewal: a lone process that held 12 places a moment
    ago would otherwise space its turns at 12 a second until enough requests queued to ask for more."""


def fair_shares(wanted: dict[str, int], places: int) -> dict[str, int]:
    """Max-min fair: nobody gets more than it wants, and what one does not want goes evenly to the others.

    Every process computes the same shares from the same rows (ties in holder order)."""
    shares: dict[str, int] = {}
    left = places
    ordered = sorted(wanted.items(), key=lambda item: (item[1], item[0]))
    for n, (holder, wants) in enumerate(ordered):
        shares[holder] = min(wants, left // (len(ordered) - n))
        left -= shares[holder]
    return shares


def _now(session: Session) -> float:
    """The store's clock: PostgreSQL's serves a fleet on many machines; a SQLite store is one machine's."""
    if session.get_bind().dialect.name == "postgresql":
        return float(
            session.connection().execute(text("SELECT extract(epoch FROM clock_timestamp())")).scalar_one()
        )
    return time.time()


def _lock(session: Session) -> None:
    """One renewal at a time across the fleet (SQLite's BEGIN IMMEDIATE already is one)."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection().execute(text("LOCK TABLE maventa_budget_leases IN EXCLUSIVE MODE"))


def renew_lease(sessions: Sessions, holder: str, places: int, held: int, waiting: int) -> Lease:
    """Lease this process's share of the budget's `places` for LEASE_S from now, given the places it holds
    and its requests waiting for one."""
    with unit_of_work(sessions) as session:
        _lock(session)
        now = _now(session)
        session.execute(delete(MaventaBudgetLease).where(col(MaventaBudgetLease.expires_at) <= now))
        others = session.exec(select(MaventaBudgetLease).where(MaventaBudgetLease.holder != holder)).all()
        wanted = min(places, held + waiting)
        theirs = {other.holder: other.wanted for other in others}
        shares = fair_shares(theirs | {holder: wanted}, places)
        free = places - sum(other.places for other in others)
        allowed = max(0, min(shares[holder], free))
        recorded = max(allowed, held)
        mine = session.get(MaventaBudgetLease, holder)
        if mine is None:
            mine = MaventaBudgetLease(holder=holder, places=0, wanted=0, expires_at=0.0)
        mine.places, mine.wanted, mine.expires_at = recorded, wanted, now + LEASE_S
        session.add(mine)
    share = fair_shares(theirs | {holder: places}, places)[holder]
    return Lease(allowed=allowed, recorded=recorded, share=share)


def give_back(sessions: Sessions, holder: str) -> None:
    """The process holds no place and wants none: its row goes, and the others may have its share at once."""
    with unit_of_work(sessions) as session:
        session.execute(delete(MaventaBudgetLease).where(col(MaventaBudgetLease.holder) == holder))
