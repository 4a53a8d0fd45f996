"""A local simulator of Port's REST API, as far as Ocean (port-ocean 0.56) calls it.

Public API::

    from sandbox.port_sim import SimConfig, create_app, get_sim

    app = create_app(SimConfig())     # Starlette; serve it (sandbox.serving) or use ASGITransport
    get_sim(app).state, get_sim(app).faults, get_sim(app).stats

CLI: ``python -m sandbox.port_sim --port 0 --ready-file PATH``.
See README.md in this directory for the endpoints and the ``/_sim`` control routes.
"""

from sandbox.port_sim.app import PortSim, SimConfig, create_app, get_sim
from sandbox.port_sim.state import SimState

__all__ = ["PortSim", "SimConfig", "SimState", "create_app", "get_sim"]
