"""Cached bytecode for the workflow modules.

The workflow sandbox imports a workflow's module afresh for every workflow run it starts or brings back into
the cache. Python reads cached bytecode for that import when there is some, but never writes it where
`PYTHONDONTWRITEBYTECODE` is set (this image's environment, many CI machines): then every one of those
imports compiles the module's source again, which was 18 % of the worker's CPU in a founding burst
(bench/README.md). Compiling them once at start costs a fraction of a second.
"""

import compileall
import logging
from pathlib import Path

import workflows

log = logging.getLogger(__name__)


def cache_workflow_bytecode() -> bool:
    """Compile the workflow modules into `__pycache__` unless they are; False if that cannot be done."""
    folder = Path(workflows.__file__).parent
    cached = bool(compileall.compile_dir(folder, maxlevels=0, quiet=2))
    if not cached:
        log.warning(
            "workflow modules' bytecode not cached: each new workflow run compiles them",
            extra={"folder": str(folder)},
        )
    return cached
