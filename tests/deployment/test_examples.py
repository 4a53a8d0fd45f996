"""The ArgoCD and CI examples (and the installation docs): they parse, set only variables the
integration reads, run the image in ONCE mode, and fail the job when the sync fails."""

from __future__ import annotations

import itertools
import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from tests.deployment.support import (
    CHART_DIR,
    ENV_NAME_PATTERN,
    EXAMPLES_DIR,
    REPO_ROOT,
    known_env_names,
    load_yaml,
    load_yaml_documents,
    pyproject_version,
    sensitive_env_names,
)

CI_DIR = EXAMPLES_DIR / "ci"
CI_EXAMPLES = ["github-actions.yml", "gitlab-ci.yml", "Jenkinsfile", "azure-pipelines.yml"]
INSTALLATION_DOC = REPO_ROOT / "docs" / "installation.md"
IMAGE_PATTERN = re.compile(r"ghcr\.io/your-org/port-ocean-jira:(?P<tag>[\w.-]+)")
ONCE = '{"type":"ONCE"}'
# What a ONCE run needs (docs' "Scheduled (CI)" parameters).
REQUIRED_IN_DOCKER_RUN = {
    "OCEAN__EVENT_LISTENER",
    "OCEAN__INITIALIZE_PORT_RESOURCES",
    "OCEAN__SEND_RAW_DATA_EXAMPLES",
    "OCEAN__INTEGRATION__CONFIG__JIRA_HOST",
    "OCEAN__INTEGRATION__CONFIG__ATLASSIAN_USER_EMAIL",
    "OCEAN__INTEGRATION__CONFIG__ATLASSIAN_USER_TOKEN",
    "OCEAN__PORT__CLIENT_ID",
    "OCEAN__PORT__CLIENT_SECRET",
    "OCEAN__PORT__BASE_URL",
}


def example_files() -> list[Path]:
    return sorted(path for path in EXAMPLES_DIR.rglob("*") if path.is_file())


def docker_run_commands(text: str) -> list[list[str]]:
    """Every `docker run …` command, continuation lines joined, split like a shell would."""
    joined = re.sub(r"\\\n", " ", text)
    commands = []
    for line in joined.splitlines():
        if "docker run" in line:
            command = line[line.index("docker run") :]
            commands.append(shlex.split(command, comments=True))
    return commands


def docker_env(command: list[str]) -> dict[str, str | None]:
    """-e NAME=value -> value; -e NAME (passed through from the job's environment) -> None."""
    env: dict[str, str | None] = {}
    for flag, argument in itertools.pairwise(command):
        if flag in ("-e", "--env"):
            name, equals, value = argument.partition("=")
            env[name] = value if equals else None
    return env


def defined_in_job(example: str, text: str) -> set[str]:
    """Variables the CI job itself defines (so a pass-through `-e NAME` has a value)."""
    if example == "github-actions.yml":
        workflow = load_yaml(text)
        names: set[str] = set()
        for job in workflow["jobs"].values():
            names |= set(job.get("env", {}))
            for step in job["steps"]:
                names |= set(step.get("env", {}))
        return names
    if example == "azure-pipelines.yml":
        pipeline = load_yaml(text)
        return {name for step in pipeline["steps"] for name in step.get("env", {})}
    if example == "Jenkinsfile":
        bound = set(re.findall(r"variable:\s*'([A-Z0-9_]+)'", text))
        environment = re.search(r"environment\s*\{(.*?)\}", text, re.DOTALL)
        assert environment is not None
        return bound | set(re.findall(r"^\s*([A-Z0-9_]+)\s*=", environment.group(1), re.M))
    if example == "gitlab-ci.yml":
        pipeline = load_yaml(text)
        # Secret ones are project CI/CD variables, listed in the file's header comment.
        header = "\n".join(line for line in text.splitlines() if line.startswith("#"))
        return set(pipeline.get("variables", {})) | set(ENV_NAME_PATTERN.findall(header))
    raise AssertionError(example)  # pragma: no cover


