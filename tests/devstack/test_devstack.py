"""`make run` as a newcomer uses it: parts come up where the table says; Ctrl-C leaves nothing behind."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from bench.harness import free_port
from settings import Settings

REPO = Path(__file__).resolve().parents[2]
READY_LINE = "Ctrl-C stops everything"
START_TIMEOUT_S = 90
STOP_TIMEOUT_S = 40


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _children_of(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # Fields after the parenthesised command name: state, ppid, ...
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(entry.name))
    return children


def _group_is_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


@dataclass
class RunningStack:
    process: subprocess.Popen[bytes]
    output: Path
    ports: dict[str, int]
    data_dir: Path

    def text(self) -> str:
        return self.output.read_text(errors="replace")


@pytest.fixture
def workers() -> int:
    """Worker processes: `make run`'s one, unless a test parametrizes `workers` (`make run WORKERS=n`)."""
    return 1


@pytest.fixture
def stack(tmp_path: Path, workers: int) -> Iterator[RunningStack]:
    names = ("temporal", "ui", "api", "maventa", "netvisor", *(f"metrics{n}" for n in range(workers)))
    ports = {name: free_port() for name in names}
    # The n-th worker's metrics are on METRICS_PORT + n - 1: the first port is chosen so that all are free.
    while not all(_port_is_free(ports["metrics0"] + n) for n in range(workers)):
        ports["metrics0"] = free_port()
    ports |= {f"metrics{n}": ports["metrics0"] + n for n in range(workers)}
    data_dir = tmp_path / "data"
    env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "TEMPORAL_ADDRESS": f"127.0.0.1:{ports['temporal']}",
        "TEMPORAL_UI_PORT": str(ports["ui"]),
        "API_PORT": str(ports["api"]),
        "MAVENTA_SANDBOX_PORT": str(ports["maventa"]),
        "NETVISOR_SANDBOX_PORT": str(ports["netvisor"]),
        "METRICS_PORT": str(ports["metrics0"]),
        "WORKERS": str(workers),
    }
    output = tmp_path / "devstack.out"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack"], cwd=REPO, env=env, stdout=sink, stderr=subprocess.STDOUT
        )
    running = RunningStack(process, output, ports, data_dir)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while READY_LINE not in running.text():
            assert process.poll() is None, f"devstack exited early:\n{running.text()[-4000:]}"
            assert time.monotonic() < deadline, f"devstack not up in time:\n{running.text()[-4000:]}"
            time.sleep(0.2)
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(STOP_TIMEOUT_S)


def _polling_pids(ports: dict[str, int]) -> set[int]:
    """Process ids of the workers polling the task queue, from their `pid@host` identities."""

    async def describe() -> set[int]:
        client = await Client.connect(f"127.0.0.1:{ports['temporal']}")
        description = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace="default",
                task_queue=TaskQueue(name=Settings().temporal_task_queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            )
        )
        return {int(poller.identity.split("@")[0]) for poller in description.pollers}

    return asyncio.run(describe())


@pytest.mark.parametrize("workers", [2])
def test_make_run_workers_2_brings_everything_up_and_ctrl_c_frees_it(stack: RunningStack) -> None:
    ports = stack.ports
    table = stack.text()
    for where in (
        f"http://127.0.0.1:{ports['ui']}",
        f"127.0.0.1:{ports['temporal']}",
        f"http://127.0.0.1:{ports['api']}/docs",
        f"http://127.0.0.1:{ports['maventa']}",
        f"http://127.0.0.1:{ports['netvisor']}",
        f"http://127.0.0.1:{ports['metrics0']}/metrics",
        f"http://127.0.0.1:{ports['metrics1']}/metrics",
        str(stack.data_dir),
        "dev-support-token",
    ):
        assert where in table

    with httpx.Client(timeout=5) as http:
        health = http.get(f"http://127.0.0.1:{ports['api']}/healthz")
        assert health.status_code == 200, health.text
        assert http.get(f"http://127.0.0.1:{ports['ui']}/").status_code == 200
        for sandbox in ("maventa", "netvisor"):
            assert http.get(f"http://127.0.0.1:{ports[sandbox]}/openapi.json").status_code == 200
        for worker in ("metrics0", "metrics1"):
            metrics = http.get(f"http://127.0.0.1:{ports[worker]}/metrics")
            assert metrics.status_code == 200
            assert "temporal_" in metrics.text

    groups = _children_of(stack.process.pid)
    assert len(groups) == 7, "dev server, its UI's proxy, two sandboxes, two workers and API"
    assert all(os.getpgid(pid) == pid for pid in groups), "each child leads its own process group"
    workers = {pid for pid in groups if Path(f"/proc/{pid}/cmdline").read_bytes().endswith(b"-m\0workers\0")}
    assert len(workers) == 2
    assert _polling_pids(ports) >= workers, "both workers poll the one task queue"

    stack.process.send_signal(signal.SIGINT)
    assert stack.process.wait(STOP_TIMEOUT_S) == 0

    assert all(_group_is_gone(pgid) for pgid in groups), "no child process is left"
    assert all(_port_is_free(port) for port in ports.values()), "every port is free again"
    assert (stack.data_dir / "temporal.db").exists(), "Temporal's state survives in the data folder"


def test_a_child_dying_stops_the_rest_with_a_non_zero_exit(stack: RunningStack) -> None:
    groups = _children_of(stack.process.pid)
    api = next(pid for pid in groups if b"starters.api" in Path(f"/proc/{pid}/cmdline").read_bytes())

    os.killpg(api, signal.SIGKILL)

    assert stack.process.wait(STOP_TIMEOUT_S) == 1
    assert "API exited unexpectedly" in stack.text()
    assert all(_group_is_gone(pgid) for pgid in groups)
    assert all(_port_is_free(port) for port in stack.ports.values())
