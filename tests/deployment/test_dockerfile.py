"""Static checks of the Dockerfile (no Docker engine here): hadolint, and that what the image
copies, installs and starts exists in this repository and survives .dockerignore."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pytest

from tests.deployment.support import CHART_DIR, REPO_ROOT, load_yaml

DOCKERFILE = REPO_ROOT / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"
LOCK_FILE = REPO_ROOT / "requirements.lock"


@dataclass
class Instruction:
    keyword: str
    arguments: str


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [item for item in self.instructions if item.keyword == keyword]

    def one(self, keyword: str) -> Instruction:
        (item,) = self.all(keyword)
        return item


def parse_dockerfile(text: str) -> tuple[dict[str, str], list[Stage]]:
    """Global ARG defaults and the stages, with continuation lines joined."""
    logical: list[str] = []
    buffer = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        logical.append(buffer + line)
        buffer = ""
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in logical:
        keyword, _, arguments = line.partition(" ")
        keyword = keyword.upper()
        arguments = arguments.strip()
        if keyword == "FROM":
            parts = arguments.split()
            base = re.sub(
                r"\$\{(\w+)\}", lambda match: global_args.get(match.group(1), ""), parts[0]
            )
            name = parts[2] if len(parts) > 2 and parts[1].upper() == "AS" else None
            stages.append(Stage(base, name))
        elif not stages and keyword == "ARG":
            key, _, value = arguments.partition("=")
            global_args[key] = value
        else:
            stages[-1].instructions.append(Instruction(keyword, arguments))
    return global_args, stages


@dataclass(frozen=True)
class Copy:
    sources: list[str]
    destination: str  # absolute; a trailing "/" marks a directory
    from_stage: str | None


def copies(stage: Stage) -> list[Copy]:
    """COPY instructions with destinations made absolute against the WORKDIR in force."""
    result: list[Copy] = []
    workdir = PurePosixPath("/")
    for item in stage.instructions:
        if item.keyword == "WORKDIR":
            workdir = workdir / item.arguments
        if item.keyword != "COPY":
            continue
        words = shlex.split(item.arguments)
        flags = [word for word in words if word.startswith("--")]
        paths = [word for word in words if not word.startswith("--")]
        from_stage = next(
            (flag.split("=", 1)[1] for flag in flags if flag.startswith("--from=")), None
        )
        destination = str(workdir / paths[-1]) + ("/" if paths[-1].endswith("/") else "")
        result.append(Copy(paths[:-1], destination, from_stage))
    return result


def repo_path_for(container_path: PurePosixPath, stage: Stage) -> Path | None:
    """The repository file a container path comes from (build-context COPYs only).

    Docker copies a directory's contents into the destination, and a file into the
    destination directory (trailing "/" or several sources) or onto the destination path.
    """
    for item in copies(stage):
        if item.from_stage is not None:
            continue
        destination = PurePosixPath(item.destination)
        for source in item.sources:
            if (REPO_ROOT / source).is_dir():
                if container_path == destination or destination in container_path.parents:
                    return REPO_ROOT / source / container_path.relative_to(destination)
                continue
            into_directory = item.destination.endswith("/") or len(item.sources) > 1
            target = destination / PurePosixPath(source).name if into_directory else destination
            if container_path == target:
                return REPO_ROOT / source
    return None


def dockerignore_rules() -> list[tuple[re.Pattern[str], bool]]:
    rules: list[tuple[re.Pattern[str], bool]] = []
    for raw in DOCKERIGNORE.read_text("utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = line.lstrip("!").strip("/")
        regex = ""
        index = 0
        while index < len(pattern):
            if pattern.startswith("**/", index):
                regex += "(?:.*/)?"
                index += 3
            elif pattern.startswith("**", index):
                regex += ".*"
                index += 2
            elif pattern[index] == "*":
                regex += "[^/]*"
                index += 1
            elif pattern[index] == "?":
                regex += "[^/]"
                index += 1
            elif pattern[index] == "[":
                end = pattern.index("]", index)
                regex += pattern[index : end + 1]
                index = end + 1
            else:
                regex += re.escape(pattern[index])
                index += 1
        rules.append((re.compile(f"^{regex}$"), negated))
    return rules


def is_ignored(relative: str) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parents decides."""
    parts = relative.split("/")
    candidates = ["/".join(parts[: end + 1]) for end in range(len(parts))]
    ignored = False
    for regex, negated in dockerignore_rules():
        if any(regex.match(candidate) for candidate in candidates):
            ignored = not negated
    return ignored


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    return parse_dockerfile(DOCKERFILE.read_text("utf-8"))[1]


@pytest.fixture(scope="module")
def runtime(stages: list[Stage]) -> Stage:
    return stages[-1]


def hadolint_binary() -> str:
    candidate = Path(sys.executable).parent / "hadolint"
    return str(candidate) if candidate.exists() else "hadolint"


