"""Offline tests of charts/jira-integration: render with Helm's Go SDK (helm-python-sdk),
lint strictly, validate every manifest against Kubernetes' schemas (kubernetes-validate), and
check that each value reaches the container as the variable Ocean actually reads."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import helm_python as helm
import kubernetes_validate
import pytest
from port_ocean.config.settings import IntegrationConfiguration
from port_ocean.consumers.live_events_stream_key import (
    resolve_live_events_stream_key_from_base_url,
)
from port_ocean.core.models import EventListenerType

from tests.deployment.rendering import (
    JIRA_EMAIL,
    JIRA_TOKEN,
    KUBERNETES_VERSIONS,
    NAMESPACE,
    PORT_CHART_AS_CRONJOB,
    PORT_CHART_PLACEHOLDERS,
    PORT_CLIENT_ID,
    PORT_CLIENT_SECRET,
    PORT_DOCS_JIRA_INSTALL,
    REDIS_PASSWORD,
    RELEASE,
    SECRET_VALUES,
    WEBHOOK_SECRET,
    EnvValue,
    Rendered,
    container_env,
    merged,
    plain_env,
    pod_spec,
    render_error,
)
from tests.deployment.support import (
    CHART_DIR,
    EXAMPLES_DIR,
    REPO_ROOT,
    camel_to_snake,
    config_env_name,
    event_listener_fields,
    known_env_names,
    load_yaml,
    port_chart_defaults,
    port_chart_values,
    pyproject_version,
    sensitive_env_names,
    spec_configurations,
)

# The values Port's Jira docs tell users to set (docs/installation.md uses the same).
DOCS_VALUES: dict[str, Any] = {
    "port": {
        "clientId": PORT_CLIENT_ID,
        "clientSecret": PORT_CLIENT_SECRET,
        "baseUrl": "https://api.getport.io",
    },
    "integration": {
        "identifier": "my-ocean-jira-integration",
        "type": "jira",
        "eventListener": {"type": "POLLING"},
        "config": {
            "jiraHost": "https://example.atlassian.net",
            "atlassianOrganizationId": "org-42",
        },
        "secrets": {"atlassianUserEmail": JIRA_EMAIL, "atlassianUserToken": JIRA_TOKEN},
    },
    "scheduledResyncInterval": 120,
    "initializePortResources": True,
    "sendRawDataExamples": True,
}


def without_credentials(values: dict[str, Any]) -> dict[str, Any]:
    result = copy.deepcopy(values)
    del result["port"]["clientId"], result["port"]["clientSecret"]
    del result["integration"]["secrets"]
    return result


def argocd_values() -> dict[str, Any]:
    """examples/argocd/values.yaml (placeholders filled in) + the Application's parameters."""
    text = (EXAMPLES_DIR / "argocd" / "values.yaml").read_text("utf-8")
    for placeholder, value in {
        "ATLASSIAN_JIRA_HOST": "https://example.atlassian.net",
        "ATLASSIAN_USER_EMAIL": JIRA_EMAIL,
        "ATLASSIAN_USER_TOKEN": JIRA_TOKEN,
    }.items():
        text = text.replace(placeholder, value)
    values: dict[str, Any] = load_yaml(text)
    application = load_yaml((EXAMPLES_DIR / "argocd" / "application.yaml").read_text("utf-8"))
    placeholders = {
        "YOUR_PORT_CLIENT_ID": PORT_CLIENT_ID,
        "YOUR_PORT_CLIENT_SECRET": PORT_CLIENT_SECRET,
    }
    for source in application["spec"]["sources"]:
        for parameter in source.get("helm", {}).get("parameters", []):
            value = placeholders.get(parameter["value"], parameter["value"])
            values = merged(values, helm.parse_set_string(f"{parameter['name']}={value}"))
    return values


