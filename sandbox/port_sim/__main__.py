"""CLI: ``python -m sandbox.port_sim --host 127.0.0.1 --port 0 --ready-file PATH``."""

from __future__ import annotations

import asyncio

from sandbox.port_sim.app import create_app
from sandbox.port_sim.config import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SimConfig
from sandbox.serving import cli_parser, serve_until_signalled


def main(argv: list[str] | None = None) -> int:
    parser = cli_parser("python -m sandbox.port_sim", "Local Port API simulator")
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
    parser.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET)
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="delay every API request (standard: 100)"
    )
    args = parser.parse_args(argv)
    config = SimConfig(
        client_id=args.client_id, client_secret=args.client_secret, latency_ms=args.latency_ms
    )
    asyncio.run(serve_until_signalled(create_app(config), args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