def test_hadolint_passes_at_warning_threshold() -> None:
    result = subprocess.run(
        [hadolint_binary(), "--failure-threshold", "warning", "-f", "json", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    findings = json.loads(result.stdout or "[]")
    assert result.returncode == 0, findings or result.stderr
    assert [item for item in findings if item["level"] in ("error", "warning")] == []
    assert "hadolint ignore" not in DOCKERFILE.read_text("utf-8"), "lint clean, not silenced"


def test_multi_stage_build_on_python_312_slim(stages: list[Stage]) -> None:
    assert len(stages) >= 2
    assert all(stage.base == "python:3.12-slim" for stage in stages)
    builder = stages[0]
    assert builder.name == "builder"
    run = " ".join(item.arguments for item in builder.all("RUN"))
    assert "python -m venv /opt/venv" in run
    assert "pip install --no-cache-dir -r requirements.lock" in run
    runtime_copies = copies(stages[-1])
    assert any(
        item.from_stage == "builder" and item.sources == ["/opt/venv"] for item in runtime_copies
    )


def test_the_lock_file_it_installs_exists_and_is_pinned(stages: list[Stage]) -> None:
    builder = stages[0]
    copied = [source for item in copies(builder) for source in item.sources]
    assert "requirements.lock" in copied
    assert LOCK_FILE.is_file(), "requirements.lock (installed by the Dockerfile) is missing"
    assert not is_ignored("requirements.lock")
    requirements = [
        line.split("#", 1)[0].strip().rstrip("\\").strip()
        for line in LOCK_FILE.read_text("utf-8").splitlines()
    ]
    requirements = [line for line in requirements if line and not line.startswith(("-", "--hash"))]
    assert requirements, "requirements.lock lists no packages"
    unpinned = [line for line in requirements if "==" not in line and " @ " not in line]
    assert unpinned == []
    names = {re.split(r"[\[=<>~ ;@]", line, maxsplit=1)[0].lower() for line in requirements}
    assert "port-ocean" in names


def final_workdir(stage: Stage) -> PurePosixPath:
    workdir = PurePosixPath("/")
    for item in stage.all("WORKDIR"):
        workdir = workdir / item.arguments
    return workdir


def test_cmd_is_plain_ocean_sail_from_the_integration_folder(runtime: Stage) -> None:
    """Port's port-ocean chart sets no command: the image's CMD must be the one code path
    (`ocean sail`, what launch.py also runs), started where Ocean finds the integration."""
    assert runtime.all("ENTRYPOINT") == []
    command = json.loads(runtime.one("CMD").arguments)
    assert command == ["ocean", "sail"]
    workdir = final_workdir(runtime)
    assert workdir == PurePosixPath("/app/integrations/jira")
    for name in ("main.py", "integration.py", "launch.py"):
        source = repo_path_for(workdir / name, runtime)
        assert source == REPO_ROOT / "integrations" / "jira" / name, f"{name} is not copied"
        assert source.is_file()
        assert not is_ignored(source.relative_to(REPO_ROOT).as_posix())


def test_image_contains_what_ocean_reads(runtime: Stage) -> None:
    integration = REPO_ROOT / "integrations" / "jira"
    needed = [REPO_ROOT / "pyproject.toml", integration / "main.py", integration / ".port"]
    needed += sorted((integration / ".port").rglob("*"))
    for path in needed:
        relative = path.relative_to(REPO_ROOT).as_posix()
        assert path.exists(), relative
        assert not is_ignored(relative), f"{relative} is excluded by .dockerignore"
        container = PurePosixPath("/app") / relative
        assert repo_path_for(container, runtime) == path, f"{relative} is not copied"
    # integrations/jira/pyproject.toml is a symlink to ../../pyproject.toml: in the image it
    # must land on /app/pyproject.toml, which is copied too.
    link = integration / "pyproject.toml"
    assert link.is_symlink()
    target = PurePosixPath(
        os.path.normpath(PurePosixPath("/app/integrations/jira") / os.readlink(link))
    )
    assert target == PurePosixPath("/app/pyproject.toml")
    assert repo_path_for(target, runtime) == REPO_ROOT / "pyproject.toml"


def test_dockerignore_keeps_local_clutter_out() -> None:
    for path in [
        ".git/config",
        ".venv/bin/python",
        "tests/deployment/test_dockerfile.py",
        "charts/jira-integration/Chart.yaml",
        "integrations/jira/jira/__pycache__/x.cpython-312.pyc",
        "integrations/jira/.env",
        "integrations/jira/config.yaml",
    ]:
        assert is_ignored(path), path


def test_runtime_user_home_port_labels(runtime: Stage) -> None:
    user = runtime.one("USER").arguments
    assert user == "1001", "a numeric UID lets Kubernetes verify runAsNonRoot"
    values = load_yaml((CHART_DIR / "values.yaml").read_text("utf-8"))
    assert values["podSecurityContext"]["runAsUser"] == int(user)
    environment = " ".join(item.arguments for item in runtime.all("ENV"))
    assert "HOME=/tmp/ocean" in environment
    assert runtime.one("EXPOSE").arguments == "8000"
    run = " ".join(item.arguments for item in runtime.all("RUN"))
    assert "--uid 1001 --gid 0" in run, "group 0 so an arbitrary UID can write"
    assert "g=u" in run and "/tmp/ocean" in run
    labels = " ".join(item.arguments for item in runtime.all("LABEL"))
    for key in ("title", "description", "version", "revision", "created", "source"):
        assert f"org.opencontainers.image.{key}=" in labels
    assert "/health/live" in runtime.one("HEALTHCHECK").arguments
