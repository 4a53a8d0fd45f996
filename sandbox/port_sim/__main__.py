"""CLI: ``python -m sandbox.port_sim --host 127.0.0.1 --port 0 --ready-file PATH``."""

from __future__ import annotations

import asyncio

from sandbox.port_sim.app import SimConfig, create_app
from sandbox.serving import cli_parser, serve_until_signalled


def main(argv: list[str] | None = None) -> int:
    parser = cli_parser("python -m sandbox.port_sim", "Local Port API simulator")
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="delay every API request (standard: 100)"
    )
    args = parser.parse_args(argv)
    asyncio.run(serve_until_signalled(create_app(SimConfig(latency_ms=args.latency_ms)), args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
