"""Fixtures of the deployment tests: the chart loaded once per module, a caching renderer, and
Ocean's settings parsed from a rendered environment."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import helm_python as helm
import pytest
from port_ocean.config.settings import IntegrationConfiguration

from tests.deployment.rendering import NAMESPACE, RELEASE, Rendered
from tests.deployment.support import CHART_DIR, REPO_ROOT, load_yaml_documents


@pytest.fixture(scope="module")
def chart() -> Iterator[helm.Chart]:
    with helm.Chart.load(CHART_DIR) as loaded:
        yield loaded


@pytest.fixture(scope="module")
def render(chart: helm.Chart) -> Callable[[dict[str, Any]], Rendered]:
    cache: dict[str, Rendered] = {}

    def _render(values: dict[str, Any]) -> Rendered:
        key = json.dumps(values, sort_keys=True)
        if key not in cache:
            text = chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
            documents = [
                doc
                for path, manifest in sorted(text.items())
                if path.endswith((".yaml", ".yml"))
                for doc in load_yaml_documents(manifest)
            ]
            cache[key] = Rendered(documents, text)
        return cache[key]

    return _render


@pytest.fixture
def ocean_config(
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[[dict[str, str]], IntegrationConfiguration]:
    """Parse an environment the way the running integration does (Ocean's settings)."""

    def _parse(env: dict[str, str]) -> IntegrationConfiguration:
        import os

        for name in list(os.environ):
            if name.upper().startswith(("OCEAN__", "APPLICATION__")):
                monkeypatch.delenv(name)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.chdir(REPO_ROOT)  # Ocean reads ./pyproject.toml for the type
        return IntegrationConfiguration()  # type: ignore[call-arg]  # port comes from env

    return _parse
