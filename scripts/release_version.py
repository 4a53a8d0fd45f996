#!/usr/bin/env python3
"""The one version the integration, its image and its chart share, read from every file that
states it; fails naming the files that disagree.

    python scripts/release_version.py                 # prints the version
    python scripts/release_version.py --tag v0.2.0    # also: the release tag names it
    python scripts/release_version.py --notes FILE    # writes CHANGELOG.md's section for it

Where the version is stated: pyproject.toml ([project].version: Ocean reports it to Port as the
integration's version), charts/jira-integration/Chart.yaml (version and appVersion), the
Dockerfile (ARG VERSION, the image's org.opencontainers.image.version label),
integrations/jira/.port/spec.yaml (version, when it has one) and the newest release heading of
CHANGELOG.md. Standard library only: the release workflow runs it before anything is installed.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# "## [0.2.0] - 2026-12-07" (Keep a Changelog); "## [Unreleased]" has no version.
RELEASE_HEADING = re.compile(r"^## \[(\d+\.\d+\.\d+[^\]]*)\] - (\d{4}-\d{2}-\d{2})\s*$", re.M)


class VersionMismatch(Exception):
    """The files state different versions, or the tag names another one."""


def _top_level(path: Path, key: str) -> str | None:
    """A top-level `key: value` of a YAML file (quotes dropped), without a YAML parser."""
    match = re.search(rf"^{key}:\s*[\"']?([^\"'\s#]+)", path.read_text("utf-8"), re.M)
    return match.group(1) if match else None


def stated_versions(root: Path = ROOT) -> dict[str, str | None]:
    """Where -> the version stated there (None: the file states none)."""
    chart = root / "charts" / "jira-integration" / "Chart.yaml"
    dockerfile = (root / "Dockerfile").read_text("utf-8")
    docker_arg = re.search(r"^ARG VERSION=(\S+)", dockerfile, re.M)
    releases = RELEASE_HEADING.findall((root / "CHANGELOG.md").read_text("utf-8"))
    versions: dict[str, str | None] = {
        "pyproject.toml [project].version": tomllib.loads(
            (root / "pyproject.toml").read_text("utf-8")
        )["project"]["version"],
        "Chart.yaml version": _top_level(chart, "version"),
        "Chart.yaml appVersion": _top_level(chart, "appVersion"),
        "Dockerfile ARG VERSION": docker_arg.group(1) if docker_arg else None,
        "CHANGELOG.md newest release": releases[0][0] if releases else None,
    }
    spec = root / "integrations" / "jira" / ".port" / "spec.yaml"
    if _top_level(spec, "version") is not None:
        versions["spec.yaml version"] = _top_level(spec, "version")
    return versions


def shared_version(root: Path = ROOT) -> str:
    versions = stated_versions(root)
    distinct = set(versions.values())
    if len(distinct) != 1 or None in distinct:
        listed = ", ".join(
            f"{where}: {version or 'missing'}" for where, version in versions.items()
        )
        raise VersionMismatch(f"the version files disagree ({listed}); make them all the same")
    (version,) = distinct
    assert version is not None
    return version


def check_tag(tag: str, root: Path = ROOT) -> str:
    version = shared_version(root)
    if tag != f"v{version}":
        raise VersionMismatch(
            f"tag {tag} does not name the version {version} the files share: "
            f"tag the release v{version}, or bump the version (CHANGELOG.md, pyproject.toml, "
            "Chart.yaml, Dockerfile) first"
        )
    return version


def release_notes(version: str, root: Path = ROOT) -> str:
    """CHANGELOG.md's section for `version`, without its heading."""
    text = (root / "CHANGELOG.md").read_text("utf-8")
    starts = [m for m in RELEASE_HEADING.finditer(text) if m.group(1) == version]
    if not starts:
        raise VersionMismatch(f"CHANGELOG.md has no section ## [{version}]")
    rest = text[starts[0].end() :]
    end = re.search(r"^## |^\[[^\]]+\]: ", rest, re.M)
    return rest[: end.start() if end else None].strip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--tag", help="fail unless this tag is v<version>")
    parser.add_argument("--notes", type=Path, help="write the version's CHANGELOG section here")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        version = check_tag(args.tag, args.root) if args.tag else shared_version(args.root)
        if args.notes is not None:
            args.notes.write_text(release_notes(version, args.root), "utf-8")
    except VersionMismatch as exc:
        print(f"Release version error: {exc}", file=sys.stderr)
        return 1
    print(version)
    return 0


if __name__ == "__main__":
    sys.exit(main())
