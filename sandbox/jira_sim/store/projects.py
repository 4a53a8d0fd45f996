"""Projects with their components and versions."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from ..catalog import (
    SENTINEL,
    JsonDict,
    issuetype_object,
)
from .people import PeopleStore
from .records import NotFoundError, ProjectRecord, user_ref


class ProjectStore(PeopleStore):
    def create_project(
        self,
        key: str,
        name: str | None = None,
        *,
        project_id: int | None = None,
        project_type: str = "software",
        style: str = "next-gen",
        description: str = "",
        lead: str | None = None,
        components: Iterable[str | JsonDict] = (),
        versions: Iterable[str | JsonDict] = (),
        **extra: Any,
    ) -> JsonDict:
        key = key.upper()
        if key in self.projects:
            raise ValueError(f"project {key} already exists")
        if project_id is None:
            project_id = int(extra.pop("id", 0)) or self._next_project_id
        self._next_project_id = max(self._next_project_id, project_id + 1)
        project_type = extra.pop("projectTypeKey", project_type)
        style = extra.pop("style", style) if project_type == "software" else "classic"
        rec = ProjectRecord(
            id=project_id,
            key=key,
            name=name or extra.pop("name", None) or key,
            project_type=project_type,
            style=style,
            simplified=bool(extra.pop("simplified", style == "next-gen")),
            is_private=bool(extra.pop("isPrivate", False)),
            uuid=str(extra.pop("uuid", None) or uuid.uuid5(uuid.NAMESPACE_DNS, f"project-{key}")),
            description=description,
            lead=lead or self.current_account_id,
            avatar_id=10400 + len(self.projects) + 13,
            board_id=int(extra.pop("boardId", 0)) or len(self.projects) + 1,
        )
        self.projects[key] = rec
        self._project_counters.setdefault(key, 0)
        if rec.board_id not in self.boards:
            self.boards[rec.board_id] = {
                "id": rec.board_id,
                "name": f"{rec.key} board",
                "type": "scrum",
                "projects": [rec.key],
                "sharedSprints": [],
                "backlog": True,
            }
        for comp in components:
            self.add_component(key, comp)
        for ver in versions:
            self.add_version(key, ver)
        self.deleted_projects.pop(key, None)
        self._touch()
        return self.public(self.project_json(rec))

    def add_component(self, project_key: str, comp: str | JsonDict) -> JsonDict:
        rec = self.projects[project_key.upper()]
        name = comp if isinstance(comp, str) else str(comp.get("name"))
        for existing in rec.components:
            if existing["name"].lower() == name.lower():
                return existing
        cid = int(comp.get("id", 0)) if isinstance(comp, dict) and comp.get("id") else 0
        cid = cid or self._next_component_id
        self._next_component_id = max(self._next_component_id, cid + 1)
        obj = {"self": f"{SENTINEL}/rest/api/3/component/{cid}", "id": str(cid), "name": name}
        rec.components.append(obj)
        return obj

    def add_version(self, project_key: str, ver: str | JsonDict) -> JsonDict:
        rec = self.projects[project_key.upper()]
        data: JsonDict = {"name": ver} if isinstance(ver, str) else dict(ver)
        name = str(data["name"])
        for existing in rec.versions:
            if existing["name"].lower() == name.lower():
                return existing
        vid = int(data.get("id", 0)) or self._next_version_id
        self._next_version_id = max(self._next_version_id, vid + 1)
        obj: JsonDict = {
            "self": f"{SENTINEL}/rest/api/3/version/{vid}",
            "id": str(vid),
            "name": name,
            "archived": bool(data.get("archived", False)),
            "released": bool(data.get("released", False)),
        }
        if data.get("releaseDate"):
            obj["releaseDate"] = data["releaseDate"]
        rec.versions.append(obj)
        return obj

    def project_json(self, rec: ProjectRecord, *, full: bool = False) -> JsonDict:
        out = rec.json()
        if full:
            out["description"] = rec.description
            lead = self.users.get(rec.lead or "")
            if lead:
                out["lead"] = {
                    k: v for k, v in user_ref(lead).items() if k not in ("emailAddress", "timeZone")
                }
            out["components"] = rec.components
            out["versions"] = rec.versions
            out["issueTypes"] = [
                issuetype_object(n) for n in ("Task", "Bug", "Story", "Epic", "Sub-task")
            ]
            out["assigneeType"] = "UNASSIGNED"
            out["roles"] = {}
            out["archived"] = rec.archived
        return out

    def update_project(self, key: str, fields: dict[str, Any]) -> JsonDict:
        rec = self.get_project(key)
        if rec is None:
            raise NotFoundError(key)
        for k, v in fields.items():
            if k == "name":
                rec.name = str(v)
            elif k == "description":
                rec.description = str(v)
            elif k in ("lead", "leadAccountId"):
                rec.lead = str(v) if v else None
            elif k in ("projectTypeKey", "project_type"):
                rec.project_type = str(v)
            elif k == "isPrivate":
                rec.is_private = bool(v)
            elif k == "archived":
                rec.archived = bool(v)
            elif k == "components":
                for comp in v:
                    self.add_component(rec.key, comp)
            elif k == "versions":
                for ver in v:
                    self.add_version(rec.key, ver)
            else:
                raise ValueError(f"unsupported project field {k!r}")
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
        found = self.find_version(version_id)
        if found is None:
            raise NotFoundError(version_id)
        project, version = found
        for key, value in fields.items():
            if key not in ("name", "released", "archived", "releaseDate", "description"):
                raise ValueError(f"unsupported version field {key!r}")
            version[key] = value
        self._touch()
        return self.version_json(project, version)

    def delete_version(self, version_id: str) -> JsonDict:
        found = self.find_version(version_id)
        if found is None:
            raise NotFoundError(version_id)
        project, version = found
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
            "realAssigneeType": "PROJECT_DEFAULT",
            "isAssigneeTypeValid": False,
            "project": project.key,
            "projectId": project.id,
            "issueCount": count,
        }
        lead = self.users.get(self.component_leads.get(str(component["id"]), ""))
        if lead is not None:
            out["lead"] = user_ref(lead)
        return out
