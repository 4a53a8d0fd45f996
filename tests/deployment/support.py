"""Shared helpers for the deployment tests: YAML loading, and the environment variables
Ocean and this integration actually read, derived from Ocean's settings models and the
integration's spec.yaml rather than from a hand-kept list."""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped, unused-ignore]
from port_ocean.config.settings import ApplicationSettings, IntegrationConfiguration
from pydantic import BaseModel

REPO_ROOT = Path(__file__).resolve().parents[2]
CHART_DIR = REPO_ROOT / "charts" / "jira-integration"
EXAMPLES_DIR = REPO_ROOT / "examples"
SPEC_FILE = REPO_ROOT / "integrations" / "jira" / ".port" / "spec.yaml"
FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures"
# A values file written for Port's port-ocean chart (Jira); its credentials are placeholders.
PORT_CHART_VALUES_FILE = FIXTURES_DIR / "port-ocean-jira-values.yaml"
# The defaults of Port's port-ocean chart, as a user copies them into a values file.
PORT_CHART_DEFAULTS_FILE = FIXTURES_DIR / "port-ocean-defaults.yaml"

# Used only while integrations/jira/.port/spec.yaml does not exist yet: the configuration
# names the integration was designed with (name -> sensitive).
FALLBACK_SPEC_CONFIGURATIONS: dict[str, bool] = {
    "jiraHost": False,
    "atlassianUserEmail": True,
    "atlassianUserToken": True,
    "atlassianOrganizationId": False,
    "webhookSecret": True,
    "appHost": False,
}

ENV_NAME_PATTERN = re.compile(r"\b(?:OCEAN|APPLICATION)__[A-Z0-9_]*[A-Z0-9]")


def load_yaml(text: str) -> Any:
    return yaml.safe_load(text)


def port_chart_values(placeholders: dict[str, str]) -> dict[str, Any]:
    """PORT_CHART_VALUES_FILE with its credential placeholders replaced."""
    text = PORT_CHART_VALUES_FILE.read_text("utf-8")
    for placeholder, value in placeholders.items():
        text = text.replace(placeholder, value)
    values: dict[str, Any] = load_yaml(text)
    return values


def port_chart_defaults() -> dict[str, Any]:
    """PORT_CHART_DEFAULTS_FILE: Port's chart defaults as a values file."""
    values: dict[str, Any] = load_yaml(PORT_CHART_DEFAULTS_FILE.read_text("utf-8"))
    return values


def load_yaml_documents(text: str) -> list[Any]:
    return [doc for doc in yaml.safe_load_all(text) if doc is not None]


def camel_to_snake(name: str) -> str:
    """jiraHost -> jira_host (what Ocean's decamelize and Helm's snakecase produce)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def config_env_name(config_name: str) -> str:
    return f"OCEAN__INTEGRATION__CONFIG__{camel_to_snake(config_name).upper()}"


@dataclass(frozen=True)
class SpecConfiguration:
    name: str
    sensitive: bool
    required: bool


@cache
def spec_configurations() -> tuple[SpecConfiguration, ...]:
    """The integration's configurations from spec.yaml (or the design-time fallback)."""
    if not SPEC_FILE.exists():
        return tuple(
            SpecConfiguration(name, sensitive, name == "jiraHost")
            for name, sensitive in FALLBACK_SPEC_CONFIGURATIONS.items()
        )
    spec = load_yaml(SPEC_FILE.read_text("utf-8"))
    return tuple(
        SpecConfiguration(
            str(item["name"]),
            bool(item.get("sensitive", False)),
            bool(item.get("required", False)),
        )
        for item in spec.get("configurations") or []
    )


def _model_classes(annotation: Any) -> Iterator[type[BaseModel]]:
    """The pydantic models inside an annotation (unions, Optional, Annotated...)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, typing.Annotated):
        for arg in typing.get_args(annotation):
            yield from _model_classes(arg)


def _settings_fields(model: type[BaseModel], prefix: str) -> Iterator[tuple[str, bool]]:
    """(ENV_NAME, sensitive) for every field of a settings model, nested ones included."""
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        env_name = f"{prefix}{name.upper()}"
        extra = field.json_schema_extra
        yield env_name, isinstance(extra, dict) and bool(extra.get("sensitive"))
        for nested in _model_classes(field.annotation):
            yield from _settings_fields(nested, f"{env_name}__")


@cache
def ocean_env_fields() -> dict[str, bool]:
    """Every OCEAN__*/APPLICATION__* variable Ocean or the integration reads -> sensitive."""
    fields: dict[str, bool] = {}
    for env_name, sensitive in _settings_fields(IntegrationConfiguration, "OCEAN__"):
        fields[env_name] = fields.get(env_name, False) or sensitive
    for env_name, sensitive in _settings_fields(ApplicationSettings, "APPLICATION__"):
        fields[env_name] = sensitive
    for configuration in spec_configurations():
        fields[config_env_name(configuration.name)] = configuration.sensitive
    return fields


def known_env_names() -> frozenset[str]:
    return frozenset(ocean_env_fields())


def sensitive_env_names() -> frozenset[str]:
    return frozenset(name for name, sensitive in ocean_env_fields().items() if sensitive)


def event_listener_fields() -> frozenset[str]:
    """snake_case fields of every Ocean event listener settings model."""
    annotation = IntegrationConfiguration.model_fields["event_listener"].annotation
    return frozenset(name for model in _model_classes(annotation) for name in model.model_fields)


def pyproject_version() -> str:
    text = (REPO_ROOT / "pyproject.toml").read_text("utf-8")
    import tomllib

    return str(tomllib.loads(text)["project"]["version"])