SCENARIOS: dict[str, dict[str, Any]] = {
    "docs": DOCS_VALUES,
    "argocd": argocd_values(),
    "cronjob": merged(
        DOCS_VALUES,
        {
            "workload": {
                "kind": "CronJob",
                "cronJob": {
                    "schedule": "30 */6 * * *",
                    "timeZone": "Europe/Berlin",
                    "activeDeadlineSeconds": 3600,
                },
            },
            "integration": {"eventListener": {"type": "KAFKA"}},
        },
    ),
    # Scheduled ONCE syncs plus HTTP-fed live-events replicas behind the Service.
    "cronjob-live-events": merged(
        DOCS_VALUES,
        {
            "workload": {"kind": "CronJob"},
            "liveEvents": {"baseUrl": "https://jira.example.com", "replicas": 2},
        },
    ),
    # A values file written for Port's port-ocean chart, unchanged (test_port_chart_values.py).
    "port-chart": port_chart_values(PORT_CHART_PLACEHOLDERS),
    "port-chart-defaults": merged(port_chart_defaults(), PORT_DOCS_JIRA_INSTALL),
    "port-chart-cronjob": merged(port_chart_values(PORT_CHART_PLACEHOLDERS), PORT_CHART_AS_CRONJOB),
    "existing-secret": merged(
        without_credentials(DOCS_VALUES), {"secret": {"existingSecret": "jira-credentials"}}
    ),
    # Port's chart values naming an existing Secret beside inline credentials (ignored).
    "port-chart-existing-secret": merged(
        port_chart_values(PORT_CHART_PLACEHOLDERS),
        {"secret": {"create": False, "name": "jira-ocean-credentials"}},
    ),
    "live-events-http": merged(
        DOCS_VALUES,
        {
            "liveEvents": {"baseUrl": "https://jira.example.com", "replicas": 3},
            "ingress": {"enabled": True, "host": "jira.example.com"},
            "integration": {"secrets": {"webhookSecret": WEBHOOK_SECRET}},
        },
    ),
    "live-events-redis": merged(
        DOCS_VALUES,
        {
            "liveEvents": {
                "baseUrl": "https://ingest.example.com/live-events/3f6a9c",
                "replicas": 2,
                "workersCount": 4,
                "redis": {
                    "url": "rediss://redis.example.com:6380/0",
                    "username": "ocean",
                    "password": REDIS_PASSWORD,
                    "ca": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==",
                },
            },
            "integration": {"secrets": {"webhookSecret": WEBHOOK_SECRET}},
        },
    ),
    "full": merged(
        DOCS_VALUES,
        {
            "nameOverride": "jira",
            "image": {
                "repository": "registry.example.com/port/jira",
                "tag": "1.2.3",
                "pullPolicy": "Always",
            },
            "imagePullSecrets": [{"name": "registry-credentials"}],
            "integration": {
                "identifier": "jira-prod",
                "eventListener": {"type": "POLLING", "resyncOnStart": False, "interval": 30},
                "config": {"appHost": "https://legacy.example.com"},
                "secrets": {"webhookSecret": WEBHOOK_SECRET},
            },
            "port": {"baseUrl": "https://api.us.getport.io"},
            "scheduledResyncInterval": 60,
            "initializePortResources": False,
            "sendRawDataExamples": False,
            "logLevel": "DEBUG",
            "liveEvents": {"baseUrl": "https://jira.example.com/", "workersCount": 2},
            "serviceAccount": {
                "create": True,
                "name": "jira-sa",
                "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/jira"},
            },
            "podAnnotations": {"example.com/team": "platform"},
            "podLabels": {"example.com/cost-center": "42"},
            "podSecurityContext": {"runAsUser": None, "fsGroup": None},
            "resources": {
                "requests": {"cpu": "100m", "memory": "256Mi"},
                "limits": {"cpu": "1", "memory": "2Gi"},
            },
            "nodeSelector": {"kubernetes.io/arch": "arm64"},
            "tolerations": [
                {"key": "dedicated", "operator": "Equal", "value": "port", "effect": "NoSchedule"}
            ],
            "affinity": {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {
                                "matchExpressions": [
                                    {"key": "pool", "operator": "In", "values": ["tools"]}
                                ]
                            }
                        ]
                    }
                }
            },
            "extraEnv": [
                {"name": "OCEAN__PROCESSING_MODE", "value": "ocean-core"},
                {"name": "SSL_CERT_FILE", "value": "/etc/custom-ca/ca.crt"},
            ],
            "extraVolumes": [{"name": "custom-ca", "configMap": {"name": "corporate-ca"}}],
            "extraVolumeMounts": [
                {"name": "custom-ca", "mountPath": "/etc/custom-ca", "readOnly": True}
            ],
            "service": {"annotations": {"example.com/scrape": "false"}},
            "ingress": {
                "enabled": True,
                "className": "nginx",
                "annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": "8m"},
                "host": "jira.example.com",
                "tls": [{"secretName": "jira-tls", "hosts": ["jira.example.com"]}],
            },
        },
    ),
}


