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
import os
import signal
import sys
import types
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import uvicorn

from .app import create_app
from .config import SimConfig
from .server import bind_socket, make_server, url_of


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _base_type(annotation: Any) -> Any:
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return args[0] if args else str
    return annotation


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox.jira_sim", description="Local Jira Cloud simulator"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    parser.add_argument("--ready-file", type=Path, help="write the base URL here once listening")
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


def _write_ready(path: Path, url: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(url + "\n", encoding="utf-8")
    tmp.replace(path)


async def serve(config: SimConfig, host: str, port: int, ready_file: Path | None) -> None:
    app = create_app(config)
    sock = bind_socket(host, port)
    server = make_server(app, sock, embedded=True, graceful_s=2)
    url = url_of(sock)
    sim = app.state.sim
    sim.dataset.public_base = url
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, _stop, server)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            await task
            return
        await asyncio.sleep(0.01)
    if ready_file is not None:
        _write_ready(ready_file, url)
    print(url, flush=True)
    ds = sim.dataset
    print(
        f"jira-sim: {len(ds.projects)} projects, {len(ds.users)} users, {len(ds.teams)} teams, "
        f"{len(ds.issues)} issues, {len(ds.boards)} boards, {len(ds.worklogs)} worklogs; "
        f"basic {config.email}:{config.api_token}; "
        f"oauth {url}/ex/jira/{config.cloud_id}",
        file=sys.stderr,
        flush=True,
    )
    await task


def _stop(server: uvicorn.Server) -> None:
    """First signal: graceful stop; second: force."""
    if server.should_exit:
        server.force_exit = True
    server.should_exit = True


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    config = config_from_args(args)
    try:
        asyncio.run(serve(config, args.host, args.port, args.ready_file))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
