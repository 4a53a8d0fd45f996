"""The release: one version shared by the integration, the image and the chart, and a release
workflow that checks the tag against it, builds the multi-arch image and packages the chart.
The workflow is linted offline: check-jsonschema's bundled GitHub workflow schema (keys,
types, triggers) and zizmor (an offline static analyser of workflows: unpinned actions,
credentials, injection), both from PyPI, pinned in the lock files."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from scripts.release_version import (
    RELEASE_HEADING,
    VersionMismatch,
    check_tag,
    release_notes,
    shared_version,
    stated_versions,
)
from tests.deployment.support import REPO_ROOT, load_yaml, pyproject_version

WORKFLOW = REPO_ROOT / ".github" / "workflows" / "release.yml"
BIN = Path(sys.executable).parent
VERSION_FILES = [
    "pyproject.toml",
    "Dockerfile",
    "CHANGELOG.md",
    "charts/jira-integration/Chart.yaml",
    "integrations/jira/.port/spec.yaml",
]


def _lint(path: Path) -> list[str]:
    """The problems both linters report for a workflow file (empty: clean)."""
    problems = []
    schema = subprocess.run(
        [BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", path],
        capture_output=True,
        text=True,
        check=False,
    )
    if schema.returncode != 0:
        problems.append(f"check-jsonschema: {schema.stdout}{schema.stderr}")
    audit = subprocess.run(
        [BIN / "zizmor", "--offline", "--persona=pedantic", "--no-progress", path],
        capture_output=True,
        text=True,
        check=False,
    )
    if audit.returncode != 0:
        problems.append(f"zizmor: {audit.stdout}{audit.stderr}")
    return problems


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


# --------------------------------------------------------------------------- the version


def test_image_chart_and_integration_share_one_version() -> None:
    versions = stated_versions()
    assert set(versions.values()) == {pyproject_version()}, versions
    assert shared_version() == pyproject_version()


def test_a_file_that_disagrees_is_named(tmp_path: Path) -> None:
    for name in VERSION_FILES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO_ROOT / name, tmp_path / name)
    chart = tmp_path / "charts" / "jira-integration" / "Chart.yaml"
    chart.write_text(
        re.sub(r"^appVersion: .*$", 'appVersion: "9.9.9"', chart.read_text(), flags=re.M)
    )
    with pytest.raises(VersionMismatch, match=r"Chart\.yaml appVersion: 9\.9\.9"):
        shared_version(tmp_path)


def test_the_tag_must_name_the_version() -> None:
    version = shared_version()
    assert check_tag(f"v{version}") == version
    with pytest.raises(VersionMismatch, match=f"tag v0.0.1 does not name the version {version}"):
        check_tag("v0.0.1")
    with pytest.raises(VersionMismatch):
        check_tag(version)  # no leading v


def test_the_changelog_keeps_a_changelog() -> None:
    text = (REPO_ROOT / "CHANGELOG.md").read_text("utf-8")
    assert text.startswith("# Changelog\n")
    assert "## [Unreleased]" in text
    assert "keepachangelog.com" in text
    releases = RELEASE_HEADING.findall(text)
    numbers = [tuple(int(part) for part in version.split(".")) for version, _ in releases]
    assert numbers == sorted(numbers, reverse=True), "releases newest first"
    dates = [date for _, date in releases]
    assert dates == sorted(dates, reverse=True)
    sections = set(re.findall(r"^### (.+)$", text, re.M))
    assert sections <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
    notes = release_notes(shared_version())
    assert notes.startswith("###") and "## [" not in notes


# --------------------------------------------------------------------------- the workflow


def test_the_workflow_passes_both_linters() -> None:
    assert _lint(WORKFLOW) == []


@pytest.mark.parametrize(
    ("change", "linter"),
    [
        (("runs-on: ubuntu-latest", "run-on: ubuntu-latest"), "check-jsonschema"),
        (
            (
                "docker/login-action@74a5d142397b4f367a81961eba4e8cd7edddf772",
                "docker/login-action@v3",
            ),
            "zizmor",
        ),
    ],
    ids=["misspelt-key", "unpinned-action"],
)
def test_the_linters_catch_a_broken_workflow(
    tmp_path: Path, change: tuple[str, str], linter: str
) -> None:
    broken = tmp_path / "release.yml"
    broken.write_text(WORKFLOW.read_text("utf-8").replace(*change, 1))
    assert any(problem.startswith(linter) for problem in _lint(broken))


def test_a_version_tag_checks_the_version_then_builds_and_packages() -> None:
    workflow = load_yaml(WORKFLOW.read_text("utf-8"))
    # PyYAML reads the key `on` as True.
    assert workflow[True] == {"push": {"tags": ["v*"]}}
    jobs = workflow["jobs"]
    version_runs = " ".join(step.get("run", "") for step in jobs["version"]["steps"])
    assert 'scripts/release_version.py --tag "$TAG"' in version_runs
    for name in ("image", "chart"):
        assert "version" in jobs[name]["needs"]

    uses = [step["uses"].split("@")[0] for step in _steps(workflow) if "uses" in step]
    assert {"docker/setup-qemu-action", "docker/setup-buildx-action"} <= set(uses)
    (build,) = [
        s for s in jobs["image"]["steps"] if s.get("uses", "").startswith("docker/build-push")
    ]
    assert build["with"]["platforms"] == "linux/amd64,linux/arm64"
    assert "VERSION=${{ needs.version.outputs.version }}" in build["with"]["build-args"]
    chart_runs = " ".join(step.get("run", "") for step in jobs["chart"]["steps"])
    assert "helm package charts/jira-integration" in chart_runs
