"""Live events from Jira webhooks: the HTTP gate, the processors, and webhook registration."""
