"""The production image (Dockerfile) as far as it can be checked without a Docker engine: it installs the
production lock with hashes, leaves the sandboxes, dev stack and dev tools out, and the service runs without
them."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LEFT_OUT = ("sandbox", "devstack", "bench", "tests", "tools", "requirements-dev.lock")
DEV_PACKAGES = ("pytest", "hypothesis", "schemathesis", "ruff", "mypy", "uv")
SERVICE_MODULES = (
    "workers.__main__",
    "starters.api.__main__",
    "starters.cli.app",
    "store.__main__",
    "security.__main__",
)


def test_the_image_installs_the_production_lock_with_hashes_and_the_service_without_dependencies() -> None:
    steps = [line for line in (REPO / "Dockerfile").read_text().splitlines() if line.startswith("RUN pip")]
    assert steps[0] == "RUN pip install --require-hashes -r requirements.lock"
    assert steps[1].startswith("RUN pip install --no-deps --no-build-isolation . ")


def test_the_build_context_leaves_out_sandboxes_dev_stack_and_dev_tools() -> None:
    ignored = {line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()}
    assert set(LEFT_OUT) <= ignored


def test_the_service_modules_import_without_sandboxes_dev_stack_or_dev_packages() -> None:
    blocked = [*LEFT_OUT[:5], *DEV_PACKAGES]
    program = (
        "import sys\n"
        f"for name in {blocked!r}: sys.modules[name] = None\n"
        f"for module in {SERVICE_MODULES!r}: __import__(module)\n"
    )
    answer = subprocess.run([sys.executable, "-c", program], cwd=REPO, capture_output=True, text=True)
    assert answer.returncode == 0, answer.stderr
