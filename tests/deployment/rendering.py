"""Rendering charts/jira-integration for the deployment tests: the rendered objects, what a
container's environment ends up holding, and values merged the way Helm stacks values files."""

from __future__ import annotations

import base64
import copy
from dataclasses import dataclass
from typing import Any

import helm_python as helm
import pytest

RELEASE = "my-ocean-jira-integration"
NAMESPACE = "port-ocean"
KUBERNETES_VERSIONS = ["1.28.0", "1.29.0", "1.30.0", "1.31.0", "1.32.0", "1.33.0"]

# Distinctive secret values, so a leak anywhere outside a Secret is easy to spot.
PORT_CLIENT_ID = "port-client-id-5f1c"
PORT_CLIENT_SECRET = "port-client-secret-9a7e"
JIRA_EMAIL = "jira-bot-7d2b@example.com"
JIRA_TOKEN = "jira-api-token-3c8f"
WEBHOOK_SECRET = "jira-webhook-secret-e41a"
REDIS_PASSWORD = "redis-password-b6d0"
SECRET_VALUES = [
    PORT_CLIENT_ID,
    PORT_CLIENT_SECRET,
    JIRA_EMAIL,
    JIRA_TOKEN,
    WEBHOOK_SECRET,
    REDIS_PASSWORD,
]
# A Jira install as Port's docs have users add it to Port's chart defaults.
PORT_DOCS_JIRA_INSTALL: dict[str, Any] = {
    "port": {"clientId": PORT_CLIENT_ID, "clientSecret": PORT_CLIENT_SECRET},
    "initializePortResources": True,
    "scheduledResyncInterval": 120,
    "integration": {
        "identifier": "my-ocean-jira-integration",
        "type": "jira",
        "eventListener": {"type": "POLLING"},
        "config": {"jiraHost": "https://example.atlassian.net"},
        "secrets": {"atlassianUserEmail": JIRA_EMAIL, "atlassianUserToken": JIRA_TOKEN},
    },
}
# On top of the Port chart values file: the same install as a CronJob with Port's schedule.
PORT_CHART_AS_CRONJOB: dict[str, Any] = {
    "workload": {"kind": "CronJob"},
    "scheduledResyncInterval": "0 */6 * * *",
    "scheduleConcurrencyPolicy": "Replace",
    "liveEvents": {"baseUrl": "", "worker": {"enabled": False}},
    "ingress": {"enabled": False},
}
# The credential placeholders of the Port chart values file -> the values above.
PORT_CHART_PLACEHOLDERS = {
    "PORT_CLIENT_ID": PORT_CLIENT_ID,
    "PORT_CLIENT_SECRET": PORT_CLIENT_SECRET,
    "ATLASSIAN_USER_EMAIL": JIRA_EMAIL,
    "ATLASSIAN_USER_TOKEN": JIRA_TOKEN,
}


def merged(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep merge, like stacking Helm values files (a None is kept: Helm drops that key)."""
    result = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merged(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


@dataclass(frozen=True)
class Rendered:
    documents: list[dict[str, Any]]
    text: dict[str, str]

    def objects(self) -> set[tuple[str, str]]:
        return {(doc["kind"], doc["metadata"]["name"]) for doc in self.documents}

    def find(self, kind: str, name: str) -> dict[str, Any] | None:
        for doc in self.documents:
            if doc["kind"] == kind and doc["metadata"]["name"] == name:
                return doc
        return None

    def get(self, kind: str, name: str) -> dict[str, Any]:
        doc = self.find(kind, name)
        assert doc is not None, f"{kind}/{name} not rendered; got {sorted(self.objects())}"
        return doc

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [doc for doc in self.documents if doc["kind"] == kind]

    def workloads(self) -> list[dict[str, Any]]:
        return [doc for doc in self.documents if doc["kind"] in ("Deployment", "CronJob", "Job")]

    def pod_specs(self) -> list[dict[str, Any]]:
        return [pod_spec(workload) for workload in self.workloads()]

    def env_sources(self) -> list[dict[str, Any]]:
        """The rendered ConfigMaps and Secrets some container reads with envFrom."""
        kinds = {"configMapRef": "ConfigMap", "secretRef": "Secret"}
        names = {
            (kinds[key], ref[key]["name"])
            for spec in self.pod_specs()
            for container in spec["containers"]
            for ref in container.get("envFrom", [])
            for key in ref
        }
        return [doc for doc in self.documents if (doc["kind"], doc["metadata"]["name"]) in names]


@dataclass(frozen=True)
class EnvValue:
    source: str  # "configmap", "secret", "inline", "secret-ref", "other"
    value: str | None


def pod_template(workload: dict[str, Any]) -> dict[str, Any]:
    """The pod template of a Deployment, Job or CronJob."""
    if workload["kind"] == "CronJob":
        template: dict[str, Any] = workload["spec"]["jobTemplate"]["spec"]["template"]
    else:
        template = workload["spec"]["template"]
    return template


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    """The pod spec of a Deployment, Job or CronJob."""
    spec: dict[str, Any] = pod_template(workload)["spec"]
    return spec


def container_env(rendered: Rendered, workload: dict[str, Any]) -> dict[str, EnvValue]:
    """What the container sees: envFrom (in order), then env (which wins)."""
    (container,) = pod_spec(workload)["containers"]
    env: dict[str, EnvValue] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            config_map = rendered.get("ConfigMap", source["configMapRef"]["name"])
            for key, value in config_map.get("data", {}).items():
                env[key] = EnvValue("configmap", value)
        elif "secretRef" in source:
            secret = rendered.find("Secret", source["secretRef"]["name"])
            for key, value in (secret or {}).get("data", {}).items():
                env[key] = EnvValue("secret", base64.b64decode(value).decode())
        else:  # pragma: no cover - the chart uses no other source
            raise AssertionError(f"unexpected envFrom source {source}")
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = EnvValue("inline", item["value"])
        elif "secretKeyRef" in item.get("valueFrom", {}):
            env[item["name"]] = EnvValue("secret-ref", None)
        else:
            env[item["name"]] = EnvValue("other", None)
    return env


def plain_env(env: dict[str, EnvValue]) -> dict[str, str]:
    return {name: item.value for name, item in env.items() if item.value is not None}


def render_error(chart: helm.Chart, values: dict[str, Any]) -> str:
    with pytest.raises(helm.HelmError) as caught:
        chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    return str(caught.value)
