"""Vendors the part of Atlassian's published OpenAPI descriptions the contract test reads.

    .venv/bin/python tests/contract/vendor_openapi.py [SOURCE_DIR]

SOURCE_DIR holds Atlassian's documents as /work/shared/reference/openapi/ does (default: the
first of ../shared/reference/openapi beside the checkout and /work/shared/reference/openapi).
They are Atlassian's own documents (`info.contact` ecosystem@atlassian.com) as vendored by the
public repository GerroDen/atlassian-ts-client-generator at commit
e463428325b9bbeae9268e96df51459ec9976659 (2026-02-05): jira-cloud-api/swagger.json,
jira-software-cloud-api/swagger.json and teams-cloud-api/swagger.json.

For each document it writes tests/contract/openapi/<name>.json with only the operations in
OPERATIONS and the components they reference (transitively), without prose (descriptions,
summaries, examples), which the test does not read. When the integration starts calling another
operation, the contract test names it: add it to OPERATIONS and run this script again.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Final

HERE: Final = Path(__file__).resolve().parent
ROOT: Final = HERE.parents[1]
TARGET: Final = HERE / "openapi"
SOURCES: Final = (ROOT.parent / "shared/reference/openapi", Path("/work/shared/reference/openapi"))
PROVENANCE: Final = {
    "repository": "https://github.com/GerroDen/atlassian-ts-client-generator",
    "commit": "e463428325b9bbeae9268e96df51459ec9976659",
    "date": "2026-02-05",
    "trimmed by": "tests/contract/vendor_openapi.py",
}
# vendored name -> (source file, path in the source repository)
DOCUMENTS: Final = {
    "platform": ("jira-platform.json", "jira-cloud-api/swagger.json"),
    "software": ("jira-software.json", "jira-software-cloud-api/swagger.json"),
    "teams": ("teams.json", "teams-cloud-api/swagger.json"),
}
# The operations the integration calls (and the ones it is about to), per document.
OPERATIONS: Final[dict[str, list[tuple[str, str]]]] = {
    "platform": [
        ("get", "/rest/api/3/serverInfo"),
        ("get", "/rest/api/3/myself"),
        ("get", "/rest/api/3/mypermissions"),
        ("post", "/rest/api/3/permissions/project"),
        ("get", "/rest/api/3/project/search"),
        ("get", "/rest/api/3/project/{projectIdOrKey}"),
        ("get", "/rest/api/3/project/{projectIdOrKey}/component"),
        ("get", "/rest/api/3/project/{projectIdOrKey}/version"),
        ("get", "/rest/api/3/version/{id}"),
        ("get", "/rest/api/3/users/search"),
        ("get", "/rest/api/3/user"),
        ("post", "/rest/api/3/search/jql"),
        ("post", "/rest/api/3/issue/bulkfetch"),
        ("post", "/rest/api/3/jql/parse"),
        ("get", "/rest/api/3/issue/{issueIdOrKey}"),
        ("get", "/rest/api/3/issue/{issueIdOrKey}/comment"),
        ("get", "/rest/api/3/issue/{issueIdOrKey}/comment/{id}"),
        ("get", "/rest/api/3/issue/{issueIdOrKey}/worklog"),
        ("get", "/rest/api/3/issue/{issueIdOrKey}/worklog/{id}"),
        ("get", "/rest/api/3/worklog/updated"),
        ("get", "/rest/api/3/worklog/deleted"),
        ("post", "/rest/api/3/worklog/list"),
    ],
    "software": [
        ("get", "/rest/agile/1.0/board"),
        ("get", "/rest/agile/1.0/board/{boardId}/project"),
        ("get", "/rest/agile/1.0/board/{boardId}/sprint"),
        ("get", "/rest/agile/1.0/board/{boardId}/epic"),
        ("get", "/rest/agile/1.0/sprint/{sprintId}"),
    ],
    "teams": [
        ("get", "/public/teams/v1/org/{orgId}/teams"),
        ("post", "/public/teams/v1/org/{orgId}/teams/{teamId}/members"),
    ],
}
# Jira Software's enhanced backlog is newer than jira-software.json. Its query parameters as
# Atlassian's newer description (developer.atlassian.com/cloud/jira/software/swagger.v3.json,
# operation getIssuesForBacklogJSIS, as reproduced by public generated clients) declares them;
# its response schema is not available here, so answers to it are not validated.
ENHANCED_BACKLOG: Final = {
    "openapi": "3.0.1",
    "info": {"title": "Jira Software Cloud API (enhanced backlog only)", "version": "swagger.v3"},
    "x-vendored-from": {
        "source": "https://developer.atlassian.com/cloud/jira/software/swagger.v3.json",
        "as described in": "/work/shared/reference/openapi/README.md",
        "scope": "getIssuesForBacklogJSIS's parameters; no response schema",
    },
    "paths": {
        "/rest/software/1.0/board/{boardId}/backlog": {
            "get": {
                "operationId": "getIssuesForBacklogJSIS",
                "parameters": [
                    {
                        "in": "path",
                        "name": "boardId",
                        "required": True,
                        "schema": {"type": "integer", "format": "int64"},
                    },
                    {"in": "query", "name": "jql", "schema": {"type": "string"}},
                    {"in": "query", "name": "validateQuery", "schema": {"type": "boolean"}},
                    {
                        "in": "query",
                        "name": "fields",
                        "schema": {"type": "array", "items": {"type": "string"}},
                    },
                    {"in": "query", "name": "expand", "schema": {"type": "string"}},
                    {
                        "in": "query",
                        "name": "maxResults",
                        "schema": {"type": "integer", "format": "int32"},
                    },
                    {"in": "query", "name": "nextPageToken", "schema": {"type": "string"}},
                    {
                        "in": "query",
                        "name": "reconcileIssues",
                        "schema": {
                            "type": "array",
                            "items": {"type": "integer", "format": "int64"},
                        },
                    },
                ],
                "responses": {"200": {}, "400": {}, "401": {}, "403": {}, "404": {}},
            }
        }
    },
}
PROSE: Final = frozenset({"description", "summary", "example", "examples", "externalDocs", "tags"})
# Objects whose keys are names (properties, status codes, media types), not keywords.
NAME_MAPS: Final = frozenset(
    {"properties", "patternProperties", "schemas", "responses", "content", "paths", "headers"}
)


def _without_prose(value: Any, keys_are_names: bool = False) -> Any:
    if isinstance(value, list):
        return [_without_prose(item) for item in value]
    if not isinstance(value, dict):
        return value
    return {
        key: _without_prose(item, key in NAME_MAPS and not keys_are_names)
        for key, item in value.items()
        if keys_are_names or not (key in PROSE or key.startswith("x-"))
    }


def _refs(value: Any) -> set[str]:
    if isinstance(value, list):
        return set().union(*(_refs(item) for item in value)) if value else set()
    if not isinstance(value, dict):
        return set()
    found = {value["$ref"]} if isinstance(value.get("$ref"), str) else set()
    return found.union(*(_refs(item) for item in value.values()))


def trimmed(document: dict[str, Any], operations: list[tuple[str, str]], source: str) -> Any:
    """`document` with only `operations` and the components they reach."""
    paths: dict[str, Any] = {}
    for method, path in operations:
        item = document["paths"][path]
        kept = paths.setdefault(path, {k: v for k, v in item.items() if k == "parameters"})
        kept[method] = item[method]
    components: dict[str, dict[str, Any]] = {}
    pending = _refs(paths)
    seen: set[str] = set()
    while pending:
        ref = pending.pop()
        seen.add(ref)
        section, name = ref.removeprefix("#/components/").split("/")
        target = document["components"][section][name]
        components.setdefault(section, {})[name] = target
        pending |= _refs(target) - seen
    out = {
        "openapi": document["openapi"],
        "info": {"title": document["info"]["title"], "version": document["info"]["version"]},
        "x-vendored-from": {**PROVENANCE, "path": source},
        "servers": document.get("servers", []),
        "paths": paths,
        "components": {s: dict(sorted(c.items())) for s, c in sorted(components.items())},
    }
    return {**_without_prose(out), "x-vendored-from": out["x-vendored-from"]}


def main(argv: list[str]) -> int:
    candidates = [Path(argv[1])] if len(argv) > 1 else list(SOURCES)
    source_dir = next((d for d in candidates if d.is_dir()), None)
    if source_dir is None:
        print(f"no source directory among {', '.join(map(str, candidates))}", file=sys.stderr)
        return 2
    TARGET.mkdir(exist_ok=True)
    for name, (file, source) in DOCUMENTS.items():
        document = json.loads((source_dir / file).read_text(encoding="utf-8"))
        text = json.dumps(trimmed(document, OPERATIONS[name], source), indent=1, sort_keys=False)
        (TARGET / f"{name}.json").write_text(text + "\n", encoding="utf-8")
        print(f"{TARGET / f'{name}.json'}: {len(OPERATIONS[name])} operations, {len(text):,} bytes")
    text = json.dumps(ENHANCED_BACKLOG, indent=1)
    (TARGET / "software-enhanced.json").write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
