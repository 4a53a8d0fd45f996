"""The simulator's knobs (sandbox/jira_sim/config.py) and their CLI flags (__main__.py)."""

from __future__ import annotations

import pydantic
import pytest

from sandbox.jira_sim import SimConfig
from sandbox.jira_sim.__main__ import build_parser, config_from_args


def test_config_validation_and_cli_flags() -> None:
    with pytest.raises(pydantic.ValidationError):
        SimConfig(rate_429=2)
    with pytest.raises(pydantic.ValidationError):
        SimConfig(fail_paths=["("])
    cfg = SimConfig().merged({"latency_ms": 5})
    assert cfg.latency_ms == 5 and cfg.effective_fault_seed == 1
    args = build_parser().parse_args(
        [
            "--issues",
            "7",
            "--latency-ms",
            "300",
            "--no-has-admin-permission",
            "--fail-paths",
            "^/a",
            "--fail-paths",
            "^/b",
            "--config-json",
            '{"issues": 99, "projects": 1}',
        ]
    )
    cfg = config_from_args(args)
    assert (cfg.issues, cfg.projects, cfg.latency_ms) == (7, 1, 300.0)
    assert cfg.has_admin_permission is False and cfg.fail_paths == ["^/a", "^/b"]
