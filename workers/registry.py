"""The one list of what the worker runs: add workflow classes to WORKFLOWS, activities in activities_for."""

from collections.abc import Callable, Sequence
from typing import Any

from workers.dependencies import Dependencies

WORKFLOWS: Sequence[type] = ()


def activities_for(dependencies: Dependencies) -> list[Callable[..., Any]]:
    """The activity callables, bound to their clients.

    E.g. `MaventaActivities(dependencies.maventa).create_user`.
    """
    return []
