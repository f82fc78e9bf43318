"""docker-compose.yml read the way `docker compose config` would read it (no engine runs here).

Checks the production topology, its start order, that secrets only come from the environment, and that the API
and the worker get every setting they need under names settings/__init__.py knows.
"""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import SecretStr

from devstack.temporal_server import search_attribute_flag
from settings import Settings
from settings.safety import Role, unsafe_settings
from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES

REPO = Path(__file__).resolve().parents[1]
VARIABLE = re.compile(r"\$(?:\$|\{(?P<name>[A-Z0-9_]+)(?:(?P<op>:-|:\?)(?P<arg>[^}]*))?\})")
SECRET_SETTINGS = {
    name.upper() for name, field in Settings.model_fields.items() if isinstance(field.default, SecretStr)
}
PRODUCTION_ENV = {
    "POSTGRES_PASSWORD": "pg-secret",
    "SECRETS_KEY": "bXktcHJvZHVjdGlvbi1rZXktb2YtMzItYnl0ZXMtLS0=",
    "API_PUBLIC_URL": "https://maventa-connection.example",
    "API_NETVISOR_TOKEN": "netvisor-token-of-thirty-two-characters-or-more",
    "API_SUPPORT_TOKEN": "support-token-of-thirty-two-characters-or-more",
    "API_WEBHOOK_SECRET": "webhook-secret-of-thirty-two-characters-or-more",
    "MAVENTA_BASE_URL": "https://ax.maventa.com",
    "MAVENTA_VENDOR_API_KEY": "v",
    "MAVENTA_PARTNER_COMPANY_UUID": "00000000-0000-4000-8000-000000000001",
    "MAVENTA_PARTNER_USER_API_KEY": "u",
    "NETVISOR_BASE_URL": "https://integration.netvisor.fi",
    "NETVISOR_PARTNER_ID": "p",
    "NETVISOR_PARTNER_KEY": "pk",
    "NETVISOR_CUSTOMER_ID": "c",
    "NETVISOR_CUSTOMER_KEY": "ck",
}
NEEDED_BY = {
    "api": {"TEMPORAL_ADDRESS", "DATABASE_URL", "SECRETS_KEY", "BIND_HOST", "API_PUBLIC_URL"}
    | {"API_NETVISOR_TOKEN", "API_SUPPORT_TOKEN", "API_WEBHOOK_SECRET"}
    | {"MAVENTA_BASE_URL", "MAVENTA_VENDOR_API_KEY"},
    "worker": {"TEMPORAL_ADDRESS", "DATABASE_URL", "SECRETS_KEY", "BIND_HOST", "API_PUBLIC_URL"}
    | {"API_WEBHOOK_SECRET", "MAVENTA_BASE_URL", "MAVENTA_VENDOR_API_KEY", "MAVENTA_PARTNER_COMPANY_UUID"}
    | {"MAVENTA_PARTNER_USER_API_KEY", "NETVISOR_BASE_URL", "NETVISOR_PARTNER_ID", "NETVISOR_PARTNER_KEY"}
    | {"NETVISOR_CUSTOMER_ID", "NETVISOR_CUSTOMER_KEY", "METRICS_PORT"},
}


class MissingVariable(Exception):
    pass


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's `${VAR}`, `${VAR:-default}`, `${VAR:?error}` and `$$`, applied to every string."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name", "op", "arg")
        if env.get(name):
            return env[name]
        if op == ":?":
            raise MissingVariable(f"{name}: {arg}")
        return arg if op == ":-" else ""

    return VARIABLE.sub(substitute, value)


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return loaded


@pytest.fixture(scope="module")
def services(raw: dict[str, Any]) -> dict[str, Any]:
    resolved: dict[str, Any] = interpolate(raw["services"], PRODUCTION_ENV)
    return resolved


