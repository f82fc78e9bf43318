"""The Maventa task queue: which activities run there, and the activity rate that keeps requests in budget."""

from pathlib import Path

import pytest

from settings import Settings
from workers.dependencies import open_dependencies
from workers.registry import MAVENTA_ACTIVITIES, activities_for

NOT_CALLING_MAVENTA = {
    "record_company",
    "update_invoicing_addresses",
    "forget_credentials",
    "companies_to_bill",
    "bill_company",
    "report_status",
}


def test_the_activity_rate_is_the_request_budget_over_the_requests_per_activity_from_each_partition() -> None:
    settings = Settings(maventa_requests_per_second=19.0, maventa_requests_per_activity=1.25)
    one_partition = settings.model_copy(update={"maventa_task_queue_partitions": 1})

    assert one_partition.maventa_activities_per_second == pytest.approx(15.2)
    assert settings.maventa_activities_per_second == pytest.approx(15.2 * 4), "the server's default: 4"
    assert Settings().maventa_activities_per_second is None


def test_the_maventa_queue_is_named_after_the_main_one_unless_set() -> None:
    assert Settings(temporal_task_queue="tq").maventa_task_queue == "tq-maventa"
    assert Settings(temporal_maventa_task_queue="mq").maventa_task_queue == "mq"


async def test_every_maventa_activity_is_registered_and_the_others_stay_on_the_main_queue(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path)
    async with open_dependencies(settings) as dependencies:
        registered = {activity.__name__ for activity in activities_for(dependencies)}

    assert registered >= MAVENTA_ACTIVITIES
    assert registered - MAVENTA_ACTIVITIES == NOT_CALLING_MAVENTA
