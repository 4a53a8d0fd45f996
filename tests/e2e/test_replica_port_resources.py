"""A WEBHOOKS_ONLY replica never initialises Port resources, even with
OCEAN__INITIALIZE_PORT_RESOURCES=true (what Port's own port-ocean chart renders for every pod,
and what cannot be changed there): the integration's rule (jira.ocean_defaults) holds however it
is deployed. The resync process started after it creates them."""

from __future__ import annotations

from sandbox.stack import Stack

REPLICA_LINE = "this WEBHOOKS_ONLY process never creates the default blueprints and mapping"


def test_a_replica_asked_to_initialise_creates_no_blueprint(stack: Stack) -> None:
    # Ocean initialises Port resources before it serves: once the replica answers, it is done
    with stack.integration(
        live_events=True,
        OCEAN__EVENT_LISTENER='{"type":"WEBHOOKS_ONLY"}',
        OCEAN__INITIALIZE_PORT_RESOURCES="true",
    ):
        assert stack.port_state()["blueprints"] == {}, stack.integration_log()[-3000:]
        assert stack.integration_log().count(REPLICA_LINE) == 1
    # the resync process, asked the same, does create them (so the replica's were not hidden)
    result = stack.run_once(OCEAN__INITIALIZE_PORT_RESOURCES="true")
    assert result.returncode == 0, result.output[-3000:]
    assert {"jiraProject", "jiraIssue"} <= set(stack.port_state()["blueprints"])
