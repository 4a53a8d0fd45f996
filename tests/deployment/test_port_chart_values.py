"""A values file written for Port's port-ocean chart (port-labs/helm-charts, charts/port-ocean)
for a Jira install renders this chart unchanged and means the same: the variables Ocean reads,
the Secrets they come from, the image, the pod's shape, the schedules and the probes.

`port_chart_environment` restates what Port's templates (configmap.yaml, secret.yaml,
deployment.yaml) give the container for a values file, so the comparison is against Port's
chart, not against this chart's own idea of it."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from typing import Any

import helm_python as helm
import pytest
from port_ocean.config.settings import IntegrationConfiguration
from port_ocean.core.models import EventListenerType

from tests.deployment.rendering import (
    JIRA_EMAIL,
    JIRA_TOKEN,
    PORT_CHART_AS_CRONJOB,
    PORT_CHART_PLACEHOLDERS,
    PORT_CLIENT_ID,
    PORT_CLIENT_SECRET,
    PORT_DOCS_JIRA_INSTALL,
    RELEASE,
    Rendered,
    container_env,
    merged,
    plain_env,
    pod_spec,
    pod_template,
    render_error,
)
from tests.deployment.support import port_chart_defaults, port_chart_values, pyproject_version

PORT_VALUES = port_chart_values(PORT_CHART_PLACEHOLDERS)
# Port's chart defaults copied whole, plus a Jira install as Port's docs show it.
DEFAULTS_VALUES = merged(port_chart_defaults(), PORT_DOCS_JIRA_INSTALL)
CRONJOB_VALUES = merged(PORT_VALUES, PORT_CHART_AS_CRONJOB)
# Port sets these to its image's refreshed bundle; here they name the joined bundle instead.
CA_BUNDLE_VARIABLES = {"SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"}

Render = Callable[[dict[str, Any]], Rendered]
OceanConfig = Callable[[dict[str, str]], IntegrationConfiguration]


def _env_name(key: str) -> str:
    """Helm's `snakecase | upper`: jiraHost -> JIRA_HOST."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key).upper()


def port_chart_environment(values: dict[str, Any]) -> dict[str, str]:
    """The variables Port's chart gives the sync container for `values`."""
    integration = values["integration"]
    env = {
        "OCEAN__PORT__BASE_URL": values["port"]["baseUrl"],
        "OCEAN__INITIALIZE_PORT_RESOURCES": str(values["initializePortResources"]).lower(),
        "OCEAN__SEND_RAW_DATA_EXAMPLES": str(values["sendRawDataExamples"]).lower(),
        "OCEAN__EVENT_LISTENER": json.dumps(
            integration["eventListener"], separators=(",", ":"), sort_keys=True
        ),
        "OCEAN__INTEGRATION__IDENTIFIER": integration["identifier"],
        "OCEAN__INTEGRATION__TYPE": integration["type"],
        "OCEAN__PORT__CLIENT_ID": values["port"]["clientId"],
        "OCEAN__PORT__CLIENT_SECRET": values["port"]["clientSecret"],
    }
    optional = {
        "allowEnvironmentVariablesJqAccess": "OCEAN__ALLOW_ENVIRONMENT_VARIABLES_JQ_ACCESS",
        "clientTimeout": "OCEAN__CLIENT_TIMEOUT",
        "processingMode": "OCEAN__PROCESSING_MODE",
        "lakehouseEnabled": "OCEAN__LAKEHOUSE_ENABLED",
    }
    for key, name in optional.items():
        if values.get(key) is not None:
            env[name] = (
                str(values[key]).lower() if isinstance(values[key], bool) else str(values[key])
            )
    if values["liveEvents"].get("baseUrl"):
        env["OCEAN__BASE_URL"] = values["liveEvents"]["baseUrl"]
    if values["workload"]["kind"] == "Deployment":
        env["OCEAN__SCHEDULED_RESYNC_INTERVAL"] = str(values["scheduledResyncInterval"])
    else:
        env["OCEAN__EVENT_LISTENER"] = '{"type":"ONCE"}'
    for key, value in {**integration["config"], **integration["secrets"]}.items():
        env[f"OCEAN__INTEGRATION__CONFIG__{_env_name(key)}"] = str(value)
    env |= {key: str(value) for key, value in (integration.get("extraConfig") or {}).items()}
    for item in values.get("extraEnv") or []:
        # extraEnv goes through `tpl` in Port's chart.
        env[item["name"]] = item["value"].replace("{{ .Release.Name }}", RELEASE)
    return env


