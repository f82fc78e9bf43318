"""The lock files: every package of the dependency tree pinned to one version and its files' hashes.

`requirements-dev.lock` is what `make run` and `make test` install (the service plus its development tools);
`requirements.lock` is the production image's subset, with the same pins. Both are compiled by uv from
pyproject.toml (and the build backend from its `[build-system]`), and each carries a digest of the
requirements it was compiled from, so a changed pyproject.toml stops `make` until the locks are made again:

    make lock           after adding, removing or changing a requirement in pyproject.toml (other pins kept)
    make lock-upgrade   every package to its newest version allowed by pyproject.toml

Runs with the system's python3 (standard library only) for `check`, and with the venv's for `compile`.
"""

import hashlib
import json
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = REPO / "pyproject.toml"
DEV_LOCK = REPO / "requirements-dev.lock"
PRODUCTION_LOCK = REPO / "requirements.lock"
DIGEST_PREFIX = "# requirements digest: "
LOWEST_PYTHON = "3.11"


def requirements_digest(pyproject: Path = PYPROJECT) -> str:
    """A digest of what the locks are compiled from: the build backend, dependencies and extras."""
    config = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    inputs = {
        "build": config["build-system"]["requires"],
        "dependencies": config["project"]["dependencies"],
        "extras": config["project"].get("optional-dependencies", {}),
        "python": config["project"]["requires-python"],
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def recorded_digest(lock: Path) -> str | None:
    if not lock.exists():
        return None
    for line in lock.read_text(encoding="utf-8").splitlines():
        if line.startswith(DIGEST_PREFIX):
            return line.removeprefix(DIGEST_PREFIX).strip()
    return None


def stale_locks(
    pyproject: Path = PYPROJECT, locks: tuple[Path, ...] = (DEV_LOCK, PRODUCTION_LOCK)
) -> list[Path]:
    """The lock files not compiled from pyproject.toml's current requirements."""
    digest = requirements_digest(pyproject)
    return [lock for lock in locks if recorded_digest(lock) != digest]


def _compile(output: Path, *, extras: list[str], constraints: Path | None, upgrade: bool) -> None:
    build = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["build-system"]["requires"]
    command = [sys.executable, "-m", "uv", "pip", "compile", str(PYPROJECT), "-", "--quiet"]
    command += ["--universal", "--python-version", LOWEST_PYTHON, "--generate-hashes"]
    command += ["--custom-compile-command", "make lock", "--output-file", str(output)]
    for extra in extras:
        command += ["--extra", extra]
    if constraints is not None:
        command += ["--constraint", str(constraints)]
    if upgrade:
        command.append("--upgrade")
    subprocess.run(command, input="\n".join(build) + "\n", text=True, check=True, cwd=REPO)
    compiled = output.read_text(encoding="utf-8")
    output.write_text(f"{DIGEST_PREFIX}{requirements_digest()}\n{compiled}", encoding="utf-8")


def compile_locks(*, upgrade: bool) -> None:
    """The dev lock first; the production lock is its subset, constrained to the very same pins."""
    _compile(DEV_LOCK, extras=["dev"], constraints=None, upgrade=upgrade)
    _compile(PRODUCTION_LOCK, extras=[], constraints=DEV_LOCK, upgrade=False)


def main(argv: list[str]) -> int:
    if argv == ["check"]:
        stale = stale_locks()
        for lock in stale:
            print(
                f"{lock.name} was not compiled from pyproject.toml's current requirements: run `make lock` "
                "(README, Dependencies) and commit both lock files",
                file=sys.stderr,
            )
        return 1 if stale else 0
    if argv in (["compile"], ["compile", "--upgrade"]):
        compile_locks(upgrade="--upgrade" in argv)
        return 0
    print("usage: python tools/lockfile.py check | compile [--upgrade]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
