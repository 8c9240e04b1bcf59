"""Which records belong to the current revision of a drill, for lists that must show each record once.

Amending a signed drill copies its findings and evidence into the next revision; the signed one keeps
its own, unchanged. A list across drills shows only the copies in the newest revision, as a drill list
shows only the newest revision itself. Written against the drill table alone, so every feature's
queries can use it without importing the drills feature.
"""

from sqlalchemy import column, exists, table

#: aliased, so the condition also reads right in a query over the drill table itself
_drill = table("drill", column("previous_revision_id")).alias("newer_revision")


def in_current_revision(drill_id):
    """A condition true for rows whose drill (`drill_id`, a column) has no newer revision, or no drill at all."""
    return ~exists().where(_drill.c.previous_revision_id == drill_id)


def record_in_current_revision(record_table: str, record_id):
    """The same for a link row (`record_id`, a column) to a record of `record_table` that has a drill_id."""
    record = table(record_table, column("id"), column("drill_id")).alias(f"linked_{record_table}")
    return exists().where(record.c.id == record_id, in_current_revision(record.c.drill_id))
