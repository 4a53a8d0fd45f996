"""Model-based convergence test of the whole sync (issue #21, "Trust").

Random histories of Jira changes (issues, comments, worklogs, projects, users, sprints:
create, update, delete, move between projects, leave and re-enter the JQL) on the unkind
simulator, each change's webhook delivered zero to three times, in any order, concurrently or
one by one, late (past the next resync) or replayed days later, with full and incremental
resyncs in between, all through the real integration (Ocean's harness, the webhook route's
signature gate and processors). After every step:

- no false delete: every delete Port receives is checked, when it arrives, against Jira's
  state: nothing Jira still has and the mapping selects is ever removed;
- live freshness: once the pending deliveries are settled, every object whose latest change
  had a delivery arrive (in time, not a replay) is in Port as Jira holds it (or absent, when
  Jira no longer has it or the mapping no longer selects it) — with live events only;
- convergence: after the deliveries settle and one full resync, Port equals what Jira selects,
  entity for entity and field for field.

CI runs a bounded, derandomized number of histories; `scripts/convergence` runs the long
search (CONVERGENCE_HISTORIES, CONVERGENCE_SEED) and prints each failure's seed and
`@reproduce_failure` blob.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from port_ocean.core.handlers.port_app_config.models import ResourceConfig
from port_ocean.core.handlers.webhook.webhook_event import EventPayload, WebhookEventRawResults

from jira.live_upserts import LIVE_UPSERTS
from jira.webhooks.processors import KindWebhookProcessor
from sandbox.jira_sim import control
from sandbox.jira_sim.app import SimState
from sandbox.jira_sim.webhooks import build_event
from tests.convergence.rig import JIRA, Delivery, Rig, new_identifier
from tests.convergence.site import SELECTED_PROJECTS, as_port_holds, expected_port, issue_selected

HISTORIES = int(os.environ.get("CONVERGENCE_HISTORIES", "0") or 0)  # set: the long search
STEPS = int(os.environ.get("CONVERGENCE_STEPS", "0") or 0) or 25  # steps a history at most
SHRINK = os.environ.get("CONVERGENCE_SHRINK", "") == "1"  # the long search's failures: shrink
TALLY = os.environ.get("CONVERGENCE_TALLY")  # a file that gets one line per history run
CI_HISTORIES = 20

settings.register_profile(
    "convergence-ci",
    max_examples=CI_HISTORIES,
    stateful_step_count=STEPS,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)
settings.register_profile(
    "convergence-long",
    max_examples=HISTORIES or 2000,
    stateful_step_count=STEPS,
    derandomize=False,  # pytest's --hypothesis-seed picks the histories
    database=None,
    deadline=None,
    # Unshrunk by default: a search keeps going, and `--hypothesis-seed` with
    # CONVERGENCE_SHRINK=1 shrinks a failure found.
    phases=(Phase.explicit, Phase.generate, *((Phase.shrink,) if SHRINK else ())),
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)

Obj = tuple[str, str]  # (kind, stable id): ("issue", "10003"), ("user", accountId), ...
STATUSES = ("To Do", "In Progress", "Done")
PROJECTS = st.sampled_from(["PA", "PLAT", "MOB", "NEW"])
PICK = st.integers(0, 50)  # an index into what exists, modulo its length
COPIES = st.sampled_from([0, 1, 1, 1, 2, 3])  # deliveries of one event: mostly one


@dataclass(frozen=True)
class Pending:
    """A delivery Jira will make: the event of a change to `obj`."""

    payload: dict[str, Any]
    identifier: str
    obj: Obj
    moved_from: str | None = None  # a move's event: the key it makes obsolete


@dataclass
class Books:
    """What the model knows besides Jira's state: when each object last changed (a step
    number), and the step by which a delivery about it was processed after that."""

    step: int = 0
    changed: dict[Obj, int] = field(default_factory=dict)
    delivered: dict[Obj, int] = field(default_factory=dict)
    issue_keys: dict[str, str] = field(default_factory=dict)  # issue id -> its latest key
    # Keys left by moves whose event was delivered: Port must not hold them any more.
    obsolete_keys: set[str] = field(default_factory=set)
    # Sprints whose board went with its project: Jira still answers GET /sprint/{id} for them
    # but lists them on no board, so a live event may bring one back to Port that the next full
    # resync removes. Live freshness makes no claim about them; convergence does.
    orphans: set[Obj] = field(default_factory=set)

    def change(self, *objs: Obj) -> None:
        self.step += 1
        for obj in objs:
            self.changed[obj] = self.step

    def fresh(self) -> Iterator[Obj]:
        for obj, at in self.changed.items():
            if self.delivered.get(obj, -1) >= at:
                yield obj


class ConvergenceMachine(RuleBasedStateMachine):
    rig: Rig  # set by the test

    def __init__(self) -> None:
        super().__init__()
        self.violations: list[str] = []
        self.broken = False
        self.sim: SimState = self.rig.reset(self._judge_delete)
        self.pending: list[Pending] = []  # deliveries Jira will make
        self.arrived: list[Pending] = []  # deliveries made, which may be replayed
        self.identifiers: set[str] = set()  # of the deliveries that arrived
        self.books = Books()
        for rec in self.sim.dataset.issues.values():
            self.books.issue_keys[str(rec.id)] = rec.key
        if TALLY:
            with open(TALLY, "a") as tally:
                tally.write("history\n")

    # ------------------------------------------------------------------ the three invariants
    def _judge_delete(self, blueprint: str, identifier: str) -> None:
        """Port was asked to delete this entity: Jira must not have it selected right now."""
        selected = expected_port(self.sim.dataset).get(blueprint, {})
        if identifier in selected:
            self.violations.append(
                f"no false delete: {blueprint} {identifier} deleted from Port while Jira has it and the mapping "
                f"selects it ({selected[identifier]})"
            )

    @invariant()
    def invariants_hold(self) -> None:
        assert not self.violations, "\n".join(self.violations)

    def _port_entity(self, blueprint: str, identifier: str) -> dict[str, Any] | None:
        return self.rig.port.entities.get((blueprint, identifier))

    def _entity_of(self, obj: Obj) -> tuple[str, str]:
        kind, ref = obj
        if kind == "issue":
            return "jiraIssue", self.books.issue_keys[ref]
        blueprint = {
            "comment": "jiraComment",
            "worklog": "jiraWorklog",
            "project": "jiraProject",
            "user": "jiraUser",
            "sprint": "jiraSprint",
        }[kind]
        return blueprint, ref

    def check_fresh(self) -> None:
        expected = expected_port(self.sim.dataset)
        stale = []
        for obj in self.books.fresh():
            if obj in self.books.orphans:
                continue
            blueprint, identifier = self._entity_of(obj)
            want = expected[blueprint].get(identifier)
            have = self._port_entity(blueprint, identifier)
            if want is None and have is not None:
                stale.append(f"{blueprint} {identifier}: in Port, but Jira does not select it")
            elif want is not None and have is None:
                stale.append(f"{blueprint} {identifier}: missing from Port; Jira has {want}")
            elif want is not None and have is not None and as_port_holds(have, want) != want:
                stale.append(
                    f"{blueprint} {identifier}: Port has {as_port_holds(have, want)}, Jira {want}"
                )
        for key in sorted(self.books.obsolete_keys):
            if self._port_entity("jiraIssue", key) is not None:
                stale.append(f"jiraIssue {key}: in Port after the move's event was delivered")
        self.violations += [f"live freshness: {problem}" for problem in stale]

    def check_converged(self) -> None:
        expected = expected_port(self.sim.dataset)
        held = self.rig.port.by_blueprint()
        differences = []
        for blueprint, want in expected.items():
            have = held.get(blueprint, {})
            for identifier in sorted(set(want) | set(have)):
                if identifier not in have:
                    differences.append(f"{blueprint} {identifier} missing from Port")
                elif identifier not in want:
                    differences.append(f"{blueprint} {identifier} in Port, not selected in Jira")
                elif as_port_holds(have[identifier], want[identifier]) != want[identifier]:
                    differences.append(
                        f"{blueprint} {identifier}: Port has "
                        f"{as_port_holds(have[identifier], want[identifier])}, "
                        f"Jira {want[identifier]}"
                    )
        self.violations += [f"convergence: {problem}" for problem in differences]

    # ------------------------------------------------------------------ Jira changes
    def _jira(
        self,
        handler: control.Handler,
        params: dict[str, str],
        body: dict[str, Any],
        copies: int,
        obj: Obj | Callable[[Any], Obj],
        also: tuple[Obj, ...] = (),
        moved_from: str | None = None,
    ) -> Any:
        """Apply one change through the simulator's control API and queue `copies`
        deliveries of the event it causes (Jira's retries carry one identifier). `obj`: what
        the change is about (or how to tell from the answer); `also`: what it changes with no
        event of its own."""
        answer, event, refs = handler(self.sim, params, body)
        about = obj(answer) if callable(obj) else obj
        self.books.change(about, *also)
        if event is not None:
            payload = build_event(self.sim.dataset, event, base_url=JIRA, **refs)
            self.pending += [Pending(payload, new_identifier(), about, moved_from)] * copies
        return answer

    def _pick(self, items: list[Any], n: int) -> Any:
        return items[n % len(items)]

    def _issue(self, n: int) -> tuple[str, Obj]:
        """The n-th issue (modulo): its key and object."""
        rec = self._pick(sorted(self.sim.dataset.issues.values(), key=lambda r: r.id), n)
        return rec.key, ("issue", str(rec.id))

    def _dependents(self, key: str) -> tuple[Obj, ...]:
        """The comments and worklogs of an issue: they leave or enter the selection with it,
        and no event of theirs says so."""
        ds = self.sim.dataset
        rec = ds.get_issue(key)
        assert rec is not None
        comments = [("comment", str(c["id"])) for c in ds.issue_comments(rec)]
        worklogs = [("worklog", str(w["id"])) for w in ds.issue_worklogs(rec)]
        return tuple(comments + worklogs)

    def _comments(self) -> list[tuple[str, str]]:
        ds = self.sim.dataset
        return sorted(
            (rec.key, str(c["id"])) for rec in ds.issues.values() for c in ds.issue_comments(rec)
        )

    def _has_issues(self) -> bool:
        return bool(self.sim.dataset.issues)

    @rule(project=PROJECTS, status=st.sampled_from(STATUSES), copies=COPIES)
    def create_issue(self, project: str, status: str, copies: int) -> None:
        if project not in self.sim.dataset.projects:
            return
        body = {"project": project, "summary": f"new in {project}", "status": status}
        answer = self._jira(control.create_issue, {}, body, copies, _issue_of)
        self.books.issue_keys[str(answer["id"])] = str(answer["key"])

    @precondition(_has_issues)
    @rule(n=PICK, summary=st.sampled_from(["alpha", "beta"]), copies=COPIES)
    def rename_issue(self, n: int, summary: str, copies: int) -> None:
        key, obj = self._issue(n)
        self._jira(control.update_issue, {"key": key}, {"summary": summary}, copies, obj)

    @precondition(_has_issues)
    @rule(n=PICK, status=st.sampled_from(STATUSES), copies=COPIES)
    def change_status(self, n: int, status: str, copies: int) -> None:
        """Done leaves the JQL; back to To Do re-enters it."""
        key, obj = self._issue(n)
        also = self._dependents(key)
        self._jira(control.update_issue, {"key": key}, {"status": status}, copies, obj, also)

    @precondition(_has_issues)
    @rule(n=PICK, user=st.integers(0, 10), copies=COPIES)
    def assign_issue(self, n: int, user: int, copies: int) -> None:
        key, obj = self._issue(n)
        account = None if user == 0 else self._pick(sorted(self.sim.dataset.users), user)
        self._jira(control.update_issue, {"key": key}, {"assignee": account}, copies, obj)

    @precondition(_has_issues)
    @rule(n=PICK, project=PROJECTS, copies=COPIES)
    def move_issue(self, n: int, project: str, copies: int) -> None:
        """A move gives the issue a new key; into MOB (or a new project) it leaves the JQL."""
        key, obj = self._issue(n)
        rec = self.sim.dataset.get_issue(key)
        assert rec is not None
        if project == rec.project_key or project not in self.sim.dataset.projects:
            return
        if rec.fields.get("parent") or rec.fields.get("subtasks"):
            return  # Jira moves sub-tasks with their parent
        also = self._dependents(key)
        answer = self._jira(
            control.move_issue, {"key": key}, {"project": project}, copies, obj, also
        )
        self.books.issue_keys[obj[1]] = str(answer["key"])

    @precondition(_has_issues)
    @rule(n=PICK, copies=COPIES)
    def delete_issue(self, n: int, copies: int) -> None:
        """Its sub-tasks go with it, and its comments and worklogs, with no event of their
        own."""
        key, obj = self._issue(n)
        ds = self.sim.dataset
        subtasks = [
            rec
            for rec in ds.issues.values()
            if rec.fields["issuetype"].get("subtask")
            and (rec.fields.get("parent") or {}).get("key") == key
        ]
        also = [*self._dependents(key)]
        for rec in subtasks:
            also += [("issue", str(rec.id)), *self._dependents(rec.key)]
        self._jira(control.delete_issue, {"key": key}, {}, copies, obj, tuple(also))

    @precondition(_has_issues)
    @rule(n=PICK, text=st.sampled_from(["hello", "LGTM"]), copies=COPIES)
    def add_comment(self, n: int, text: str, copies: int) -> None:
        key, _ = self._issue(n)
        self._jira(control.create_comment, {"key": key}, {"body": text}, copies, _comment_of)

    @precondition(lambda self: self._comments())
    @rule(n=PICK, text=st.sampled_from(["edited", "done now"]), copies=COPIES)
    def edit_comment(self, n: int, text: str, copies: int) -> None:
        key, comment_id = self._pick(self._comments(), n)
        params, obj = {"key": key, "id": comment_id}, ("comment", comment_id)
        self._jira(control.update_comment, params, {"body": text}, copies, obj)

    @precondition(lambda self: self._comments())
    @rule(n=PICK, copies=COPIES)
    def delete_comment(self, n: int, copies: int) -> None:
        key, comment_id = self._pick(self._comments(), n)
        params, obj = {"key": key, "id": comment_id}, ("comment", comment_id)
        self._jira(control.delete_comment, params, {}, copies, obj)

    @precondition(_has_issues)
    @rule(n=PICK, minutes=st.sampled_from([15, 90]), copies=COPIES)
    def log_work(self, n: int, minutes: int, copies: int) -> None:
        key, _ = self._issue(n)
        body = {"seconds": minutes * 60}
        self._jira(control.create_worklog, {"key": key}, body, copies, _worklog_of)

    @precondition(lambda self: self.sim.dataset.worklogs)
    @rule(n=PICK, minutes=st.sampled_from([30, 120]), copies=COPIES)
    def change_worklog(self, n: int, minutes: int, copies: int) -> None:
        worklog_id = str(self._pick(sorted(self.sim.dataset.worklogs), n))
        params, obj = {"id": worklog_id}, ("worklog", worklog_id)
        self._jira(control.update_worklog, params, {"seconds": minutes * 60}, copies, obj)

    @precondition(lambda self: self.sim.dataset.worklogs)
    @rule(n=PICK, copies=COPIES)
    def delete_worklog(self, n: int, copies: int) -> None:
        worklog_id = str(self._pick(sorted(self.sim.dataset.worklogs), n))
        self._jira(control.delete_worklog, {"id": worklog_id}, {}, copies, ("worklog", worklog_id))

    @rule(key=st.sampled_from(["NEW", "OPS"]), copies=COPIES)
    def create_project(self, key: str, copies: int) -> None:
        ds = self.sim.dataset
        if key in ds.projects or key in ds.deleted_projects:
            return  # a key once used stays taken
        body = {"key": key, "name": f"{key} project"}
        self._jira(control.create_project, {}, body, copies, ("project", key))

    @precondition(lambda self: self.sim.dataset.projects)
    @rule(n=PICK, name=st.sampled_from(["Renamed", "Platform 2"]), copies=COPIES)
    def rename_project(self, n: int, name: str, copies: int) -> None:
        key = self._pick(sorted(self.sim.dataset.projects), n)
        self._jira(control.update_project, {"key": key}, {"name": name}, copies, ("project", key))

    def _unselected_projects(self) -> list[str]:
        return sorted(set(self.sim.dataset.projects) - set(SELECTED_PROJECTS))

    @precondition(lambda self: bool(self._unselected_projects()))
    @rule(n=PICK, copies=COPIES)
    def delete_project(self, n: int, copies: int) -> None:
        """Its issues (with their comments and worklogs), its board and sprints go too, with
        no event of their own. (Not a project the JQL names: Jira would refuse the JQL, and a
        kind that cannot be read deletes nothing, by design.)"""
        ds = self.sim.dataset
        key = self._pick(self._unselected_projects(), n)
        also: list[Obj] = []
        for rec in [rec for rec in ds.issues.values() if rec.project_key == key]:
            also += [("issue", str(rec.id)), *self._dependents(rec.key)]
        for board in ds.boards.values():
            if board["projects"] == [key]:
                orphans = [("sprint", str(s["id"])) for s in ds.board_sprints(board)]
                self.books.orphans.update(orphans)
                also += orphans
        self._jira(control.delete_project, {"key": key}, {}, copies, ("project", key), tuple(also))

    @rule(name=st.sampled_from(["Ada Lovelace", "Alan Turing"]), copies=COPIES)
    def create_user(self, name: str, copies: int) -> None:
        self._jira(control.create_user, {}, {"displayName": name}, copies, _user_of)

    @rule(
        n=PICK,
        name=st.sampled_from(["Grace Hopper", "Renamed"]),
        active=st.booleans(),
        copies=COPIES,
    )
    def update_user(self, n: int, name: str, active: bool, copies: int) -> None:
        account_id = self._pick(sorted(self.sim.dataset.users), n)
        body, obj = {"displayName": name, "active": active}, ("user", account_id)
        self._jira(control.update_user, {"accountId": account_id}, body, copies, obj)

    @precondition(lambda self: self.sim.dataset.boards)
    @rule(n=PICK, state=st.sampled_from(["active", "future"]), copies=COPIES)
    def create_sprint(self, n: int, state: str, copies: int) -> None:
        board_id = self._pick(sorted(self.sim.dataset.boards), n)
        body = {"name": "Sprint X", "state": state, "boardId": board_id}
        self._jira(control.create_sprint, {}, body, copies, _sprint_of)

    def _sprints(self) -> list[int]:
        """Sprints of a board that exists (a deleted project's board takes its sprints out of
        Jira's lists; nobody changes them any more)."""
        ds = self.sim.dataset
        return sorted(s["id"] for s in ds.sprints.values() if s["boardId"] in ds.boards)

    @precondition(lambda self: bool(self._sprints()))
    @rule(n=PICK, state=st.sampled_from(["active", "closed", "future"]), copies=COPIES)
    def change_sprint(self, n: int, state: str, copies: int) -> None:
        sprint_id = str(self._pick(self._sprints(), n))
        params, obj = {"id": sprint_id}, ("sprint", sprint_id)
        self._jira(control.update_sprint, params, {"state": state}, copies, obj)

    @precondition(lambda self: bool(self._sprints()))
    @rule(n=PICK, copies=COPIES)
    def delete_sprint(self, n: int, copies: int) -> None:
        sprint_id = str(self._pick(self._sprints(), n))
        self._jira(control.delete_sprint, {"id": sprint_id}, {}, copies, ("sprint", sprint_id))

    # ------------------------------------------------------------------ deliveries and resyncs
    def _integration[T](self, action: Callable[[], T]) -> T:
        """Runs the integration; an exception it raises ends the history (teardown then
        checks nothing more)."""
        try:
            return action()
        except BaseException:
            self.broken = True
            raise

    def _deliver(self, batch: list[Pending], concurrently: bool, replay: bool = False) -> None:
        step = self.books.step
        deliveries = [Delivery.of(p.payload, p.identifier, replay) for p in batch]
        statuses = self._integration(lambda: self.rig.deliver(deliveries, concurrently))
        if statuses != [200] * len(statuses):
            self.violations.append(f"the webhook route answered {statuses}")
        if replay:
            return  # ignored as too old (or as a duplicate): no claim
        self.arrived += batch
        for pending in batch:
            if pending.identifier in self.identifiers:
                continue  # Jira's retry of a delivery that arrived: a duplicate, no news
            self.identifiers.add(pending.identifier)
            self.books.delivered[pending.obj] = step
            if pending.moved_from:
                self.books.obsolete_keys.add(pending.moved_from)

    @precondition(lambda self: self.pending)
    @rule(n=PICK)
    def deliver_one(self, n: int) -> None:
        """Any pending delivery: the others wait (reordered, delayed past what follows)."""
        self._deliver([self.pending.pop(n % len(self.pending))], concurrently=False)

    @precondition(lambda self: self.arrived)
    @rule(n=PICK)
    def replay_days_later(self, n: int) -> None:
        """A delivery that arrived, sent again days later (the same signed event, its
        identifier and timestamp): it must change nothing."""
        self._deliver([self._pick(self.arrived, n)], concurrently=False, replay=True)

    @precondition(lambda self: self.pending)
    @rule(n=PICK)
    def lose_one(self, n: int) -> None:
        """Jira gives up on a delivery (the change may still have other copies pending)."""
        self.pending.pop(n % len(self.pending))

    @rule(order=st.randoms(use_true_random=False), concurrently=st.booleans())
    def settle(self, order: random.Random, concurrently: bool) -> None:
        """Every pending delivery arrives, in any order; then live freshness must hold."""
        batch = list(self.pending)
        order.shuffle(batch)
        self.pending.clear()
        self._deliver(batch, concurrently)
        self.check_fresh()

    @rule()
    def full_resync(self) -> None:
        result = self._integration(self.rig.full_resync)
        if result.errors:
            self.violations.append(f"a full resync failed: {result.errors}")
        # Freshness is a claim about live events only: it starts again from here.
        self.books.delivered.clear()
        self.books.changed.clear()
        self.books.obsolete_keys.clear()

    @rule()
    def incremental_resync(self) -> None:
        self._integration(self.rig.incremental_resync)

    @rule(order=st.randoms(use_true_random=False))
    def converge(self, order: random.Random) -> None:
        """Deliveries settle, one full resync: Port equals what Jira selects."""
        self.settle(order, concurrently=False)
        # Jira's search index lags writes (search_lag_s); a resync during the lag reads the
        # state the index still holds (stale, never a false delete). Convergence is of the
        # resync after it caught up: the model waits the lag out.
        self.sim.dataset.unindexed.clear()
        # ... and past the margin in which a resync keeps what live events just wrote
        # (jira.live_upserts): the entities the index may not have shown it yet.
        LIVE_UPSERTS.forget()
        self.full_resync()
        self.check_converged()

    def teardown(self) -> None:
        """Every history ends converged (unless it already failed)."""
        if not self.violations and not self.broken:
            self.converge(random.Random(0))
            assert not self.violations, self.violations


def _issue_of(answer: Any) -> Obj:
    return ("issue", str(answer["id"]))


def _comment_of(answer: Any) -> Obj:
    return ("comment", str(answer["id"]))


def _worklog_of(answer: Any) -> Obj:
    return ("worklog", str(answer["id"]))


def _user_of(answer: Any) -> Obj:
    return ("user", str(answer["accountId"]))


def _sprint_of(answer: Any) -> Obj:
    return ("sprint", str(answer["id"]))


@pytest.fixture(scope="module")
def rig() -> Iterator[Rig]:
    started = Rig()
    started.start()
    yield started
    started.stop()


def test_random_histories_converge(rig: Rig) -> None:
    ConvergenceMachine.rig = rig
    profile = "convergence-long" if HISTORIES else "convergence-ci"
    run_state_machine_as_test(ConvergenceMachine, settings=settings.get_profile(profile))


def test_the_histories_catch_live_events_that_never_remove_anything(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same machine against a broken integration (its processors keep what left Jira or
    the selector) must fail: the invariants can see what a user would."""
    handle_event = KindWebhookProcessor.handle_event

    async def never_removes(
        self: KindWebhookProcessor, payload: EventPayload, resource: ResourceConfig
    ) -> WebhookEventRawResults:
        results = await handle_event(self, payload, resource)
        return WebhookEventRawResults(
            updated_raw_results=results.updated_raw_results, deleted_raw_results=[]
        )

    monkeypatch.setattr(KindWebhookProcessor, "handle_event", never_removes)
    ConvergenceMachine.rig = rig
    broken = settings(settings.get_profile("convergence-ci"), phases=(Phase.generate,))
    with pytest.raises(AssertionError, match=r"live freshness: .* in Port, but Jira does not"):
        run_state_machine_as_test(ConvergenceMachine, settings=broken)


def test_a_comment_whose_issue_leaves_and_reenters_the_jql_comes_back_with_its_next_event(
    rig: Rig,
) -> None:
    """The long search's failure at seed 3 (before 82aa849): a removal stamped with
    the integration's clock made every later state of the comment, whose Jira `updated` is
    older, look stale, so it stayed out of Port until the next full resync."""
    ConvergenceMachine.rig = rig
    machine = ConvergenceMachine()
    ds = machine.sim.dataset
    issues = sorted(ds.issues.values(), key=lambda rec: rec.id)
    n = next(i for i, rec in enumerate(issues) if issue_selected(rec))
    machine.add_comment(n, "hello", copies=1)
    comment = (issues[n].key, str(ds.issue_comments(issues[n])[-1]["id"]))
    machine.edit_comment(machine._comments().index(comment), "edited", copies=1)
    machine.change_status(n, "Done", copies=0)  # the issue, and so its comment, leave the JQL
    machine.deliver_one(0)  # comment_created arrives: Jira no longer selects the comment
    machine.change_status(n, "To Do", copies=0)  # both are back
    machine.settle(random.Random(0), concurrently=False)  # comment_updated arrives
    assert not machine.violations, machine.violations
