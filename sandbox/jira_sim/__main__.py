"""CLI: ``python -m sandbox.jira_sim --port 0 --ready-file PATH [--config-json '{...}']``.

Binds, writes the base URL to ``--ready-file`` (atomically) and prints it, then serves until
SIGTERM/SIGINT. ``--config-json`` takes :class:`SimConfig` knobs as a JSON object, e.g.
``'{"issues": 1000, "latency_ms": 300}'``.
"""

from __future__ import annotations

import argparse
import asyncio

from sandbox.serving import cli_parser, serve_until_signalled

from .app import SimState, create_app
from .config import SimConfig


def build_parser() -> argparse.ArgumentParser:
    parser = cli_parser("python -m sandbox.jira_sim", "Local Jira Cloud simulator")
    parser.add_argument("--config-json", default="{}", help="SimConfig knobs as a JSON object")
    return parser


def config_from_args(args: argparse.Namespace) -> SimConfig:
    return SimConfig.model_validate_json(args.config_json)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    app = create_app(config_from_args(args))
    sim: SimState = app.state.sim

    def banner(url: str) -> str:
        ds, config = sim.dataset, sim.config
        return (
            f"jira-sim: {len(ds.projects)} projects, {len(ds.users)} users, {len(ds.teams)} teams, "
            f"{len(ds.issues)} issues, {len(ds.boards)} boards, {len(ds.worklogs)} worklogs; "
            f"basic {config.email}:{config.api_token}; oauth {url}/ex/jira/{config.cloud_id}"
        )

    asyncio.run(serve_until_signalled(app, args, on_url=sim.serve_at, banner=banner))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
