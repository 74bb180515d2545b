"""Typed clients of each service, following the committed contracts in openapi/."""
