"""An import's steps as an operator sees them on /metrics: one fixed label per step, failures timed too."""

import pytest
from prometheus_client import REGISTRY

from observability.import_steps import STEPS, observe, timed


def _count(step: str) -> float:
    return REGISTRY.get_sample_value("maventa_import_step_duration_seconds_count", {"step": step}) or 0.0


def test_a_step_that_fails_is_still_timed() -> None:
    before = _count("netvisor_import")
    with pytest.raises(RuntimeError), timed("netvisor_import"):
        raise RuntimeError("Netvisor did not answer")
    assert _count("netvisor_import") == before + 1


def test_only_the_named_steps_exist() -> None:
    """A step's name is a label value: an unknown one is a mistake in the code, not a new series."""
    with pytest.raises(KeyError):
        observe("invoice 123", 0.1)
    assert len(set(STEPS)) == len(STEPS)
