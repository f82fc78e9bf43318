"""Every activity the worker runs has its timeouts in the one table, and a lost worker is noticed soon."""

from datetime import timedelta
from pathlib import Path

from temporalio.common import RetryPolicy

from settings import Settings
from workers.dependencies import open_dependencies
from workers.registry import MAVENTA_ACTIVITIES, activities_for
from workflows.activity_timeouts import HEARTBEAT, TIMEOUTS
from workflows.inbox_models import InboxOptions

CALL_NETVISOR = {"update_invoicing_addresses", "bill_company", "report_status"}


async def test_every_registered_activity_has_an_entry_and_no_entry_is_stale(tmp_path: Path) -> None:
    async with open_dependencies(Settings(data_dir=tmp_path)) as dependencies:
        registered = {activity.__name__ for activity in activities_for(dependencies)}
    assert registered == set(TIMEOUTS)


def test_a_lost_worker_is_noticed_within_about_five_seconds() -> None:
    """A service call can take 30 s (Maventa) or 120 s (Netvisor): those activities heartbeat; the rest are
    short enough that their start-to-close notices it."""
    assert timedelta(seconds=5) >= HEARTBEAT
    for name, timeouts in TIMEOUTS.items():
        if name in MAVENTA_ACTIVITIES | CALL_NETVISOR:
            assert timeouts.heartbeat == HEARTBEAT, name
            assert timeouts.start_to_close >= timedelta(seconds=60), f"{name}: below a token and one request"
        else:
            assert timeouts.heartbeat is not None or timeouts.start_to_close <= timedelta(seconds=60), name


def test_the_sweeps_import_defaults_are_the_tables() -> None:
    table = TIMEOUTS["import_received"]
    options = InboxOptions()
    assert options.import_timeout == table.start_to_close
    assert options.import_heartbeat_timeout == table.heartbeat
    assert options.import_attempts == table.retry.maximum_attempts
    assert options.import_retry_first == table.retry.initial_interval
    assert Settings().inbound_heartbeat_timeout_s == HEARTBEAT.total_seconds()


def _duration(value: timedelta | None) -> str:
    if value is None:
        return "—"
    seconds = int(value.total_seconds())
    return f"{seconds // 60} min" if seconds >= 300 and seconds % 60 == 0 else f"{seconds} s"


def _retry(policy: RetryPolicy) -> str:
    attempts = f"{policy.maximum_attempts} attempts" if policy.maximum_attempts else "until it passes"
    longest = _duration(policy.maximum_interval) if policy.maximum_interval else "100 times the first"
    return f"{_duration(policy.initial_interval)} doubling to {longest}, {attempts}"


def timeout_rows() -> list[str]:
    """The table's rows as docs/reliability.md shows them."""
    return [
        f"| `{name}` | {_duration(t.start_to_close)} | {_duration(t.heartbeat)}"
        f"{' (its own, with progress)' if t.beats_itself else ''} | {_retry(t.retry)} | {t.why} |"
        for name, t in TIMEOUTS.items()
    ]


def test_docs_reliability_shows_the_table_as_it_is() -> None:
    page = (Path(__file__).parents[2] / "docs" / "reliability.md").read_text(encoding="utf-8")
    missing = [row for row in timeout_rows() if row not in page]
    assert not missing, "docs/reliability.md's timeout table is out of date:\n" + "\n".join(missing)


if __name__ == "__main__":
    print("\n".join(timeout_rows()))
