"""Review and sign-off: the content submitted, the approver's signature over its hash, and revisions."""
