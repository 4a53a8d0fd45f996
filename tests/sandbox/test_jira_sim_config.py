"""The simulator's knobs (sandbox/jira_sim/config.py) and their CLI flags (__main__.py)."""

from __future__ import annotations

import pydantic
import pytest

from sandbox.jira_sim import SimConfig
from sandbox.jira_sim.__main__ import build_parser, config_from_args


def test_config_validation_and_the_cli_knobs() -> None:
    with pytest.raises(pydantic.ValidationError):
        SimConfig(rate_429=2)
    cfg = SimConfig().merged({"latency_ms": 5})
    assert cfg.latency_ms == 5 and cfg.effective_fault_seed == 1
    knobs = '{"issues": 7, "projects": 1, "latency_ms": 300, "fail_paths": ["^/a", "^/b"]}'
    cfg = config_from_args(build_parser().parse_args(["--config-json", knobs]))
    assert (cfg.issues, cfg.projects, cfg.latency_ms) == (7, 1, 300.0)
    assert cfg.fail_paths == ["^/a", "^/b"]
    with pytest.raises(pydantic.ValidationError):
        config_from_args(build_parser().parse_args(["--config-json", '{"bogus": 1}']))
