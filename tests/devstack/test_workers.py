"""`make run WORKERS=n`: n worker processes, each with its own metrics port, sharing Maventa's budget."""

from pathlib import Path

from devstack.ports import stack_ports
from devstack.stack import DevStack
from settings import Settings


def test_each_worker_has_its_own_metrics_port_and_the_first_is_metrics_port(tmp_path: Path) -> None:
    stack = DevStack(Settings(data_dir=tmp_path, workers=3, metrics_port=9500))
    assert [worker.name for worker in stack.workers] == ["worker 1", "worker 2", "worker 3"]
    assert stack.worker is stack.workers[0]
    assert [(worker.env | worker.overrides).get("METRICS_PORT") for worker in stack.workers[1:]] == [
        "9501",
        "9502",
    ]
    assert [port for what, _, port in stack_ports(stack.settings) if "metrics" in what] == [9500, 9501, 9502]
    assert len(stack.children) == 8


def test_a_lone_worker_is_named_as_before(tmp_path: Path) -> None:
    stack = DevStack(Settings(data_dir=tmp_path))
    assert [worker.name for worker in stack.workers] == ["worker"]
    assert stack.worker.overrides == {}
