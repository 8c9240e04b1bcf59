"""The JSON API at /api/v1: one module per resource, all on one blueprint."""
