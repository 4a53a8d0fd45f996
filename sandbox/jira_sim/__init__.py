"""A local Jira Cloud simulator (HTTP on 127.0.0.1) for demos, e2e tests, benchmarks and drills.

Quick use::

    from sandbox.jira_sim import SimConfig, running_jira_sim

    async with running_jira_sim(SimConfig(issues=200)) as sim:
        ...  # sim.base_url, sim.state.dataset, sim.state.stats
"""

from .app import SimState, create_app
from .config import SimConfig
from .data import Dataset, generate_dataset
from .server import SimHandle, running_jira_sim

__all__ = [
    "Dataset",
    "SimConfig",
    "SimHandle",
    "SimState",
    "create_app",
    "generate_dataset",
    "running_jira_sim",
]
