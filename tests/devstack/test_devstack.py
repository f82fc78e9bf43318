"""`make run` as a newcomer uses it: parts come up where the table says; Ctrl-C leaves nothing behind."""

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

from bench.harness import free_port

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
def stack(tmp_path: Path) -> Iterator[RunningStack]:
    ports = {name: free_port() for name in ("temporal", "ui", "api", "maventa", "netvisor", "metrics")}
    data_dir = tmp_path / "data"
    env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "TEMPORAL_ADDRESS": f"127.0.0.1:{ports['temporal']}",
        "TEMPORAL_UI_PORT": str(ports["ui"]),
        "API_PORT": str(ports["api"]),
        "MAVENTA_SANDBOX_PORT": str(ports["maventa"]),
        "NETVISOR_SANDBOX_PORT": str(ports["netvisor"]),
        "METRICS_PORT": str(ports["metrics"]),
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


def test_make_run_brings_everything_up_and_ctrl_c_frees_it(stack: RunningStack) -> None:
    ports = stack.ports
    table = stack.text()
    for where in (
        f"http://127.0.0.1:{ports['ui']}",
        f"127.0.0.1:{ports['temporal']}",
        f"http://127.0.0.1:{ports['api']}/docs",
        f"http://127.0.0.1:{ports['maventa']}",
        f"http://127.0.0.1:{ports['netvisor']}",
        f"http://127.0.0.1:{ports['metrics']}/metrics",
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
        metrics = http.get(f"http://127.0.0.1:{ports['metrics']}/metrics")
        assert metrics.status_code == 200
        assert "temporal_" in metrics.text

    groups = _children_of(stack.process.pid)
    assert len(groups) == 6, "dev server, its UI's proxy, two sandboxes, worker and API"
    assert all(os.getpgid(pid) == pid for pid in groups), "each child leads its own process group"

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
