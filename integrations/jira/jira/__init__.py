"""The Jira side of the integration: configuration, HTTP, pagination, kinds and webhooks."""
