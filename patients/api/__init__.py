"""The REST API under /api/v1/: thin views over the services and the scoped selectors."""