def _sync_workload(rendered: Rendered, values: dict[str, Any]) -> dict[str, Any]:
    return rendered.get(values["workload"]["kind"], RELEASE)


# --------------------------------------------------------------------------- variables


@pytest.mark.parametrize(
    "values",
    [PORT_VALUES, CRONJOB_VALUES, DEFAULTS_VALUES],
    ids=["deployment", "cronjob", "port-defaults"],
)
def test_the_container_gets_what_ports_chart_gives_it(
    render: Render, ocean_config: OceanConfig, values: dict[str, Any]
) -> None:
    rendered = render(values)
    env = plain_env(container_env(rendered, _sync_workload(rendered, values)))
    expected = port_chart_environment(values)
    assert {name: env.get(name) for name in expected} == expected
    if values["selfSignedCertificate"]["enabled"]:
        assert CA_BUNDLE_VARIABLES <= set(env)

    # And Ocean reads the same settings from both environments.
    ours = ocean_config(env).model_dump()
    theirs = ocean_config(expected).model_dump()
    assert ours == theirs


def test_ocean_reads_the_jira_install(render: Render, ocean_config: OceanConfig) -> None:
    rendered = render(PORT_VALUES)
    config = ocean_config(plain_env(container_env(rendered, rendered.get("Deployment", RELEASE))))
    assert config.port.client_id == PORT_CLIENT_ID
    assert config.port.client_secret == PORT_CLIENT_SECRET
    assert config.integration.identifier == "my-ocean-jira-integration"
    assert config.event_listener.type == EventListenerType.POLLING
    assert config.scheduled_resync_interval == 120
    assert config.client_timeout == 90
    assert config.process_in_queue_max_workers == 2  # integration.extraConfig
    assert config.base_url == "https://jira-ocean.example.com"
    assert config.integration.config == {
        "jira_host": "https://example.atlassian.net",
        "atlassian_organization_id": "org-42",
        "atlassian_user_email": JIRA_EMAIL,
        "atlassian_user_token": JIRA_TOKEN,
    }


# --------------------------------------------------------------------------- secrets


def test_secret_create_and_name(render: Render) -> None:
    rendered = render(PORT_VALUES)
    secret = rendered.get("Secret", "jira-ocean-credentials")
    assert {key: base64.b64decode(value).decode() for key, value in secret["data"].items()} == {
        "OCEAN__PORT__CLIENT_ID": PORT_CLIENT_ID,
        "OCEAN__PORT__CLIENT_SECRET": PORT_CLIENT_SECRET,
        "OCEAN__INTEGRATION__CONFIG__ATLASSIAN_USER_EMAIL": JIRA_EMAIL,
        "OCEAN__INTEGRATION__CONFIG__ATLASSIAN_USER_TOKEN": JIRA_TOKEN,
    }
    for workload in rendered.workloads():
        (container,) = pod_spec(workload)["containers"]
        assert {"secretRef": {"name": "jira-ocean-credentials"}} in container["envFrom"]


def test_existing_secrets_by_name_and_list(render: Render) -> None:
    values = merged(PORT_VALUES, {"secret": {"create": False, "name": ["jira", "port"]}})
    del values["port"]["clientId"], values["port"]["clientSecret"]
    del values["integration"]["secrets"]
    rendered = render(values)
    assert [s["metadata"]["name"] for s in rendered.of_kind("Secret")] == [f"{RELEASE}-ca"]
    (container,) = pod_spec(rendered.get("Deployment", RELEASE))["containers"]
    assert [ref for ref in container["envFrom"] if "secretRef" in ref] == [
        {"secretRef": {"name": "jira"}},
        {"secretRef": {"name": "port"}},
    ]
    assert "existing Secret(s) jira, port." in rendered.text["jira-integration/templates/NOTES.txt"]

    values["secret"]["name"] = "jira"
    (container,) = pod_spec(render(values).get("Deployment", RELEASE))["containers"]
    assert {"secretRef": {"name": "jira"}} in container["envFrom"]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"secret": {"create": False, "name": ""}}, "secret.create is false: set secret.name"),
        # (create false beside the values file's secret.name is Port's existing-Secret case.)
        ({"secret": {"create": False, "name": None}}, "secret.create is false"),
        ({"secret": {"name": ["a", "b"]}}, "set secret.create=false"),
        ({"secret": {"existingSecret": "x"}}, "secret.existingSecret and secret.name"),
    ],
)
def test_contradictory_secret_values_fail_clearly(
    chart: helm.Chart, override: dict[str, Any], message: str
) -> None:
    assert message in render_error(chart, merged(PORT_VALUES, override))