def test_production_topology_uses_the_official_images_and_our_dockerfile(services: dict[str, Any]) -> None:
    images = {name: service.get("image", "").split(":")[0] for name, service in services.items()}
    assert images["postgresql"] == "postgres"
    assert images["temporal"] == "temporalio/server"
    assert images["temporal-schema"] == images["temporal-setup"] == "temporalio/admin-tools"
    assert images["temporal-ui"] == "temporalio/ui"
    for ours in ("api", "worker", "migrate"):
        assert services[ours]["build"] == "."
    assert services["api"]["command"] == ["python", "-m", "starters.api"]
    assert services["worker"]["command"] == ["python", "-m", "workers"]
    assert services["migrate"]["command"] == ["python", "-m", "store", "migrate"]
    assert (REPO / "Dockerfile").exists()


def test_services_start_in_dependency_order(services: dict[str, Any]) -> None:
    def waits_for(name: str) -> dict[str, str]:
        return {dep: cond["condition"] for dep, cond in services[name]["depends_on"].items()}

    assert waits_for("temporal-schema") == {"postgresql": "service_healthy"}
    assert waits_for("temporal") == {"temporal-schema": "service_completed_successfully"}
    assert waits_for("temporal-setup") == {"temporal": "service_healthy"}
    assert waits_for("temporal-ui") == {"temporal": "service_healthy"}
    assert waits_for("migrate") == {"postgresql": "service_healthy"}
    for ours in ("api", "worker"):
        assert waits_for(ours) == {
            "migrate": "service_completed_successfully",
            "temporal-setup": "service_completed_successfully",
        }
    for checked in ("postgresql", "temporal", "api", "worker"):
        assert services[checked]["healthcheck"]["test"]


def test_api_and_worker_get_every_setting_they_need_by_names_settings_knows(services: dict[str, Any]) -> None:
    known = {name.upper() for name in Settings.model_fields}
    for name, needed in NEEDED_BY.items():
        environment = services[name]["environment"]
        assert needed <= set(environment), f"{name} lacks {needed - set(environment)}"
        assert set(environment) <= known, f"{name} sets unknown {set(environment) - known}"
        settings = Settings(**{key.lower(): value for key, value in environment.items()})
        assert settings.temporal_address == "temporal:7233"
        assert settings.store_url.startswith("postgresql+psycopg://")
        assert settings.bind_host == "0.0.0.0"


def test_the_image_in_production_accepts_what_compose_gives_each_service(services: dict[str, Any]) -> None:
    """The image runs with ENVIRONMENT=production (Dockerfile), refusing dev defaults (settings/safety.py)."""
    dockerfile = (REPO / "Dockerfile").read_text()
    assert re.search(r"^ENV ENVIRONMENT=production\b", dockerfile, re.MULTILINE)
    roles: dict[str, Role] = {"api": "api", "worker": "worker"}
    for name, role in roles.items():
        environment = {key.lower(): value for key, value in services[name]["environment"].items()}
        settings = Settings(**environment, environment="production")
        assert unsafe_settings(settings, role) == [], name


def test_secrets_come_only_from_the_environment(raw: dict[str, Any]) -> None:
    for name, service in raw["services"].items():
        for variable, value in (service.get("environment") or {}).items():
            if variable in SECRET_SETTINGS or "PASSWORD" in variable or variable == "POSTGRES_PWD":
                assert re.fullmatch(r"\$\{[A-Z_]+:\?[^}]+\}", str(value)), f"{name}.{variable} is committed"
    with pytest.raises(MissingVariable, match="POSTGRES_PASSWORD"):
        interpolate(raw["services"], {})


def test_temporal_gets_our_search_attributes_and_the_ui_our_codec(services: dict[str, Any]) -> None:
    registered = services["temporal-setup"]["environment"]["SEARCH_ATTRIBUTES"].split()
    assert sorted(registered) == sorted(search_attribute_flag(key) for key in ALL_SEARCH_ATTRIBUTES)
    ui = services["temporal-ui"]["environment"]
    assert ui["TEMPORAL_CODEC_ENDPOINT"] == f"{PRODUCTION_ENV['API_PUBLIC_URL']}/codec"


def test_image_runs_as_a_non_root_user_on_python_3_11() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, re.MULTILINE)
    users = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