@pytest.fixture(scope="module")
def rendered(render: Callable[[dict[str, Any]], Rendered]) -> dict[str, Rendered]:
    return {name: render(values) for name, values in SCENARIOS.items()}


# --------------------------------------------------------------------------- chart basics


def test_chart_metadata_matches_the_integration(chart: helm.Chart) -> None:
    metadata = chart.metadata
    assert metadata["name"] == "jira-integration"
    assert metadata["apiVersion"] == "v2"
    assert metadata["appVersion"] == pyproject_version()
    assert not metadata.get("dependencies"), "the chart must render offline, without sub-charts"
    assert chart.dependencies == []
    assert chart.schema is not None


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_lint_strict(scenario: str) -> None:
    report = helm.lint(CHART_DIR, SCENARIOS[scenario], strict=True, namespace=NAMESPACE)
    problems = [message for message in report["messages"] if message["severity"] >= 2]
    assert report["errors"] == [] and problems == [], report


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_manifests_are_valid_kubernetes(
    rendered: dict[str, Rendered], scenario: str, version: str
) -> None:
    documents = rendered[scenario].documents
    assert documents
    for document in documents:
        kubernetes_validate.validate(document, version, strict=True)


# --------------------------------------------------------------------------- objects


def test_docs_example_renders_exactly_the_expected_objects(
    rendered: dict[str, Rendered],
) -> None:
    assert rendered["docs"].objects() == {
        ("ServiceAccount", RELEASE),
        ("Secret", RELEASE),
        ("ConfigMap", RELEASE),
        ("Service", RELEASE),
        ("Deployment", RELEASE),
    }
    assert rendered["argocd"].objects() == rendered["docs"].objects()


def test_every_scenario_renders_the_expected_objects(rendered: dict[str, Rendered]) -> None:
    expected = {
        "cronjob": {"ServiceAccount", "Secret", "ConfigMap", "CronJob"},
        "cronjob-live-events": {
            "ServiceAccount",
            "Secret",
            "ConfigMap",
            "CronJob",
            "Service",
            "Deployment-live-events",
        },
        "existing-secret": {"ServiceAccount", "ConfigMap", "Service", "Deployment"},
        "port-chart-existing-secret": {
            "ServiceAccount",
            "ConfigMap",
            "Secret-ca",
            "Service",
            "Ingress",
            "Deployment",
            "Deployment-live-events",
            "CronJob-incremental",
        },
        "live-events-http": {
            "ServiceAccount",
            "Secret",
            "ConfigMap",
            "Service",
            "Ingress",
            "Deployment",
            "Deployment-live-events",
        },
        "live-events-redis": {
            "ServiceAccount",
            "Secret",
            "ConfigMap",
            "Service",
            "Deployment",
            "Deployment-live-events",
        },
    }
    for scenario, kinds in expected.items():
        got = {kind + name.removeprefix(RELEASE) for kind, name in rendered[scenario].objects()}
        assert got == kinds, scenario
    full = rendered["full"]
    assert full.objects() == {
        ("ServiceAccount", "jira-sa"),
        ("Secret", RELEASE),
        ("ConfigMap", RELEASE),
        ("Service", RELEASE),
        ("Ingress", RELEASE),
        ("Deployment", RELEASE),
    }


# --------------------------------------------------------------------------- settings → env


