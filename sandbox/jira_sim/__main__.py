"""CLI: ``python -m sandbox.jira_sim --port 0 --ready-file PATH [--issues 1000 ...]``.

Binds, writes the base URL to ``--ready-file`` (atomically) and prints it, then serves until
SIGTERM/SIGINT. Every :class:`SimConfig` knob is a flag (``--latency-ms 300``,
``--no-has-admin-permission``, ``--fail-paths REGEX`` repeatable) and can also come from
``--config-json '{...}'`` (or ``--config-json @file.json``); explicit flags win.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any, Union, get_args, get_origin

from sandbox.serving import cli_parser, serve_until_signalled

from .app import SimState, create_app
from .config import SimConfig


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _base_type(annotation: Any) -> Any:
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return args[0] if args else str
    return annotation


def build_parser() -> argparse.ArgumentParser:
    parser = cli_parser("python -m sandbox.jira_sim", "Local Jira Cloud simulator")
    parser.add_argument("--config-json", help="knobs as a JSON object, or @path to a JSON file")
    knobs = parser.add_argument_group("SimConfig knobs")
    for name, info in SimConfig.model_fields.items():
        base = _base_type(info.annotation)
        default = info.get_default(call_default_factory=True)
        help_text = f"default: {default!r}"
        if base is bool:
            knobs.add_argument(
                _flag(name),
                action=argparse.BooleanOptionalAction,
                default=argparse.SUPPRESS,
                help=help_text,
            )
        elif get_origin(base) is list:
            knobs.add_argument(
                _flag(name),
                action="append",
                default=argparse.SUPPRESS,
                metavar="REGEX",
                help=f"repeatable; {help_text}",
            )
        else:
            knobs.add_argument(
                _flag(name),
                type=base if base in (int, float) else str,
                default=argparse.SUPPRESS,
                help=help_text,
            )
    return parser


def config_from_args(args: argparse.Namespace) -> SimConfig:
    knobs: dict[str, Any] = {}
    if args.config_json:
        raw = args.config_json
        if raw.startswith("@"):
            raw = Path(raw[1:]).read_text(encoding="utf-8")
        loaded = json.loads(raw)
        if not isinstance(loaded, dict):
            raise SystemExit("--config-json must be a JSON object")
        knobs.update(loaded)
    for name in SimConfig.model_fields:
        if name in vars(args):
            knobs[name] = getattr(args, name)
    return SimConfig.model_validate(knobs)


def _banner(sim: SimState) -> Callable[[str], str]:
    def banner(url: str) -> str:
        ds, config = sim.dataset, sim.config
        return (
            f"jira-sim: {len(ds.projects)} projects, {len(ds.users)} users, {len(ds.teams)} teams, "
            f"{len(ds.issues)} issues, {len(ds.boards)} boards, {len(ds.worklogs)} worklogs; "
            f"basic {config.email}:{config.api_token}; oauth {url}/ex/jira/{config.cloud_id}"
        )

    return banner


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    app = create_app(config_from_args(args))
    sim: SimState = app.state.sim
    asyncio.run(serve_until_signalled(app, args, on_url=sim.serve_at, banner=_banner(sim)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