def test_every_yaml_example_parses() -> None:
    yaml_files = [path for path in example_files() if path.suffix in (".yml", ".yaml")]
    assert len(yaml_files) >= 5
    for path in yaml_files:
        assert load_yaml_documents(path.read_text("utf-8")), path


def test_every_ocean_variable_mentioned_is_one_the_integration_reads() -> None:
    """Examples, the Jenkinsfile (by regex), the chart README and the installation docs."""
    known = known_env_names()
    documents = [*example_files(), CHART_DIR / "README.md", INSTALLATION_DOC]
    unknown = {
        f"{path.relative_to(REPO_ROOT)}: {name}"
        for path in documents
        for name in ENV_NAME_PATTERN.findall(path.read_text("utf-8"))
        if name not in known
    }
    assert unknown == set()


@pytest.mark.parametrize("example", CI_EXAMPLES)
def test_ci_example_runs_the_image_once_and_fails_with_it(example: str) -> None:
    text = (CI_DIR / example).read_text("utf-8")
    (command,) = docker_run_commands(text)
    assert command[:2] == ["docker", "run"]
    assert "--rm" in command
    assert not {"-d", "--detach"} & set(command), "a detached container always 'succeeds'"
    env = docker_env(command)
    assert env["OCEAN__EVENT_LISTENER"] == ONCE
    assert env["OCEAN__INITIALIZE_PORT_RESOURCES"] == "true"
    assert REQUIRED_IN_DOCKER_RUN <= set(env)
    assert set(env) <= known_env_names()
    # Secrets are passed through by name, never written on the command line.
    for name in sensitive_env_names() & set(env):
        assert env[name] is None, name
    assert {name for name, value in env.items() if value is None} <= defined_in_job(example, text)
    # The container's exit code decides the job: errexit on, nothing swallows failures.
    assert re.search(r"set -e(?:uo pipefail|u)?\b", text)
    for swallow in ("|| true", "|| exit 0", "continue-on-error: true", "allow_failure: true"):
        assert swallow not in text, swallow
    assert "returnStatus" not in text and "catchError" not in text
    # The image placeholder, at the integration's version.
    assert "ghcr.io/<your-org>/port-ocean-jira:<version>" in text
    tags = {match.group("tag") for match in IMAGE_PATTERN.finditer(text)}
    assert tags == {pyproject_version()}


def test_github_workflow_is_scheduled_with_a_timeout() -> None:
    workflow = load_yaml((CI_DIR / "github-actions.yml").read_text("utf-8"))
    triggers: dict[str, Any] = workflow.get("on", workflow.get(True))  # YAML 1.1: on -> True
    assert "schedule" in triggers and "workflow_dispatch" in triggers
    (job,) = workflow["jobs"].values()
    assert job["timeout-minutes"] > 0
    for name in sensitive_env_names() & set(job["env"]):
        assert job["env"][name].startswith("${{ secrets.")


def test_azure_maps_secret_variables_explicitly() -> None:
    pipeline = load_yaml((CI_DIR / "azure-pipelines.yml").read_text("utf-8"))
    (step,) = pipeline["steps"]
    for name in sensitive_env_names() & set(step["env"]):
        assert step["env"][name] == f"$({name})"