def test_docs_example_reaches_the_container_as_ocean_variables(
    rendered: dict[str, Rendered],
    ocean_config: Callable[[dict[str, str]], IntegrationConfiguration],
) -> None:
    docs = rendered["docs"]
    env = container_env(docs, docs.get("Deployment", RELEASE))
    assert env == {
        "APPLICATION__PORT": EnvValue("configmap", "8000"),
        "APPLICATION__LOG_LEVEL": EnvValue("configmap", "INFO"),
        "OCEAN__PORT__BASE_URL": EnvValue("configmap", "https://api.getport.io"),
        "OCEAN__INTEGRATION__IDENTIFIER": EnvValue("configmap", "my-ocean-jira-integration"),
        "OCEAN__INTEGRATION__TYPE": EnvValue("configmap", "jira"),
        "OCEAN__INITIALIZE_PORT_RESOURCES": EnvValue("configmap", "true"),
        "OCEAN__SEND_RAW_DATA_EXAMPLES": EnvValue("configmap", "true"),
        "OCEAN__SCHEDULED_RESYNC_INTERVAL": EnvValue("configmap", "120"),
        "OCEAN__INTEGRATION__CONFIG__JIRA_HOST": EnvValue(
            "configmap", "https://example.atlassian.net"
        ),
        "OCEAN__INTEGRATION__CONFIG__ATLASSIAN_ORGANIZATION_ID": EnvValue("configmap", "org-42"),
        "OCEAN__PORT__CLIENT_ID": EnvValue("secret", PORT_CLIENT_ID),
        "OCEAN__PORT__CLIENT_SECRET": EnvValue("secret", PORT_CLIENT_SECRET),
        "OCEAN__INTEGRATION__CONFIG__ATLASSIAN_USER_EMAIL": EnvValue("secret", JIRA_EMAIL),
        "OCEAN__INTEGRATION__CONFIG__ATLASSIAN_USER_TOKEN": EnvValue("secret", JIRA_TOKEN),
        "OCEAN__EVENT_LISTENER": EnvValue("inline", '{"type":"POLLING"}'),
    }

    config = ocean_config(plain_env(env))
    assert config.port.client_id == PORT_CLIENT_ID
    assert config.port.client_secret == PORT_CLIENT_SECRET
    assert str(config.port.base_url) == "https://api.getport.io"
    assert config.integration.identifier == "my-ocean-jira-integration"
    assert config.integration.type == "jira"
    assert config.event_listener.type == EventListenerType.POLLING
    assert config.scheduled_resync_interval == 120
    assert config.initialize_port_resources is True
    assert config.send_raw_data_examples is True
    assert config.base_url is None
    assert config.integration.config == {
        "jira_host": "https://example.atlassian.net",
        "atlassian_organization_id": "org-42",
        "atlassian_user_email": JIRA_EMAIL,
        "atlassian_user_token": JIRA_TOKEN,
    }


def test_every_option_reaches_ocean(
    rendered: dict[str, Rendered],
    ocean_config: Callable[[dict[str, str]], IntegrationConfiguration],
) -> None:
    full = rendered["full"]
    env = container_env(full, full.get("Deployment", RELEASE))
    assert env["OCEAN__INTEGRATION__CONFIG__WEBHOOK_SECRET"] == EnvValue("secret", WEBHOOK_SECRET)
    assert env["OCEAN__BASE_URL"] == EnvValue("configmap", "https://jira.example.com")
    assert env["OCEAN__PROCESSING_MODE"] == EnvValue("inline", "ocean-core")

    config = ocean_config(plain_env(env))
    assert str(config.port.base_url) == "https://api.us.getport.io"
    assert config.integration.identifier == "jira-prod"
    assert config.scheduled_resync_interval == 60
    assert config.initialize_port_resources is False
    assert config.send_raw_data_examples is False
    assert config.base_url == "https://jira.example.com"
    assert config.event_workers_count == 2
    assert config.processing_mode.value == "ocean-core"
    listener = config.event_listener.model_dump()
    assert listener["type"] == EventListenerType.POLLING
    assert listener["resync_on_start"] is False and listener["interval"] == 30
    assert config.integration.config["webhook_secret"] == WEBHOOK_SECRET
    assert config.integration.config["app_host"] == "https://legacy.example.com"
    assert env["APPLICATION__LOG_LEVEL"] == EnvValue("configmap", "DEBUG")


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_variable_set_is_one_ocean_or_the_integration_reads(
    rendered: dict[str, Rendered], scenario: str
) -> None:
    known = known_env_names()
    chart_set: set[str] = set()
    for document in rendered[scenario].env_sources():
        chart_set |= set(document.get("data", {}))
    for spec in rendered[scenario].pod_specs():
        for container in spec["containers"]:
            chart_set |= {item["name"] for item in container.get("env", [])}
    # Non-Ocean variables only ever come from the test's own extraEnv, and the CA bundle
    # variables from selfSignedCertificate.
    extra = {item["name"] for item in SCENARIOS[scenario].get("extraEnv") or []}
    if SCENARIOS[scenario].get("selfSignedCertificate", {}).get("enabled"):
        extra |= {"SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"}
    assert chart_set - known - extra == set()
    assert {name for name in chart_set if not name.startswith(("OCEAN__", "APPLICATION__"))} <= {
        name for name in extra
    }


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_secrets_reach_containers_only_from_secrets(
    rendered: dict[str, Rendered], scenario: str
) -> None:
    sensitive = sensitive_env_names() | {
        config_env_name(name) for name in SCENARIOS[scenario]["integration"].get("secrets", {})
    }
    result = rendered[scenario]
    for config_map in result.of_kind("ConfigMap"):
        assert not sensitive & set(config_map["data"]), "a secret landed in the ConfigMap"
    for spec in result.pod_specs():
        for container in spec["containers"]:
            for item in container.get("env", []):
                if item["name"] in sensitive:
                    assert "secretKeyRef" in item.get("valueFrom", {}), item
            for source in container.get("envFrom", []):
                assert set(source) <= {"configMapRef", "secretRef"}
    for source in result.env_sources():
        assert set(source["data"]) <= known_env_names() | {
            item["name"] for item in SCENARIOS[scenario].get("extraEnv") or []
        }
    # No secret value appears anywhere outside the Secret, in clear or base64.
    for document in result.documents:
        if document["kind"] == "Secret":
            continue
        dumped = json.dumps(document)
        for value in SECRET_VALUES:
            assert value not in dumped
            assert base64.b64encode(value.encode()).decode() not in dumped


