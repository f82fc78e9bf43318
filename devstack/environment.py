"""The environment every child of the stack gets: the user's own plus what lets the parts find each other."""

import os
from pathlib import Path

from devstack.secrets_key import dev_secrets_key
from settings import Settings

# Short enough to watch a whole lifecycle during a demo; 0 in settings means "only by control endpoint".
DEMO_BANK_CONFIRM_SECONDS = "20"
DEMO_DELIVERY_SECONDS = "10"
DEMO_BANK_NETWORK_CHECK_SECONDS = "5"


def _set_unless_given(env: dict[str, str], name: str, value: str) -> None:
    if not any(key.upper() == name for key in env):
        env[name] = value


def child_environment(settings: Settings, data_dir: Path) -> dict[str, str]:
    """The user's variables win; the clients point at the sandboxes unless told otherwise, and every child
    shares one secrets key (the data folder's own unless SECRETS_KEY is set)."""
    env = dict(os.environ)
    if not any(key.upper() == "SECRETS_KEY" for key in env):
        env["SECRETS_KEY"] = dev_secrets_key(data_dir)
    env["DATA_DIR"] = str(data_dir)
    env["PYTHONUNBUFFERED"] = "1"
    _set_unless_given(env, "SANDBOX_BANK_CONFIRM_SECONDS", DEMO_BANK_CONFIRM_SECONDS)
    _set_unless_given(env, "SANDBOX_DELIVERY_SECONDS", DEMO_DELIVERY_SECONDS)
    _set_unless_given(env, "BANK_NETWORK_CHECK_SECONDS", DEMO_BANK_NETWORK_CHECK_SECONDS)
    _set_unless_given(env, "BANK_NETWORK_CHECK_ANY_DAY", "true")
    _set_unless_given(env, "MAVENTA_BASE_URL", f"http://{settings.bind_host}:{settings.maventa_sandbox_port}")
    _set_unless_given(
        env, "NETVISOR_BASE_URL", f"http://{settings.bind_host}:{settings.netvisor_sandbox_port}"
    )
    return env
