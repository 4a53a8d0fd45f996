"""Faults (sandbox/jira_sim/faults.py): 429 (random, burst), 5xx, fail_paths, timeouts,
malformed bodies, latency."""

from __future__ import annotations

import json
import time
from datetime import datetime

import pytest

from sandbox.jira_sim import SimConfig, create_app
from tests.sandbox.support import asgi_client, sim_state

PROJECTS = "/rest/api/3/project/search"


def _iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def test_random_429_headers_and_determinism() -> None:
    async def run() -> list[tuple[int, str | None, str | None]]:
        async with asgi_client(config=SimConfig(issues=1, rate_429=1.0, fault_seed=7)) as c:
            out = []
            for _ in range(40):
                r = await c.get(PROJECTS)
                out.append(
                    (r.status_code, r.headers.get("Retry-After"), r.headers.get("RateLimit-Reason"))
                )
                if r.headers.get("RateLimit-Reason"):
                    assert r.headers["RateLimit-Reason"] == "jira-burst-based"
                    assert r.headers["X-RateLimit-Remaining"] == "0"
                    assert int(r.headers["X-RateLimit-Limit"]) > 0
                    assert _iso(r.headers["X-RateLimit-Reset"]).tzinfo is not None
                assert r.json()["errorMessages"]
            return out

    first = await run()
    assert {status for status, _, _ in first} == {429}
    with_retry = sum(1 for _, retry, _ in first if retry == "1")
    assert 10 <= with_retry <= 30  # about half carry Retry-After
    assert any(reason is None for _, _, reason in first)  # some carry no rate-limit headers
    assert await run() == first  # same fault_seed, same sequence


async def test_fault_rng_does_not_touch_sim_routes() -> None:
    async with asgi_client(config=SimConfig(issues=1, rate_5xx=1.0)) as c:
        assert (await c.get("/_sim/stats")).status_code == 200
        r = await c.get(PROJECTS)
        assert r.status_code in (500, 502, 503) and r.json()["errorMessages"]
        if r.status_code == 503:
            assert r.headers["Retry-After"] == "1"


async def test_burst_limit_is_per_endpoint_and_method() -> None:
    async with asgi_client(config=SimConfig(issues=1, burst_limit_rps=5)) as c:
        statuses = [(await c.get(PROJECTS)).status_code for _ in range(8)]
        assert statuses[:5] == [200] * 5 and 429 in statuses[5:]
        r = await c.get(PROJECTS)
        assert r.status_code == 429
        assert r.headers["Retry-After"] == "1"
        assert r.headers["RateLimit-Reason"] == "jira-burst-based"
        assert r.headers["X-RateLimit-Limit"] == "5"
        assert r.headers["X-RateLimit-Remaining"] == "0"
        assert _iso(r.headers["X-RateLimit-Reset"]) > datetime.now(
            _iso(r.headers["X-RateLimit-Reset"]).tzinfo
        )
        ok = await c.get("/rest/api/3/users/search")  # another endpoint has its own bucket
        assert ok.status_code == 200
        stats = sim_state(c).stats.snapshot()
        assert stats["by_status"]["429"] >= 3
        assert stats["faults"]["burst"] >= 3


async def test_fail_paths_switched_on_at_runtime() -> None:
    async with asgi_client(config=SimConfig(issues=3)) as c:
        assert (await c.get(PROJECTS)).status_code == 200
        r = await c.patch("/_sim/config", json={"fail_paths": [r"^/rest/api/3/project"]})
        assert r.status_code == 200
        r = await c.get(PROJECTS)
        assert r.status_code == 500 and r.json()["errorMessages"] and r.json()["errors"] == {}
        assert (await c.get("/rest/api/3/project/PA")).status_code == 500
        assert (await c.get("/rest/api/3/users/search")).status_code == 200
        assert (await c.get("/_sim/stats")).status_code == 200
        await c.patch("/_sim/config", json={"fail_paths": []})
        assert (await c.get(PROJECTS)).status_code == 200


async def test_fail_paths_apply_under_the_gateway_prefix_too() -> None:
    app = create_app(SimConfig(issues=1, fail_paths=["^/rest/api/3/issue/"]))
    async with asgi_client(app, auth="bearer", gateway=True) as c:
        assert (await c.get("/rest/api/3/issue/PA-1")).status_code == 500


async def test_malformed_body_is_not_json() -> None:
    async with asgi_client(config=SimConfig(issues=5, malformed_paths=["/search/jql$"])) as c:
        r = await c.post("/rest/api/3/search/jql", json={"jql": "project = PA", "fields": ["*all"]})
        assert r.status_code == 200
        assert r.headers["content-length"] == str(len(r.content))
        with pytest.raises(json.JSONDecodeError):
            json.loads(r.content)


async def test_timeout_sleeps_before_answering() -> None:
    async with asgi_client(config=SimConfig(issues=1, rate_timeout=1.0, timeout_sleep_s=0.3)) as c:
        start = time.perf_counter()
        r = await c.get(PROJECTS)
        assert time.perf_counter() - start >= 0.3 and r.status_code == 200


async def test_latency_and_per_item_cost() -> None:
    async with asgi_client(config=SimConfig(issues=20, latency_ms=30, per_item_ms=5)) as c:
        start = time.perf_counter()
        await c.get("/_sim/stats")
        assert time.perf_counter() - start < 0.03  # /_sim is exempt
        start = time.perf_counter()
        r = await c.post("/rest/api/3/search/jql", json={"jql": "project = PA"})
        assert time.perf_counter() - start >= 0.03  # id-only: no per-item cost
        n_ids = len(r.json()["issues"])
        start = time.perf_counter()
        r = await c.post(
            "/rest/api/3/search/jql", json={"jql": "project = PA", "fields": ["summary"]}
        )
        n = len(r.json()["issues"])
        assert n == n_ids and time.perf_counter() - start >= 0.03 + n * 0.005
        stats = sim_state(c).stats.snapshot()
        assert stats["issues_returned"] == n and stats["items_returned"] == 2 * n
