"""No Docker engine here: run the Dockerfile's own steps in a scratch directory instead.

The builder stage's RUN (a venv from requirements.lock, `pip check`), the runtime COPYs and the
compile step are replayed with `/opt/venv` and `/app` moved into a temporary directory; then the
image's CMD runs the integration in ONCE mode against the simulators, from the image's WORKDIR,
with the image's HOME and no other command or argument (as Port's port-ocean chart runs it).
Catches a missing file in the image, an unpinned or broken lock file, a launcher that only works
from the repository checkout, and an image whose failed ONCE sync would exit 0.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from sandbox.stack import running_stack

ROOT = Path(__file__).resolve().parents[2]


def instructions(stage: str) -> list[tuple[str, str]]:
    """(instruction, arguments) of one stage, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    lines = [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    result: list[tuple[str, str]] = []
    current = None
    for line in lines:
        op, _, args = line.partition(" ")
        if op == "FROM":
            current = args.split(" AS ")[-1].strip()
            continue
        if current == stage:
            result.append((op, args))
    return result


def test_the_dockerfile_steps_build_a_runnable_integration(tmp_path: Path) -> None:
    venv, app, home = tmp_path / "opt-venv", tmp_path / "app", tmp_path / "home"
    app.mkdir()
    home.mkdir()
    relocate = {"/opt/venv": str(venv), "/app": str(app), "/tmp/ocean": str(home)}

    def moved(command: str) -> str:
        for old, new in relocate.items():
            command = command.replace(old, new)
        return command

    # builder stage: the RUN that installs the lock file (minus the chmod for OpenShift)
    build_dir = tmp_path / "build"
    build_dir.mkdir()
    shutil.copy(ROOT / "requirements.lock", build_dir)
    (builder_run,) = [args for op, args in instructions("builder") if op == "RUN"]
    steps = [s.strip() for s in builder_run.split("&&") if not s.strip().startswith("chmod")]
    for step in steps:
        argv = shlex.split(moved(step))
        if argv[0] == "python":
            argv[0] = sys.executable
        subprocess.run(argv, cwd=build_dir, check=True, capture_output=True, timeout=900)

    # runtime stage: the COPYs from the build context, the compile step, then CMD
    for op, args in instructions("runtime"):
        if op == "COPY" and "--from=" not in args:
            parts = [p for p in shlex.split(args) if not p.startswith("--")]
            *sources, destination = parts
            target = app / destination.removeprefix("./")
            for source in sources:
                origin = ROOT / source.rstrip("/")
                if origin.is_dir():
                    shutil.copytree(
                        origin, target, symlinks=True, ignore=shutil.ignore_patterns("__pycache__")
                    )
                else:
                    shutil.copy(origin, app / origin.name)
        if op == "RUN" and "compileall" in args:
            compile_step = moved(args.split("&&")[0]).split()
            subprocess.run(
                [str(venv / "bin" / "python"), *compile_step[1:]], check=True, timeout=300
            )
    (cmd,) = [json.loads(args) for op, args in instructions("runtime") if op == "CMD"]
    # the image's PATH starts with /opt/venv/bin: its `python` and `ocean` come from there
    command = [str(venv / "bin" / cmd[0]), *[moved(a) for a in cmd[1:]]]
    workdir = app
    for op, args in instructions("runtime"):
        if op == "WORKDIR":
            workdir = Path(moved(args))
    image_env = {"HOME": str(home), "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"}

    with running_stack(jira={"projects": 2, "users": 6, "teams": 1, "issues": 30}) as stack:
        result = stack.run_once(image_env, command=command, cwd=workdir)
        assert result.returncode == 0, result.output[-3000:]
        assert result.last_line == "Jira resync completed"
        assert "kind " in result.output and "upserted" in result.output  # the summary table
        assert "32 event workers (the integration's default" in result.output
        assert len(stack.entities("jiraProject")) == 2
        assert stack.entities("jiraIssue")

        # the same image, the sync failing: exit 1 and the reason last, as launch.py does
        failing = [r"/rest/api/3/search/jql", r"/rest/api/3/issue/bulkfetch"]
        stack.jira("PATCH", "/_sim/config", {"fail_paths": failing})
        failed = stack.run_once(image_env, command=command, cwd=workdir)
        assert failed.returncode == 1, failed.output[-3000:]
        assert failed.last_line.startswith("Jira resync failed: kind issue failed:")
