"""The deterministic generator of a site's data (from ``seed``) into the store (:mod:`.store`)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from .catalog import RESOLUTION_DONE, JsonDict, status_object
from .config import SimConfig
from .store import Dataset, ProjectRecord
from .store.issues import change_item

__all__ = ["Dataset", "generate_dataset"]

_FIRST: Final = (
    "Alice Bob Carol Dan Erin Frank Grace Heidi Ivan Judy Mallory Niaj Olivia Peggy Rupert "
    "Sybil Trent Uma Victor Wendy Yusuf Zoe"
).split()
_LAST: Final = (
    "Anderson Brown Cohen Diaz Evans Fischer Garcia Hughes Ito Jensen Kim Levi Moreau Novak "
    "Okafor Patel Quinn Rossi Silva Tanaka"
).split()
_TIMEZONES: Final = ("UTC", "Europe/London", "America/New_York", "Asia/Jerusalem", "Asia/Tokyo")
_APP_NAMES: Final = ("Automation for Jira|Slack|GitHub for Jira|Port Ocean|Jira Cloud Bot").split(
    "|"
)
_PROJECTS: Final = (
    ("PA", "Port-AI"),
    ("PLAT", "Platform"),
    ("MOB", "Mobile App"),
    ("WEB", "Website"),
    ("OPS", "Operations"),
    ("DATA", "Data Pipeline"),
    ("SEC", "Security"),
    ("DOCS", "Documentation"),
)
_TEAMS: Final = (
    "Platform Team|Mobile Squad|Payments Guild|Data Crew|Site Reliability|Frontend Chapter"
).split("|")
_COMPONENTS: Final = ("Backend", "Frontend", "API", "Infra", "Mobile", "Docs")
_LABELS: Final = "infra|backend|frontend|security|tech-debt|customer|performance|docs".split("|")
_VERBS: Final = (
    "Fix|Implement|Refactor|Investigate|Add|Remove|Update|Document|Migrate|Optimize"
).split("|")
_OBJECTS: Final = (
    "login timeout|payment webhook retries|search pagination|dashboard widgets|"
    "CI pipeline cache|user avatar upload|rate limiter|audit log export|dark mode|"
    "API error messages|SSO configuration|billing invoices|notification emails|"
    "mobile push tokens|feature flags"
).split("|")
_CONTEXTS: Final = "on mobile|for admins|in staging|in the public API|for EU tenants|".split("|")
_EPICS: Final = (
    "Q3 reliability|Self-serve onboarding|Billing revamp|Observability|Mobile v2|"
    "Search relevance|Accessibility audit|Data retention"
).split("|")
_SENTENCES: Final = (
    "Customers report intermittent failures.|"
    "Steps to reproduce are in the linked support ticket.|"
    "We should add metrics before changing behaviour.|"
    "The current implementation does not handle retries.|"
    "Acceptance criteria: covered by automated tests.|"
    "See the design doc for the proposed approach.|This blocks the next release."
).split("|")
_TYPE_WEIGHTS: Final = (("Epic", 8), ("Story", 30), ("Task", 30), ("Bug", 20), ("Sub-task", 12))
_PRIORITY_WEIGHTS: Final = (
    ("Highest", 5),
    ("High", 15),
    ("Medium", 50),
    ("Low", 20),
    ("Lowest", 10),
)

DAY: Final = timedelta(days=1)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _pick_weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([n for n, _ in table], weights=[w for _, w in table])[0]


def _day(when: datetime) -> str:
    return when.strftime("%Y-%m-%d")


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    if end <= start:
        return start
    seconds = rng.uniform(0, (end - start).total_seconds())
    return (start + timedelta(seconds=seconds)).replace(microsecond=rng.randrange(1000) * 1000)


def generate_dataset(config: SimConfig, *, now: datetime | None = None) -> Dataset:
    """A deterministic dataset: same ``seed``, sizes and ``now`` -> identical data.

    Dates are relative to ``now``; the default JQL
    ``(statusCategory != Done) OR (created >= -1w) OR (updated >= -1w)`` keeps about 69% of the
    issues (it drops the Done issues not touched in the last week).
    """
    # on Jira's clock, which runs `clock_offset_s` off this host's (the app keeps it so)
    now = (now or datetime.now(UTC) + timedelta(seconds=config.clock_offset_s)).replace(
        microsecond=0
    )
    rng = random.Random(config.seed)
    ds = Dataset(clock=lambda: now)
    _gen_users(ds, config, rng)
    _gen_projects(ds, config, rng, now)
    _gen_teams(ds, config, rng)
    _gen_issues(ds, config, rng, now)
    _gen_agile(ds, config, random.Random(f"agile-{config.seed}"))
    _gen_work(ds, config, random.Random(f"work-{config.seed}"), now)
    ds.clock = lambda: datetime.now(UTC)  # generated at ``now``, then the site runs live
    ds.version = 0
    return ds


def _gen_users(ds: Dataset, config: SimConfig, rng: random.Random) -> None:
    seen: set[str] = set()
    for i in range(config.users):
        if i == 0:
            account_id = f"712020:{_uuid(rng)}"
            ds.create_user("Demo User", account_id=account_id, email=config.email)
            ds.current_account_id = account_id
            continue
        is_app = i % 7 == 3
        if is_app:
            name = _APP_NAMES[(i // 7) % len(_APP_NAMES)]
            name = name if name not in seen else f"{name} {i}"
            seen.add(name)
            ds.create_user(name, account_id=f"557058:{_uuid(rng)}", account_type="app", active=True)
            continue
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        name = f"{first} {last}"
        if name in seen:
            name = f"{name} {i}"
        seen.add(name)
        hidden_email = i % 9 == 4
        ds.create_user(
            name,
            account_id=f"712020:{_uuid(rng)}",
            email=None if hidden_email else f"{first.lower()}.{last.lower()}{i}@example.com",
            active=i % 6 != 5,
            time_zone=rng.choice(_TIMEZONES),
        )


def _humans(ds: Dataset, *, active_only: bool) -> list[str]:
    """Account ids of the people (never empty: the first user is the demo user)."""
    return [
        u["accountId"]
        for u in ds.users.values()
        if u["accountType"] == "atlassian" and (u["active"] or not active_only)
    ]


def _gen_projects(ds: Dataset, config: SimConfig, rng: random.Random, now: datetime) -> None:
    leads = _humans(ds, active_only=True)
    for i in range(config.projects):
        key, name = _PROJECTS[i] if i < len(_PROJECTS) else (f"P{i + 1}", f"Project {i + 1}")
        ds.create_project(
            key,
            name,
            project_id=10000 + i,
            style="classic" if i % 4 == 3 else "next-gen",
            lead=rng.choice(leads),
            components=rng.sample(_COMPONENTS, k=2 + i % 2),
            versions=[
                {"name": "1.0", "released": True, "releaseDate": _day(now - 120 * DAY)},
                {"name": "1.1", "released": True, "releaseDate": _day(now - 30 * DAY)},
                {"name": "2.0", "released": False},
            ],
        )
        board = ds.projects[key].board_id
        # 4 closed two-week sprints, 1 active (started 5 days ago), 1 future
        active_start = now - 5 * DAY
        for n in range(6):
            start = active_start + (n - 4) * 14 * DAY
            end = start + 14 * DAY
            state = "closed" if n < 4 else ("active" if n == 4 else "future")
            ds.add_sprint(
                f"Sprint {n + 1}",
                state=state,
                board_id=board,
                start=start if state != "future" else None,
                end=end if state != "future" else None,
                complete=end + timedelta(hours=3) if state == "closed" else None,
                goal="" if n % 2 else f"{name} sprint goal {n + 1}",
            )


def _gen_teams(ds: Dataset, config: SimConfig, rng: random.Random) -> None:
    members_pool = _humans(ds, active_only=True)
    for i in range(config.teams):
        name = _TEAMS[i] if i < len(_TEAMS) else f"Team {i + 1}"
        k = min(config.members_per_team, len(members_pool))
        ds.create_team(
            name,
            team_id=_uuid(rng),
            description=f"The {name}.",
            members=rng.sample(members_pool, k=k),
            org_id=config.org_id,
        )


def _gen_issues(ds: Dataset, config: SimConfig, rng: random.Random, now: datetime) -> None:
    n = config.issues
    if n == 0 or not ds.projects:
        return
    n_done = round(n * 0.45)
    n_ind = round(n * 0.25)
    cats = ["done"] * n_done + ["indeterminate"] * n_ind + ["new"] * (n - n_done - n_ind)
    rng.shuffle(cats)
    done_idx = [i for i, c in enumerate(cats) if c == "done"]
    rng.shuffle(done_idx)
    recent_done = set(done_idx[: round(len(done_idx) * 0.3)])

    plans: list[dict[str, Any]] = []
    for i, cat in enumerate(cats):
        if cat == "done" and i not in recent_done:
            created = now - timedelta(seconds=rng.uniform(10 * 86400, 365 * 86400))
            updated = _between(rng, created + DAY / 2, now - 8 * DAY)
        elif cat == "done":
            created = now - timedelta(seconds=rng.uniform(8 * 86400, 120 * 86400))
            updated = now - timedelta(seconds=rng.uniform(0.1 * 86400, 6 * 86400))
        else:
            created = now - timedelta(seconds=rng.uniform(0, 200 * 86400))
            updated = _between(rng, created, now)
        created = created.replace(microsecond=rng.randrange(1000) * 1000)
        plans.append(
            {"cat": cat, "recent": i in recent_done, "created": created, "updated": updated}
        )
    plans.sort(key=lambda p: p["created"])

    project_keys = list(ds.projects)
    weights = [len(project_keys) - j + 1 for j in range(len(project_keys))]
    for j, plan in enumerate(plans):
        plan["project"] = project_keys[0] if j == 0 else rng.choices(project_keys, weights)[0]

    actives = _humans(ds, active_only=True)
    everyone = _humans(ds, active_only=False)
    epics: dict[str, list[str]] = {k: [] for k in project_keys}
    standard: dict[str, list[str]] = {k: [] for k in project_keys}
    counters: dict[str, int] = dict.fromkeys(project_keys, 0)

    for j, plan in enumerate(plans):
        pkey: str = plan["project"]
        counters[pkey] += 1
        number = counters[pkey]
        key = f"{pkey}-{number}"
        itype = _pick_weighted(rng, _TYPE_WEIGHTS)
        parent: str | None = None
        if itype == "Sub-task":
            if standard[pkey]:
                parent = rng.choice(standard[pkey])
            else:
                itype = "Task"
        elif itype != "Epic" and epics[pkey] and rng.random() < 0.5:
            parent = rng.choice(epics[pkey])
        if key == "PA-1":
            itype, parent = "Task", None
        fields = _issue_fields(ds, rng, plan, itype, actives, everyone, pkey, now)
        if key == "PA-1":
            fields["summary"] = "Setup infra"
            fields["labels"] = ["infra"]
        if parent:
            fields["parent"] = parent
        rec = ds.create_issue_record(
            pkey,
            fields,
            issue_id=10000 + j,
            number=number,
            changelog=_history(ds, rng, plan, fields),
        )
        if itype == "Epic":
            epics[pkey].append(rec.key)
        elif itype != "Sub-task":
            standard[pkey].append(rec.key)


def _issue_fields(
    ds: Dataset,
    rng: random.Random,
    plan: dict[str, Any],
    itype: str,
    actives: list[str],
    everyone: list[str],
    pkey: str,
    now: datetime,
) -> dict[str, Any]:
    cat: str = plan["cat"]
    created: datetime = plan["created"]
    updated: datetime = plan["updated"]
    if cat == "new":
        status = "To Do"
    elif cat == "indeterminate":
        status = "In Progress" if rng.random() < 0.7 else "In Review"
    else:
        status = "Done"
    if itype == "Epic":
        summary = f"Epic: {rng.choice(_EPICS)}"
    else:
        ctx = rng.choice(_CONTEXTS)
        summary = f"{rng.choice(_VERBS)} {rng.choice(_OBJECTS)}" + (f" {ctx}" if ctx else "")
    reporter = rng.choice(everyone)
    project: ProjectRecord = ds.projects[pkey]
    fields: dict[str, Any] = {
        "summary": summary,
        "issuetype": itype,
        "status": status,
        "priority": _pick_weighted(rng, _PRIORITY_WEIGHTS),
        "created": created,
        "updated": updated,
        "reporter": reporter,
        "creator": reporter,
        "assignee": rng.choice(actives) if rng.random() < 0.8 else None,
        "labels": sorted(rng.sample(_LABELS, k=rng.choice((0, 0, 1, 1, 2)))),
        "components": [rng.choice(project.components)["name"]]
        if project.components and rng.random() < 0.4
        else [],
        "description": " ".join(rng.sample(_SENTENCES, k=rng.randint(1, 3)))
        if rng.random() < 0.8
        else None,
        "watches": {"watchCount": rng.randint(1, 4), "isWatching": rng.random() < 0.5},
        "votes": {"votes": rng.randint(0, 3), "hasVoted": False},
    }
    if cat == "done":
        fields["resolutiondate"] = updated
        fields["resolution"] = RESOLUTION_DONE
        fields["statuscategorychangedate"] = updated
    else:
        fields["statuscategorychangedate"] = _between(rng, created, updated)
    if rng.random() < 0.25:
        fields["duedate"] = _day(created + rng.randint(14, 60) * DAY)
    if cat == "done" and rng.random() < 0.4:
        fields["fixVersions"] = ["1.1" if updated > now - 30 * DAY else "1.0"]
    if itype == "Bug" and rng.random() < 0.3:
        fields["versions"] = ["1.0"]
    if itype == "Bug" and rng.random() < 0.4:
        fields["environment"] = "Production, Chrome 126 on macOS"
    if cat == "done" and rng.random() < 0.5:
        spent = rng.choice((3600, 7200, 14400, 28800))
        fields["timespent"] = spent
        fields["aggregatetimespent"] = spent
        fields["timeoriginalestimate"] = rng.choice((3600, 14400, 28800))
        fields["progress"] = {"progress": spent, "total": spent, "percent": 100}
        fields["aggregateprogress"] = dict(fields["progress"])
    if itype != "Epic" and rng.random() < 0.7:
        fields["sprint"] = _sprints_for(ds, rng, pkey, plan)
    comments = []
    for _ in range(rng.choice((0, 0, 1, 2, 3))):
        author = ds.users[rng.choice(everyone)]
        at = _between(rng, created, updated)
        comments.append(ds.new_comment(author, rng.choice(_SENTENCES), at))
    fields["comment"] = sorted(comments, key=lambda c: str(c["created"]))
    return fields


def _gen_agile(ds: Dataset, config: SimConfig, rng: random.Random) -> None:
    """Extra boards; component leads. Every project already has its scrum board."""
    keys = list(ds.projects)
    for project in ds.projects.values():
        for component in project.components:
            if project.lead and rng.random() < 0.5:
                ds.component_leads[str(component["id"])] = project.lead
    if not config.extra_boards or not keys:
        return
    if len(keys) >= 2:
        ds.add_board(
            f"Kanban: {keys[0]} + {keys[1]}",
            board_type="kanban",
            projects=keys[:2],
            board_id=1001,
            backlog=False,
        )
        shared = [
            int(s["id"])
            for s in ds.sprints.values()
            if s["state"] == "active"
            and s["boardId"] in (ds.projects[keys[0]].board_id, ds.projects[keys[1]].board_id)
        ]
        board = ds.add_board(
            f"Cross-team {keys[0]}/{keys[1]}",
            board_type="scrum",
            projects=keys[:2],
            board_id=1002,
            shared_sprints=sorted(shared),
        )
        now = ds.now()
        ds.add_sprint(
            "Cross-team sprint 1",
            state="active",
            board_id=board["id"],
            start=now - 2 * DAY,
            end=now + 12 * DAY,
            goal="Ship the shared work",
        )
        ds.add_sprint("Cross-team sprint 2", state="future", board_id=board["id"])
    ds.add_board(
        f"{keys[-1]} support",
        board_type="kanban",
        projects=keys[-1:],
        board_id=1003,
        backlog=True,
    )


def _gen_work(ds: Dataset, config: SimConfig, rng: random.Random, now: datetime) -> None:
    """Worklogs on issues (a few each), and many comments and worklogs on the newest issues."""
    people = _humans(ds, active_only=True)
    issues = sorted(ds.issues.values(), key=lambda r: r.id)
    for rec in issues:
        count = (
            rng.randint(0, config.max_worklogs_per_issue) if config.max_worklogs_per_issue else 0
        )
        created, updated = rec.dt("created"), rec.dt("updated")
        assert created is not None and updated is not None
        for _ in range(count):
            started = _between(rng, created, updated)
            ds.add_worklog(
                rec.key,
                seconds=rng.choice((900, 1800, 3600, 5400, 7200, 14400, 28800)),
                started=started,
                author=rng.choice(people),
                comment=rng.choice(_SENTENCES) if rng.random() < 0.6 else None,
                at=_between(rng, started, now),
            )
    for rec in issues[len(issues) - config.busy_issues :] if config.busy_issues else []:
        for n in range(config.busy_comments):
            ds.add_comment(
                rec.key,
                f"Comment {n + 1} on {rec.key}. {rng.choice(_SENTENCES)}",
                author=rng.choice(people),
                at=now - timedelta(minutes=10 * (config.busy_comments - n)),
                touch_issue=False,
            )
        for n in range(config.busy_worklogs):
            at = now - timedelta(minutes=5 * (config.busy_worklogs - n))
            ds.add_worklog(
                rec.key,
                seconds=rng.choice((900, 1800, 3600)),
                started=at - timedelta(hours=1),
                author=rng.choice(people),
                comment=f"Work session {n + 1}",
                at=at,
            )


def _sprints_for(
    ds: Dataset, rng: random.Random, pkey: str, plan: dict[str, Any]
) -> list[int] | None:
    board = ds.projects[pkey].board_id
    sprints = sorted(
        (s for s in ds.sprints.values() if s["boardId"] == board), key=lambda s: s["id"]
    )
    closed = [s["id"] for s in sprints if s["state"] == "closed"]
    active = [s["id"] for s in sprints if s["state"] == "active"]
    future = [s["id"] for s in sprints if s["state"] == "future"]
    if plan["cat"] == "done" and not plan["recent"]:
        if not closed:
            return None
        start = rng.randrange(len(closed))
        return closed[start : start + rng.randint(1, 2)]
    if plan["cat"] == "new":
        return future[:1] if future and rng.random() < 0.5 else None
    carried = closed[len(closed) - rng.randint(0, min(2, len(closed))) :] if closed else []
    return carried + active


def _history(
    ds: Dataset, rng: random.Random, plan: dict[str, Any], fields: dict[str, Any]
) -> list[JsonDict]:
    """Status transitions leading to the issue's current status."""
    status: str = fields["status"]
    created: datetime = plan["created"]
    updated: datetime = plan["updated"]
    author = ds.users[fields.get("assignee") or fields["reporter"]]
    steps: list[tuple[str, str, datetime]] = []
    if status != "To Do":
        started = _between(rng, created, created + (updated - created) * 0.5)
        steps.append(("To Do", "In Progress", started))
        if status == "In Review":
            steps.append(("In Progress", "In Review", updated))
        if status == "Done":
            steps.append(("In Progress", "Done", updated))
    return [
        ds.changelog_entry(author, at, [change_item("status", status_object(a), status_object(b))])
        for a, b, at in steps
    ]
