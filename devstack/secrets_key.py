"""SECRETS_KEY for `make run` when none is set: made once into the data folder and given to every child.

So the vault and the payload codec survive restarts without a key in the repository. Data written by an
earlier `make run` with the old built-in development key stays readable: that key follows as a decrypt-only
entry when the data folder already held a store or a Temporal database before the key file was made.
"""

import os
from pathlib import Path

from security.keys import new_key
from settings import Settings

KEY_FILE = "secrets.key"
EARLIER_DATA = ("service.db", "temporal.db")


def key_file(data_dir: Path) -> Path:
    return data_dir / KEY_FILE


def dev_secrets_key(data_dir: Path) -> str:
    """The data folder's key list, created (mode 0600) on first use."""
    path = key_file(data_dir)
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    entries = [new_key()]
    if any((data_dir / name).exists() for name in EARLIER_DATA):
        built_in = Settings.model_fields["secrets_key"].default
        entries.append(built_in.get_secret_value())
    keys = ",".join(entries)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(keys + "\n")
    return keys
