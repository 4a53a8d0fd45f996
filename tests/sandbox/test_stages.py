"""The benchmark's stage breakdown, read from Ocean's phase log lines."""

from __future__ import annotations

from sandbox.stages import STAGES, first_log_time, reads_by_endpoint, stage_seconds, timeline

# Ocean's INFO lines (shape as the integration prints them), one kind with two batches.
LOG = """\
2026-11-30 02:50:00.000 | INFO     | Registering resync event listener for kind issue
2026-11-30 02:50:01.000 | INFO     | Starting processing resource issue with index 0
2026-11-30 02:50:01.250 | INFO     | Extract phase complete
2026-11-30 02:50:02.000 | INFO     | Starting transform phase
2026-11-30 02:50:02.500 | WARNING  | Unable to find valid data for: 'properties.x': .x (null)
2026-11-30 02:50:03.000 | INFO     | Transform phase complete
2026-11-30 02:50:03.000 | INFO     | Starting load phase
2026-11-30 02:50:04.500 | INFO     | Upserting changed entities
2026-11-30 02:50:05.000 | INFO     | Load phase complete
2026-11-30 02:50:07.000 | INFO     | Starting transform phase
2026-11-30 02:50:07.500 | INFO     | Starting load phase
2026-11-30 02:50:08.000 | INFO     | Entities in batch didn't change since last sync, skipping
2026-11-30 02:50:08.100 | INFO     | Load phase complete
2026-11-30 02:50:08.200 | INFO     | Finished registering kind: issue-0 ,10 entities out of 10 raw results
INFO:     Shutting down
2026-11-30 02:50:08.500 | INFO     | Starting reconciliation phase
2026-11-30 02:50:09.000 | INFO     | Reconciliation phase complete
2026-11-30 02:50:09.400 | INFO     | Exiting application
"""


def test_each_marker_starts_a_stage_that_lasts_until_the_next() -> None:
    seconds = stage_seconds(LOG)

    assert list(seconds) == list(STAGES)
    assert seconds == {
        "start-up": 1.0,
        "kind setup": 0.25,
        "waiting for Jira": 0.75 + 2.0 + 0.1,
        "mapping": 1.0 + 0.5,
        "Port diff searches": 1.5 + 0.5,
        "Port upserts": 0.5 + 0.1,
        "kind wrap-up": 0.3,
        "reconciliation": 0.5,
        "shutdown": 0.4,
    }
    # the stages cover the log from its first timestamp to its last
    assert round(sum(seconds.values()), 2) == 9.4


def test_a_log_without_phase_lines_is_all_start_up() -> None:
    assert set(stage_seconds("no timestamps here\n").values()) == {0.0}


def test_the_timeline_gives_each_resource_its_start_end_and_stages() -> None:
    spans = timeline(LOG)
    assert [(s.start, s.end, s.what) for s in spans] == [
        (0.0, 1.0, "start-up"),
        (1.0, 8.5, "kind issue-0"),
        (8.5, 9.4, "reconciliation, shutdown"),
    ]
    assert spans[1].stages == {
        "kind setup": 0.25,
        "waiting for Jira": 2.85,
        "mapping": 1.5,
        "Port diff searches": 2.0,
        "Port upserts": 0.6,
        "kind wrap-up": 0.3,
    }
    assert spans[1].line().startswith("   1.0 -    8.5 s  kind issue-0 (kind setup 0.2, waiting")


def test_jiras_requests_are_laid_beside_the_log_by_endpoint() -> None:
    zero = first_log_time(LOG)
    assert zero is not None
    requests = [
        (zero + 1.0, zero + 1.3, "GET /board"),
        (zero + 1.3, zero + 1.6, "GET /board/{id}/sprint"),
        (zero + 1.3, zero + 1.6, "GET /board/{id}/sprint"),
        (zero + 0.5, zero + 3.5, "POST /issue/bulkfetch"),
    ]
    rows = {r.endpoint: r for r in reads_by_endpoint(requests, zero)}
    assert list(rows) == ["POST /issue/bulkfetch", "GET /board", "GET /board/{id}/sprint"]
    sprint = rows["GET /board/{id}/sprint"]
    assert (sprint.count, sprint.first, sprint.last, sprint.mean) == (2, 1.3, 1.6, 0.3)
    assert sprint.in_flight == 2.0  # both at once
    assert rows["POST /issue/bulkfetch"].line().startswith("   0.5 -    3.5 s     1 x 3.00 s")
