"""CLI: ``python -m sandbox.port_sim --host 127.0.0.1 --port 0 --ready-file PATH``."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sandbox.port_sim.app import create_app
from sandbox.port_sim.config import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SimConfig
from sandbox.port_sim.server import initial_state
from sandbox.serving import cli_parser, serve_until_signalled


def main(argv: list[str] | None = None) -> int:
    parser = cli_parser("python -m sandbox.port_sim", "Local Port API simulator")
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
    parser.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET)
    parser.add_argument(
        "--state-file",
        type=Path,
        help="load at start if it exists; dump on exit and on POST /_sim/dump",
    )
    args = parser.parse_args(argv)
    config = SimConfig(
        client_id=args.client_id, client_secret=args.client_secret, state_file=args.state_file
    )
    state = initial_state(config)
    asyncio.run(serve_until_signalled(create_app(config, state), args))
    if config.state_file is not None:
        state.dump(config.state_file)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