def test_chart_secrets_and_config_match_the_spec(chart: helm.Chart) -> None:
    schema = chart.schema
    assert schema is not None
    integration = schema["properties"]["integration"]["properties"]
    config_keys = set(integration["config"]["properties"])
    secret_keys = set(integration["secrets"]["properties"])
    spec = {item.name: item for item in spec_configurations()}
    assert config_keys | secret_keys <= set(spec), "the chart offers a setting the spec lacks"
    assert not {key for key in config_keys if spec[key].sensitive}, "sensitive key in config"
    assert {name for name, item in spec.items() if item.sensitive} <= secret_keys
    assert {name for name, item in spec.items() if item.required} <= config_keys | secret_keys


def test_event_listener_keys_are_ocean_fields(chart: helm.Chart) -> None:
    schema = chart.schema
    assert schema is not None
    listener = schema["properties"]["integration"]["properties"]["eventListener"]
    assert {camel_to_snake(key) for key in listener["properties"]} <= event_listener_fields()


# --------------------------------------------------------------------------- workloads


def test_deployment_security_probes_and_resources(rendered: dict[str, Rendered]) -> None:
    deployment = rendered["docs"].get("Deployment", RELEASE)
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    spec = pod_spec(deployment)
    (container,) = spec["containers"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] == 1001
    assert spec["automountServiceAccountToken"] is False
    assert spec["serviceAccountName"] == RELEASE
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    # A writable /tmp and HOME (/tmp/ocean, as in the image) on a read-only root filesystem.
    assert container["volumeMounts"] == [
        {"name": "tmp", "mountPath": "/tmp"},
        {"name": "home", "mountPath": "/tmp/ocean"},
    ]
    assert spec["volumes"] == [
        {"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}},
        {"name": "home", "emptyDir": {"sizeLimit": "1Gi"}},
    ]
    assert container["livenessProbe"]["httpGet"] == {"path": "/health/live", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/health/ready", "port": "http"}
    assert container["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
    assert container["resources"] == {
        "requests": {"cpu": "200m", "memory": "512Mi"},
        "limits": {"cpu": "500m", "memory": "1Gi"},
    }
    assert container["image"] == f"ghcr.io/your-org/port-ocean-jira:{pyproject_version()}"
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert {"checksum/config", "checksum/secret"} <= set(annotations)
    service = rendered["docs"].get("Service", RELEASE)
    assert service["spec"]["ports"][0]["port"] == 8000
    assert service["spec"]["selector"]["app.kubernetes.io/component"] == "sync"


def test_overrides_reach_the_pod(rendered: dict[str, Rendered]) -> None:
    full = rendered["full"]
    deployment = full.get("Deployment", RELEASE)
    spec = pod_spec(deployment)
    (container,) = spec["containers"]
    values = SCENARIOS["full"]
    assert container["image"] == "registry.example.com/port/jira:1.2.3"
    assert container["imagePullPolicy"] == "Always"
    assert spec["imagePullSecrets"] == [{"name": "registry-credentials"}]
    assert spec["serviceAccountName"] == "jira-sa"
    assert spec["nodeSelector"] == values["nodeSelector"]
    assert spec["tolerations"] == values["tolerations"]
    assert spec["affinity"] == values["affinity"]
    assert container["resources"] == values["resources"]
    # OpenShift: runAsUser/fsGroup removed, runAsNonRoot kept.
    assert "runAsUser" not in spec["securityContext"] and "fsGroup" not in spec["securityContext"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert {"name": "SSL_CERT_FILE", "value": "/etc/custom-ca/ca.crt"} in container["env"]
    assert values["extraVolumeMounts"][0] in container["volumeMounts"]
    assert values["extraVolumes"][0] in spec["volumes"]
    metadata = deployment["spec"]["template"]["metadata"]
    assert metadata["annotations"]["example.com/team"] == "platform"
    assert metadata["labels"]["example.com/cost-center"] == "42"
    ingress = full.get("Ingress", RELEASE)
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["spec"]["tls"] == values["ingress"]["tls"]
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == "jira.example.com"
    backend = rule["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": RELEASE, "port": {"name": "http"}}
    assert metadata["labels"]["app.kubernetes.io/name"] == "jira"  # nameOverride
    account = full.get("ServiceAccount", "jira-sa")
    assert account["metadata"]["annotations"] == values["serviceAccount"]["annotations"]


def test_cronjob_forces_once(
    rendered: dict[str, Rendered],
    ocean_config: Callable[[dict[str, str]], IntegrationConfiguration],
) -> None:
    result = rendered["cronjob"]
    assert SCENARIOS["cronjob"]["integration"]["eventListener"]["type"] == "KAFKA"
    cronjob = result.get("CronJob", RELEASE)
    assert cronjob["spec"]["schedule"] == "30 */6 * * *"
    assert cronjob["spec"]["timeZone"] == "Europe/Berlin"
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    job = cronjob["spec"]["jobTemplate"]["spec"]
    assert job["activeDeadlineSeconds"] == 3600
    spec = pod_spec(cronjob)
    assert spec["restartPolicy"] == "Never"
    (container,) = spec["containers"]
    assert "livenessProbe" not in container and "readinessProbe" not in container
    env = container_env(result, cronjob)
    assert env["OCEAN__EVENT_LISTENER"] == EnvValue("inline", '{"type":"ONCE"}')
    assert ocean_config(plain_env(env)).event_listener.type == EventListenerType.ONCE
    assert not result.of_kind("Deployment") and not result.of_kind("Service")


def test_once_in_a_deployment_is_rejected(chart: helm.Chart) -> None:
    values = merged(DOCS_VALUES, {"integration": {"eventListener": {"type": "ONCE"}}})
    assert "use workload.kind=CronJob" in render_error(chart, values)


def test_event_listener_cannot_be_overridden_through_extra_env(chart: helm.Chart) -> None:
    values = merged(
        DOCS_VALUES,
        {
            "workload": {"kind": "CronJob"},
            "extraEnv": [{"name": "OCEAN__EVENT_LISTENER__TYPE", "value": "POLLING"}],
        },
    )
    assert "OCEAN__EVENT_LISTENER__TYPE is reserved" in render_error(chart, values)


# --------------------------------------------------------------------------- secrets


def test_existing_secret_replaces_inline_secrets(rendered: dict[str, Rendered]) -> None:
    result = rendered["existing-secret"]
    assert not result.of_kind("Secret")
    deployment = result.get("Deployment", RELEASE)
    (container,) = pod_spec(deployment)["containers"]
    assert {"secretRef": {"name": "jira-credentials"}} in container["envFrom"]
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert "checksum/secret" not in annotations
    env = container_env(result, deployment)
    assert not sensitive_env_names() & set(env)


def test_existing_secret_wins_over_inline_secrets(
    render: Callable[[dict[str, Any]], Rendered],
) -> None:
    """Port's meaning: the existing Secret is read, the inline values are ignored and named."""
    rendered = render(merged(DOCS_VALUES, {"secret": {"existingSecret": "jira-credentials"}}))
    assert not rendered.of_kind("Secret")
    (container,) = pod_spec(rendered.get("Deployment", RELEASE))["containers"]
    assert [ref for ref in container["envFrom"] if "secretRef" in ref] == [
        {"secretRef": {"name": "jira-credentials"}}
    ]
    notes = rendered.text["jira-integration/templates/NOTES.txt"]
    assert "These inline values are ignored" in notes
    assert "port.clientId, port.clientSecret, integration.secrets.atlassianUserEmail" in notes


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (("port", "clientId"), "port.clientId is required"),
        (("port", "clientSecret"), "port.clientSecret is required"),
        (("integration", "secrets", "atlassianUserToken"), "atlassianUserToken is required"),
        (("integration", "config", "jiraHost"), "integration.config.jiraHost is required"),
    ],
)
def test_missing_required_settings_fail_with_a_clear_message(
    chart: helm.Chart, path: tuple[str, ...], message: str
) -> None:
    values = copy.deepcopy(DOCS_VALUES)
    parent = values
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    error = render_error(chart, values)
    assert message in error
    assert "required" in error


def test_required_spec_settings_are_required_by_the_chart(chart: helm.Chart) -> None:
    for item in spec_configurations():
        if not item.required:
            continue
        values = copy.deepcopy(DOCS_VALUES)
        section = "secrets" if item.sensitive else "config"
        values["integration"][section].pop(item.name, None)
        values["integration"]["secrets"].pop(item.name, None)
        assert f"{item.name} is required" in render_error(chart, values)


@pytest.mark.parametrize(
    ("override", "offending"),
    [
        ({"scheduledResyncIntervall": 60}, "scheduledResyncIntervall"),
        ({"integration": {"config": {"jiraHots": "https://x.atlassian.net"}}}, "jiraHots"),
        ({"integration": {"secrets": {"atlassianToken": "x"}}}, "atlassianToken"),
        ({"port": {"clientID": "x"}}, "clientID"),
        ({"eventListener": {"type": "POLLING"}}, "eventListener"),
        ({"extraEnvs": []}, "extraEnvs"),
        ({"workload": {"kind": "Cronjob"}}, "workload"),
        ({"integration": {"eventListener": {"type": "POLL"}}}, "eventListener"),
        ({"liveEvents": {"redis": {"url": "redis://user:pw@redis:6379"}}}, "redis"),
        ({"integration": {"config": {"jiraHost": "example.atlassian.net"}}}, "jiraHost"),
    ],
)
def test_typos_and_bad_values_fail_schema_validation(
    chart: helm.Chart, override: dict[str, Any], offending: str
) -> None:
    values = merged(DOCS_VALUES, override)
    with pytest.raises(helm.HelmValuesError) as caught:
        chart.validate_schema(values)
    assert offending in str(caught.value)
    assert "schema" in render_error(chart, values)


# --------------------------------------------------------------------------- live events


def test_webhooks_only_replicas_behind_the_service(rendered: dict[str, Rendered]) -> None:
    result = rendered["live-events-http"]
    live = result.get("Deployment", f"{RELEASE}-live-events")
    assert live["spec"]["replicas"] == 3
    env = container_env(result, live)
    assert env["OCEAN__EVENT_LISTENER"] == EnvValue("inline", '{"type":"WEBHOOKS_ONLY"}')
    assert "OCEAN__LIVE_EVENTS__IS_REDIS_STREAM_CONSUMER_ENABLED" not in env
    # replicas start together: only the main workload creates blueprints and the mapping
    assert env["OCEAN__INITIALIZE_PORT_RESOURCES"] == EnvValue("inline", "false")
    service = result.get("Service", RELEASE)
    assert service["spec"]["selector"]["app.kubernetes.io/component"] == "live-events"
    labels = live["spec"]["template"]["metadata"]["labels"]
    assert all(labels[key] == value for key, value in service["spec"]["selector"].items())
    main = result.get("Deployment", RELEASE)
    assert main["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"] == "sync"
    main_env = container_env(result, main)
    assert main_env["OCEAN__EVENT_LISTENER"].value == '{"type":"POLLING"}'
    assert main_env["OCEAN__INITIALIZE_PORT_RESOURCES"] == EnvValue("configmap", "true")


def test_webhooks_only_replicas_consume_the_redis_stream(
    rendered: dict[str, Rendered],
    ocean_config: Callable[[dict[str, str]], IntegrationConfiguration],
) -> None:
    result = rendered["live-events-redis"]
    live = result.get("Deployment", f"{RELEASE}-live-events")
    assert live["spec"]["replicas"] == 2
    env = container_env(result, live)
    assert env["OCEAN__LIVE_EVENTS__REDIS__PASSWORD"] == EnvValue("secret", REDIS_PASSWORD)
    assert env["OCEAN__LIVE_EVENTS__REDIS__URL"].source == "inline"

    config = ocean_config(plain_env(env))
    assert config.event_listener.type == EventListenerType.WEBHOOKS_ONLY
    assert config.event_listener.should_resync is False
    assert config.initialize_port_resources is False
    assert config.live_events.is_redis_stream_consumer_enabled is True
    redis = config.live_events.redis
    assert redis.url == "rediss://redis.example.com:6380/0"
    assert redis.enable_tls is True  # derived from the rediss:// scheme
    assert redis.username == "ocean" and redis.password == REDIS_PASSWORD
    assert redis.ca == SCENARIOS["live-events-redis"]["liveEvents"]["redis"]["ca"]
    assert config.event_workers_count == 4
    assert config.base_url is not None
    assert resolve_live_events_stream_key_from_base_url(config.base_url) == (
        "3f6a9c/live-events/raw/event-stream"
    )

    # The main workload resyncs and does not join the consumer group; the Service keeps
    # pointing at it (webhooks reach the replicas through Redis, not HTTP).
    main = result.get("Deployment", RELEASE)
    main_config = ocean_config(plain_env(container_env(result, main)))
    assert main_config.live_events.is_redis_stream_consumer_enabled is False
    assert main_config.event_listener.type == EventListenerType.POLLING
    service = result.get("Service", RELEASE)
    assert service["spec"]["selector"]["app.kubernetes.io/component"] == "sync"


def test_redis_needs_a_live_events_base_url(chart: helm.Chart) -> None:
    values = merged(
        DOCS_VALUES,
        {
            "liveEvents": {
                "baseUrl": "https://jira.example.com",
                "replicas": 2,
                "redis": {"url": "redis://redis:6379"},
            }
        },
    )
    assert "/live-events/<id>" in render_error(chart, values)
    values["liveEvents"] |= {"baseUrl": "https://i.example.com/live-events/1", "replicas": 0}
    assert "liveEvents.replicas is 0" in render_error(chart, values)


# --------------------------------------------------------------------------- README


def _documented_paths(values: Any, schema: dict[str, Any], prefix: str = "") -> Iterator[str]:
    properties = schema.get("properties")
    if not isinstance(values, dict) or not properties or not values:
        yield prefix
        return
    for key, value in values.items():
        yield from _documented_paths(value, properties.get(key, {}), f"{prefix}{key}.")


def test_readme_documents_every_value(chart: helm.Chart) -> None:
    schema = chart.schema
    assert schema is not None
    readme = (CHART_DIR / "README.md").read_text("utf-8")
    defaults = load_yaml((CHART_DIR / "values.yaml").read_text("utf-8"))
    missing = [
        path.rstrip(".")
        for path in _documented_paths(defaults, schema)
        if f"`{path.rstrip('.')}`" not in readme
    ]
    assert missing == []


def test_examples_point_at_this_chart() -> None:
    application = load_yaml((EXAMPLES_DIR / "argocd" / "application.yaml").read_text("utf-8"))
    chart_sources = [s for s in application["spec"]["sources"] if "path" in s]
    assert [s["path"] for s in chart_sources] == ["charts/jira-integration"]
    assert Path(REPO_ROOT, chart_sources[0]["path"], "Chart.yaml").exists()


def test_every_workload_runs_the_images_own_command(rendered: dict[str, Rendered]) -> None:
    """Like Port's port-ocean chart: no command, args or workingDir, so every workload (the
    Deployment, the sync CronJob and Job, the live-events replicas) runs the image's CMD, the
    one code path launch.py and `ocean sail` share."""
    for scenario, result in rendered.items():
        for spec in result.pod_specs():
            for container in spec["containers"]:
                overrides = {"command", "args", "workingDir"} & set(container)
                assert not overrides, (scenario, container["name"], overrides)