def test_argocd_application_is_the_docs_multi_source_shape() -> None:
    application = load_yaml((EXAMPLES_DIR / "argocd" / "application.yaml").read_text("utf-8"))
    assert application["apiVersion"] == "argoproj.io/v1alpha1"
    assert application["kind"] == "Application"
    spec = application["spec"]
    chart_source, values_source = spec["sources"]
    assert chart_source["path"] == "charts/jira-integration"
    assert (REPO_ROOT / chart_source["path"] / "Chart.yaml").is_file()
    assert values_source["ref"] == "values"
    helm = chart_source["helm"]
    assert helm["valueFiles"] == ["$values/argocd/my-ocean-jira-integration/values.yaml"]
    assert {p["name"] for p in helm["parameters"]} == {
        "port.clientId",
        "port.clientSecret",
        "port.baseUrl",
    }
    assert spec["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    assert "CreateNamespace=true" in spec["syncPolicy"]["syncOptions"]
    values = load_yaml((EXAMPLES_DIR / "argocd" / "values.yaml").read_text("utf-8"))
    assert values["image"]["tag"] == pyproject_version()
    # Rendering these values with the chart is covered by test_chart.py ("argocd").


def test_installation_doc_covers_every_method() -> None:
    text = INSTALLATION_DOC.read_text("utf-8")
    for heading in ("Helm", "ArgoCD", "GitHub Actions", "GitLab", "Jenkins", "Azure", "Docker"):
        assert re.search(rf"^#+ .*{heading}", text, re.M), heading
    assert "./charts/jira-integration" in text
    for block in re.findall(r"```ya?ml\n(.*?)```", text, re.DOTALL):
        assert load_yaml_documents(block) is not None
    for command in docker_run_commands(text):
        assert docker_env(command).get("OCEAN__EVENT_LISTENER") in (ONCE, None)


@pytest.mark.parametrize(
    "example",
    [f"ci/{name}" for name in CI_EXAMPLES] + ["argocd/application.yaml", "argocd/values.yaml"],
)
def test_installation_doc_embeds_each_example_verbatim(example: str) -> None:
    """Copy-paste from the docs gets exactly the tested file."""
    embedded = (EXAMPLES_DIR / example).read_text("utf-8").rstrip("\n")
    assert embedded in INSTALLATION_DOC.read_text("utf-8")


# Incremental syncs beside the full one: the same image and command, with
# OCEAN__INTEGRATION__INCREMENTAL_SYNC_ENABLED true on a 15-minute schedule only.
INCREMENTAL = {
    "OCEAN__INTEGRATION__INCREMENTAL_SYNC_ENABLED",
    "OCEAN__INTEGRATION__INCREMENTAL_SYNC_INTERVAL",
}


@pytest.mark.parametrize("example", CI_EXAMPLES)
def test_the_run_passes_the_incremental_switch_from_the_schedule(example: str) -> None:
    (command,) = docker_run_commands((CI_DIR / example).read_text("utf-8"))
    env = docker_env(command)
    # Passed through by name: the schedule decides, not the command line.
    assert {name: env.get(name, "missing") for name in INCREMENTAL} == dict.fromkeys(INCREMENTAL)


def test_github_runs_incremental_syncs_on_the_15_minute_cron_only() -> None:
    workflow = load_yaml((CI_DIR / "github-actions.yml").read_text("utf-8"))
    triggers: dict[str, Any] = workflow.get("on", workflow.get(True))
    crons = [entry["cron"] for entry in triggers["schedule"]]
    (job,) = workflow["jobs"].values()
    switch = job["env"]["OCEAN__INTEGRATION__INCREMENTAL_SYNC_ENABLED"]
    incremental = [cron for cron in crons if f"'{cron}'" in switch]
    assert incremental == ["*/15 * * * *"]
    assert len(crons) == 2  # and a full resync, at minutes the 15-minute cron never hits
    (full,) = set(crons) - set(incremental)
    assert int(full.split()[0]) % 15 != 0
    assert job["env"]["OCEAN__INTEGRATION__INCREMENTAL_SYNC_INTERVAL"] == "15"


def test_azure_tells_the_incremental_schedule_by_its_name() -> None:
    pipeline = load_yaml((CI_DIR / "azure-pipelines.yml").read_text("utf-8"))
    names = {entry["displayName"]: entry["cron"] for entry in pipeline["schedules"]}
    switch = next(v["value"] for v in pipeline["variables"] if v.get("name") == "INCREMENTAL")
    (name,) = [n for n in names if f"'{n}'" in switch]
    assert names[name] == "*/15 * * * *"
    (step,) = pipeline["steps"]
    assert step["env"]["OCEAN__INTEGRATION__INCREMENTAL_SYNC_ENABLED"] == "$(INCREMENTAL)"
