import os
import shutil
import subprocess
import sys
from pathlib import Path

import workflows
from workers.bytecode import cache_workflow_bytecode

ROOT = Path(__file__).resolve().parents[2]


def test_workflow_modules_get_cached_bytecode_even_where_python_would_not_write_it(tmp_path: Path) -> None:
    """A copy of the workflow package, imported as the worker would with PYTHONDONTWRITEBYTECODE set."""
    copy = tmp_path / "workflows"
    shutil.copytree(Path(workflows.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    environment = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": f"{tmp_path}:{ROOT}"}
    script = "import workers.bytecode as b; print(b.cache_workflow_bytecode())"

    result = subprocess.run(
        [sys.executable, "-c", script], env=environment, cwd=tmp_path, capture_output=True, text=True
    )

    assert result.stdout.strip() == "True", result.stderr
    cached = {path.name.split(".")[0] for path in (copy / "__pycache__").glob("*.pyc")}
    assert {"connection", "inbox", "sales_invoice", "billing"} <= cached


def test_caching_twice_changes_nothing() -> None:
    assert cache_workflow_bytecode() is True
    folder = Path(workflows.__file__).parent / "__pycache__"
    before = {path: path.stat().st_mtime_ns for path in folder.glob("*.pyc")}
    assert cache_workflow_bytecode() is True
    assert {path: path.stat().st_mtime_ns for path in folder.glob("*.pyc")} == before
