"""Projects with their components and versions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..catalog import SENTINEL, JsonDict
from .people import PeopleStore
from .records import ProjectRecord, require, user_ref


class ProjectStore(PeopleStore):
    def create_project(
        self,
        key: str,
        name: str,
        *,
        project_id: int | None = None,
        style: str = "next-gen",
        lead: str | None = None,
        components: Iterable[str] = (),
        versions: Iterable[str | JsonDict] = (),
    ) -> JsonDict:
        key = key.upper()
        if key in self.projects:
            raise ValueError(f"project {key} already exists")
        project_id = project_id or self._next_project_id
        self._next_project_id = max(self._next_project_id, project_id + 1)
        rec = ProjectRecord(
            id=project_id,
            key=key,
            name=name,
            style=style,
            lead=lead or self.current_account_id,
            avatar_id=10400 + len(self.projects) + 13,
            board_id=len(self.projects) + 1,
        )
        self.projects[key] = rec
        self._project_counters.setdefault(key, 0)
        self.boards.setdefault(
            rec.board_id,
            {
                "id": rec.board_id,
                "name": f"{rec.key} board",
                "type": "scrum",
                "projects": [rec.key],
                "sharedSprints": [],
                "backlog": True,
            },
        )
        for comp in components:
            self.add_component(key, comp)
        for ver in versions:
            self.add_version(key, ver)
        self.deleted_projects.pop(key, None)
        self._touch()
        return self.public(self.project_json(rec))

    def add_component(self, project_key: str, name: str) -> JsonDict:
        """The project's component called ``name`` (any case), created if it has none."""
        rec = self.projects[project_key.upper()]
        for existing in rec.components:
            if existing["name"].lower() == name.lower():
                return existing
        cid = self._next_component_id
        self._next_component_id += 1
        obj = {"self": f"{SENTINEL}/rest/api/3/component/{cid}", "id": str(cid), "name": name}
        rec.components.append(obj)
        return obj

    def add_version(self, project_key: str, ver: str | JsonDict) -> JsonDict:
        """The project's version named by ``ver`` (a name, or ``{name, released,
        releaseDate}``), created if it has none."""
        rec = self.projects[project_key.upper()]
        data: JsonDict = {"name": ver} if isinstance(ver, str) else ver
        for existing in rec.versions:
            if existing["name"].lower() == str(data["name"]).lower():
                return existing
        vid = self._next_version_id
        self._next_version_id += 1
        obj: JsonDict = {
            "self": f"{SENTINEL}/rest/api/3/version/{vid}",
            "id": str(vid),
            "name": str(data["name"]),
            "archived": False,
            "released": bool(data.get("released", False)),
        }
        if data.get("releaseDate"):
            obj["releaseDate"] = data["releaseDate"]
        rec.versions.append(obj)
        return obj

    def project_json(self, rec: ProjectRecord, *, full: bool = False) -> JsonDict:
        out = rec.json()
        if full:
            lead = self.users.get(rec.lead or "")
            if lead:
                out["lead"] = {
                    k: v for k, v in user_ref(lead).items() if k not in ("emailAddress", "timeZone")
                }
            out["components"] = rec.components
            out["versions"] = rec.versions
            out["archived"] = rec.archived
        return out

    def update_project(self, key: str, fields: dict[str, Any]) -> JsonDict:
        """Rename a project (``{"name": ...}``, what the control API is sent)."""
        rec = require(self.get_project(key), key)
        unsupported = set(fields) - {"name"}
        if unsupported:
            raise ValueError(f"unsupported project fields {sorted(unsupported)}")
        rec.name = str(fields.get("name", rec.name))
        ref = rec.ref()
        for issue in self.issues.values():
            if issue.project_key == rec.key:
                issue.fields["project"] = ref
        self._touch()
        return self.public(self.project_json(rec, full=True))

    def find_version(self, version_id: str) -> tuple[ProjectRecord, JsonDict] | None:
        for project in self.projects.values():
            for version in project.versions:
                if version["id"] == str(version_id):
                    return project, version
        return None

    def version_json(self, project: ProjectRecord, version: JsonDict) -> JsonDict:
        out = dict(version)
        out.setdefault("description", f"{project.name} {version['name']}")
        out["overdue"] = bool(
            not version.get("released")
            and version.get("releaseDate")
            and str(version["releaseDate"]) < self.now().strftime("%Y-%m-%d")
        )
        out["projectId"] = project.id
        return out

    def update_version(self, version_id: str, fields: dict[str, Any]) -> JsonDict:
        project, version = require(self.find_version(version_id), version_id)
        for key, value in fields.items():
            if key not in ("name", "released", "archived", "releaseDate", "description"):
                raise ValueError(f"unsupported version field {key!r}")
            version[key] = value
        self._touch()
        return self.version_json(project, version)

    def delete_version(self, version_id: str) -> JsonDict:
        project, version = require(self.find_version(version_id), version_id)
        data = self.version_json(project, version)
        project.versions = [v for v in project.versions if v["id"] != str(version_id)]
        self.tombstones["version"][str(version_id)] = data
        self._touch()
        return data

    def component_json(self, project: ProjectRecord, component: JsonDict) -> JsonDict:
        count = sum(
            1
            for rec in self.issues.values()
            if rec.project_key == project.key
            and any(c.get("id") == component["id"] for c in rec.fields.get("components") or [])
        )
        out: JsonDict = {
            **component,
            "description": f"{component['name']} of {project.name}",
            "assigneeType": "PROJECT_DEFAULT",
            "project": project.key,
            "projectId": project.id,
            "issueCount": count,
        }
        lead = self.users.get(self.component_leads.get(str(component["id"]), ""))
        if lead is not None:
            out["lead"] = user_ref(lead)
        return out