# --------------------------------------------------------------------------- the pod


def test_the_pod_is_shaped_by_ports_values(render: Render) -> None:
    rendered = render(PORT_VALUES)
    deployment = rendered.get("Deployment", RELEASE)
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    spec = pod_spec(deployment)
    (container,) = spec["containers"]
    values = PORT_VALUES
    assert container["image"] == "registry.example.com/port-mirror/port-ocean-jira:1.4.2"
    assert container["imagePullPolicy"] == "Always"
    assert spec["imagePullSecrets"] == values["imagePullSecrets"]
    assert spec["terminationGracePeriodSeconds"] == 45
    assert spec["nodeSelector"] == values["nodeSelector"]
    assert spec["tolerations"] == values["tolerations"]
    assert spec["affinity"] == values["affinity"]
    assert container["resources"] == values["resources"]
    assert values["podSecurityContext"].items() <= spec["securityContext"].items()
    assert values["containerSecurityContext"].items() <= container["securityContext"].items()
    assert container["securityContext"]["readOnlyRootFilesystem"] is True  # this chart's default
    assert values["extraVolumes"][0] in spec["volumes"]
    assert values["extraVolumeMounts"][0] in container["volumeMounts"]
    assert spec["initContainers"][-1] == values["extraInitContainers"][0]
    metadata = deployment["spec"]["template"]["metadata"]
    assert metadata["annotations"]["example.com/team"] == "platform"
    for document in rendered.documents:
        assert document["metadata"]["labels"]["example.com/cost-center"] == "42"
    for workload in rendered.workloads():
        labels = pod_template(workload)["metadata"]["labels"]
        assert labels["example.com/cost-center"] == "42"


def test_probes_take_ports_timings(render: Render) -> None:
    rendered = render(PORT_VALUES)
    (container,) = pod_spec(rendered.get("Deployment", RELEASE))["containers"]
    assert container["livenessProbe"] == {
        "httpGet": {"path": "/health/live", "port": "http"},
        "initialDelaySeconds": 30,
        "periodSeconds": 10,
        "timeoutSeconds": 5,
        "failureThreshold": 3,
    }
    assert container["readinessProbe"]["httpGet"] == {"path": "/health/ready", "port": "http"}
    assert container["readinessProbe"]["successThreshold"] == 2

    disabled = merged(
        PORT_VALUES, {"livenessProbe": {"enabled": False}, "readinessProbe": {"enabled": False}}
    )
    (container,) = pod_spec(render(disabled).get("Deployment", RELEASE))["containers"]
    assert "livenessProbe" not in container and "readinessProbe" not in container


def test_self_signed_certificate_is_trusted_on_top_of_the_image_bundle(render: Render) -> None:
    rendered = render(PORT_VALUES)
    ca = rendered.get("Secret", f"{RELEASE}-ca")
    certificate = PORT_VALUES["selfSignedCertificate"]["certificate"]
    assert base64.b64decode(ca["data"]["crt"]).decode() == certificate
    spec = pod_spec(rendered.get("Deployment", RELEASE))
    init = spec["initContainers"][0]
    command = init["command"][-1]
    assert command.index("/etc/ssl/certs/ca-certificates.crt") < command.index("ca.crt >")
    assert command.endswith("> /ca-bundle/ca-certificates.crt")
    (container,) = spec["containers"]
    env = {item["name"]: item.get("value") for item in container["env"]}
    assert {env[name] for name in CA_BUNDLE_VARIABLES} == {"/ca-bundle/ca-certificates.crt"}
    volumes = {volume["name"]: volume for volume in spec["volumes"]}
    assert volumes["self-signed-ca"]["secret"] == {
        "secretName": f"{RELEASE}-ca",
        "items": [{"key": "crt", "path": "ca.crt"}],
    }

    existing = merged(
        PORT_VALUES,
        {
            "selfSignedCertificate": {
                "certificate": "",
                "secret": {"useExistingSecret": True, "name": "corp-ca", "key": "ca.pem"},
            }
        },
    )
    rendered = render(existing)
    assert rendered.find("Secret", f"{RELEASE}-ca") is None
    volumes = {v["name"]: v for v in pod_spec(rendered.get("Deployment", RELEASE))["volumes"]}
    assert volumes["self-signed-ca"]["secret"] == {
        "secretName": "corp-ca",
        "items": [{"key": "ca.pem", "path": "ca.crt"}],
    }


