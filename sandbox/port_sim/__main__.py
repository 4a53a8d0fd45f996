"""CLI: ``python -m sandbox.port_sim --host 127.0.0.1 --port 0 --ready-file PATH``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from sandbox.port_sim.app import create_app
from sandbox.port_sim.config import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SimConfig
from sandbox.port_sim.server import bind_socket, build_server, wait_until_started
from sandbox.port_sim.state import SimState

logger = logging.getLogger("port_sim")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox.port_sim", description="Local Port API simulator"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--ready-file", type=Path, help="write the base URL here once serving")
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
    parser.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET)
    parser.add_argument(
        "--state-file",
        type=Path,
        help="load at start if it exists; dump on exit and on POST /_sim/dump",
    )
    parser.add_argument("--org-id", default="org_sandbox")
    parser.add_argument(
        "--feature-flag", action="append", default=[], help="organization feature flag"
    )
    parser.add_argument("--token-ttl", type=int, default=10800, help="access token seconds")
    parser.add_argument(
        "--no-ingest-attributes",
        action="store_true",
        help="do not give integrations log/metric ingest URLs",
    )
    parser.add_argument("--log-level", default="info")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> int:
    config = SimConfig(
        client_id=args.client_id,
        client_secret=args.client_secret,
        org_id=args.org_id,
        feature_flags=list(args.feature_flag),
        token_ttl_seconds=args.token_ttl,
        ingest_attributes=not args.no_ingest_attributes,
        state_file=args.state_file,
    )
    if config.state_file is not None and config.state_file.exists():
        state = SimState.load(config.state_file)
        logger.info("port-sim: loaded state from %s", config.state_file)
    else:
        state = SimState()
    app = create_app(config, state)
    sock = bind_socket(args.host, args.port)
    host, port = sock.getsockname()[:2]
    base_url = f"http://{host}:{port}"
    server = build_server(app, log_level="warning")

    loop = asyncio.get_running_loop()

    def stop() -> None:
        server.should_exit = True

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop)

    task = asyncio.create_task(server.serve(sockets=[sock]))
    await wait_until_started(server, task)
    if args.ready_file is not None:
        args.ready_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = args.ready_file.with_name(f".{args.ready_file.name}.tmp")
        temporary.write_text(base_url + "\n")
        os.replace(temporary, args.ready_file)
    print(base_url, flush=True)
    logger.info("port-sim: serving on %s", base_url)
    await task
    sock.close()
    if config.state_file is not None:
        state.dump(config.state_file)
        logger.info("port-sim: state dumped to %s", config.state_file)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    return asyncio.run(serve(args))


if __name__ == "__main__":
    raise SystemExit(main())
