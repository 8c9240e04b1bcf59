"""The JSON API at /api/v1, for scripts and monitors: the same records, rules and audit trail as the pages.

Callers authenticate with a personal access token (views/support/access.py). Bodies are JSON
objects validated by the same input models as the forms; every error is RFC 9457 problem JSON,
and validation errors name each field. One module per resource adds its routes to the one
blueprint; views/api/openapi.py describes them.
"""

from views.api import actions, controls, drills, evidence, findings  # noqa: F401  (each adds its routes to bp)
from views.api.support import bp

__all__ = ["bp"]