def test_service_ingress_and_live_events_worker(
    chart: helm.Chart, render: Render, ocean_config: OceanConfig
) -> None:
    rendered = render(PORT_VALUES)
    live = rendered.get("Deployment", f"{RELEASE}-live-events")
    assert live["spec"]["replicas"] == 2
    (container,) = pod_spec(live)["containers"]
    assert container["resources"] == PORT_VALUES["liveEvents"]["worker"]["resources"]
    config = ocean_config(plain_env(container_env(rendered, live)))
    assert config.event_listener.type == EventListenerType.WEBHOOKS_ONLY
    service = rendered.get("Service", RELEASE)
    assert service["metadata"]["annotations"] == {"example.com/scrape": "false"}
    assert service["spec"]["ports"][0]["port"] == 8000
    assert service["spec"]["selector"]["app.kubernetes.io/component"] == "live-events"
    ingress = rendered.get("Ingress", RELEASE)
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["spec"]["tls"] == PORT_VALUES["ingress"]["tls"]
    assert ingress["spec"]["rules"][0]["host"] == "jira-ocean.example.com"

    values = merged(PORT_VALUES, {"service": {"enabled": False}, "ingress": {"enabled": False}})
    assert not render(values).of_kind("Service")
    with_ingress = merged(values, {"ingress": {"enabled": True}})
    assert "set service.enabled=true" in render_error(chart, with_ingress)


# --------------------------------------------------------------------------- schedules


def test_cronjob_takes_ports_schedule_and_timeout(
    render: Render, ocean_config: OceanConfig
) -> None:
    rendered = render(CRONJOB_VALUES)
    cronjob = rendered.get("CronJob", RELEASE)
    assert cronjob["spec"]["schedule"] == "0 */6 * * *"
    assert cronjob["spec"]["concurrencyPolicy"] == "Replace"
    assert cronjob["spec"]["suspend"] is False
    assert cronjob["spec"]["jobTemplate"]["spec"]["activeDeadlineSeconds"] == 3600
    config_map = rendered.get("ConfigMap", RELEASE)
    assert "OCEAN__SCHEDULED_RESYNC_INTERVAL" not in config_map["data"]
    assert not rendered.of_kind("Service") and rendered.find("Deployment", RELEASE) is None
    assert '"0 */6 * * *"' in rendered.text["jira-integration/templates/NOTES.txt"]

    # resyncOnInstall / resyncOnUpgrade: one ONCE sync from a hook Job, same pod.
    job = rendered.get("Job", f"{RELEASE}-initial-sync")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "post-install,post-upgrade"
    assert job["spec"]["activeDeadlineSeconds"] == 3600
    env = plain_env(container_env(rendered, job))
    assert ocean_config(env).event_listener.type == EventListenerType.ONCE
    assert pod_spec(job)["containers"] == pod_spec(cronjob)["containers"]

    no_hooks = merged(
        CRONJOB_VALUES, {"workload": {"cron": {"resyncOnInstall": False, "resyncOnUpgrade": False}}}
    )
    assert render(no_hooks).find("Job", f"{RELEASE}-initial-sync") is None


def test_resync_interval_means_minutes_in_a_deployment(chart: helm.Chart, render: Render) -> None:
    error = render_error(chart, merged(PORT_VALUES, {"scheduledResyncInterval": "0 */6 * * *"}))
    assert "only workload.kind=CronJob uses" in error
    # ArgoCD parameters and --set-string pass minutes as a string.
    rendered = render(merged(PORT_VALUES, {"scheduledResyncInterval": "90"}))
    assert rendered.get("ConfigMap", RELEASE)["data"]["OCEAN__SCHEDULED_RESYNC_INTERVAL"] == "90"


@pytest.mark.parametrize(
    ("interval", "schedule", "minutes"),
    [
        ("*/30 * * * *", "*/30 * * * *", 30),
        ("*/15 * * * *", "*/15 * * * *", 15),
        ("0 * * * *", "0 * * * *", 60),
        (60, "0 * * * *", 60),
        (15, "*/15 * * * *", 15),
    ],
)
def test_incremental_sync_cronjob(
    render: Render,
    ocean_config: OceanConfig,
    interval: str | int,
    schedule: str,
    minutes: int,
) -> None:
    values = merged(PORT_VALUES, {"incrementalSync": {"interval": interval}})
    rendered = render(values)
    incremental = rendered.get("CronJob", f"{RELEASE}-incremental")
    assert incremental["spec"]["schedule"] == schedule
    assert incremental["spec"]["concurrencyPolicy"] == "Forbid"
    assert incremental["spec"]["jobTemplate"]["spec"]["activeDeadlineSeconds"] == 20 * 60
    config = ocean_config(plain_env(container_env(rendered, incremental)))
    assert config.event_listener.type == EventListenerType.ONCE
    assert config.integration.incremental_sync_enabled is True
    assert config.integration.incremental_sync_interval == minutes
    assert config.initialize_port_resources is False
    # The full sync is untouched: no incremental flag there.
    main = ocean_config(plain_env(container_env(rendered, rendered.get("Deployment", RELEASE))))
    assert main.integration.incremental_sync_enabled is False


def test_incremental_interval_ocean_rejects_fails_the_render(chart: helm.Chart) -> None:
    values = merged(PORT_VALUES, {"incrementalSync": {"interval": "*/10 * * * *"}})
    assert "every 15, 30 or 60 minutes" in render_error(chart, values)


# --------------------------------------------------------------------------- the rest


def test_values_without_meaning_here_are_named_in_notes(render: Render) -> None:
    values = merged(
        CRONJOB_VALUES,
        {
            "actionsProcessor": {"enabled": True, "worker": {"enabled": True}},
            "postgresql": {"enabled": True},
            "workload": {"cron": {"kubectlImage": "bitnami/kubectl:1.30"}},
            "liveEvents": {"ingress": {"enabled": True, "host": "le.example.com"}},
            "integration": {"oauth": {"enabled": False}},
        },
    )
    notes = render(values).text["jira-integration/templates/NOTES.txt"]
    ignored = notes.split("no effect with this chart:\n", 1)[1].splitlines()[0]
    assert [name.strip() for name in ignored.split(",")] == [
        "actionsProcessor.enabled",
        "postgresql.enabled",
        "workload.cron.kubectlImage",
        "liveEvents.ingress.enabled",
    ]
    assert "no effect" not in render(PORT_VALUES).text["jira-integration/templates/NOTES.txt"]


@pytest.mark.parametrize(
    ("override", "offending"),
    [
        ({"secret": {"creat": False}}, "creat"),
        ({"incrementalSync": {"intervall": "*/15 * * * *"}}, "intervall"),
        ({"liveEvents": {"worker": {"replicas": 2}}}, "replicas"),
        ({"selfSignedCertificate": {"enable": True}}, "enable"),
        ({"extraLabel": {"a": "b"}}, "extraLabel"),
        ({"containerSecurityContexts": {}}, "containerSecurityContexts"),
        ({"workload": {"cron": {"resyncTimeoutMinute": 5}}}, "resyncTimeoutMinute"),
        ({"imagePullPolicy": "Sometimes"}, "imagePullPolicy"),
        ({"scheduledResyncInterval": "every 2 hours"}, "scheduledResyncInterval"),
    ],
)
def test_misspelt_port_values_are_still_rejected(
    chart: helm.Chart, override: dict[str, Any], offending: str
) -> None:
    with pytest.raises(helm.HelmValuesError) as caught:
        chart.validate_schema(merged(PORT_VALUES, override))
    assert offending in str(caught.value)


def test_live_events_sized_once(chart: helm.Chart) -> None:
    values = merged(PORT_VALUES, {"liveEvents": {"replicas": 3}})
    assert "liveEvents.replicas and liveEvents.worker.enabled" in render_error(chart, values)


def test_ports_defaults_file_with_a_jira_install(render: Render) -> None:
    rendered = render(DEFAULTS_VALUES)
    deployment = rendered.get("Deployment", RELEASE)
    (container,) = pod_spec(deployment)["containers"]
    # imageRegistry's default is Port's registry: the file asks for Port's own image.
    assert container["image"] == f"ghcr.io/port-labs/port-ocean-jira:{pyproject_version()}"
    assert container["imagePullPolicy"] == "Always"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert rendered.get("Service", RELEASE)["spec"]["ports"][0]["name"] == "ocean-port"
    assert rendered.find("Deployment", f"{RELEASE}-live-events") is None
    assert rendered.find("CronJob", f"{RELEASE}-incremental") is None
    notes = rendered.text["jira-integration/templates/NOTES.txt"]
    assert notes.split("no effect with this chart:\n", 1)[1].splitlines()[0].strip() == (
        "liveEvents.deployment"
    )


def test_image_in_ports_newer_string_form(render: Render) -> None:
    values = merged(PORT_VALUES, {"image": "jira/port-ocean-jira:2.0.1"})
    (container,) = pod_spec(render(values).get("Deployment", RELEASE))["containers"]
    assert container["image"] == "registry.example.com/port-mirror/jira/port-ocean-jira:2.0.1"
    assert container["imagePullPolicy"] == "Always"


def test_deployment_annotations(render: Render) -> None:
    values = merged(PORT_VALUES, {"deploymentAnnotations": {"example.com/monitoring": "on"}})
    rendered = render(values)
    for name in (RELEASE, f"{RELEASE}-live-events"):
        metadata = rendered.get("Deployment", name)["metadata"]
        assert metadata["annotations"] == {"example.com/monitoring": "on"}


# --------------------------------------------------------------------------- existing Secret


def test_existing_secret_beside_inline_credentials_is_used(render: Render) -> None:
    """Port's chart: `secret.create: false` + `secret.name` reads that Secret and ignores the
    inline `port.clientId`/`clientSecret` and `integration.secrets` left in the values file;
    NOTES.txt names what was ignored so the user can delete it."""
    values = merged(PORT_VALUES, {"secret": {"create": False, "name": "jira-ocean-credentials"}})
    assert values["port"]["clientId"] and values["integration"]["secrets"]
    rendered = render(values)

    # No credentials Secret is rendered (only the CA bundle's), so nothing overwrites theirs.
    assert [s["metadata"]["name"] for s in rendered.of_kind("Secret")] == [f"{RELEASE}-ca"]
    for workload in rendered.workloads():
        (container,) = pod_spec(workload)["containers"]
        assert [ref for ref in container["envFrom"] if "secretRef" in ref] == [
            {"secretRef": {"name": "jira-ocean-credentials"}}
        ]
        env = container_env(rendered, workload)
        assert "OCEAN__PORT__CLIENT_ID" not in env
        assert "OCEAN__INTEGRATION__CONFIG__ATLASSIAN_USER_TOKEN" not in env
    # The ignored values appear nowhere in what reaches the cluster.
    manifests = "\n".join(
        text for path, text in rendered.text.items() if not path.endswith("NOTES.txt")
    )
    for ignored in (PORT_CLIENT_ID, PORT_CLIENT_SECRET, JIRA_EMAIL, JIRA_TOKEN):
        assert ignored not in manifests
        assert base64.b64encode(ignored.encode()).decode() not in manifests

    notes = rendered.text["jira-integration/templates/NOTES.txt"]
    assert "existing Secret(s) jira-ocean-credentials." in notes
    assert (
        "port.clientId, port.clientSecret, integration.secrets.atlassianUserEmail, "
        "integration.secrets.atlassianUserToken" in notes
    )
    for ignored in (PORT_CLIENT_ID, PORT_CLIENT_SECRET, JIRA_EMAIL, JIRA_TOKEN):
        assert ignored not in notes


def test_existing_secret_without_inline_credentials_names_nothing_ignored(
    render: Render,
) -> None:
    values = merged(PORT_VALUES, {"secret": {"create": False, "name": "jira-ocean-credentials"}})
    del values["port"]["clientId"], values["port"]["clientSecret"]
    del values["integration"]["secrets"]
    notes = render(values).text["jira-integration/templates/NOTES.txt"]
    assert "existing Secret(s) jira-ocean-credentials." in notes
    assert "ignored" not in notes
