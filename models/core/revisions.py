"""Which records belong to the current revision of a drill, for lists that must show each record once.

Amending a signed drill copies its findings and evidence into the next revision; the signed one keeps
its own, unchanged. A list across drills shows only the copies in the newest revision, as a drill list
shows only the newest revision itself. Written against the drill table alone, so every feature's
queries can use it without importing the drills feature.
"""

from functools import cache

from sqlalchemy import column, or_, select, table, true

#: aliased, so the conditions also read right in a query over the drill table itself
_drill = table("drill", column("previous_revision_id")).alias("newer_revision")


def _superseded():
    """The drills that have a newer revision: usually none or a few, read once per query, not per row."""
    return select(_drill.c.previous_revision_id).where(_drill.c.previous_revision_id.is_not(None))


def in_current_revision(drill_id):
    """A condition true for rows whose drill (`drill_id`, a column) has no newer revision, or no drill at all."""
    return or_(drill_id.is_(None), drill_id.not_in(_superseded()))


def superseded_drills(session) -> list[int]:
    """The ids of drills with a newer revision, read now: for counts over large tables, which then test a
    short list (or nothing at all, when no drill was ever amended) instead of a subquery per row."""
    return list(session.execute(_superseded()).scalars())


def outside(superseded: list[int], drill_id):
    """`in_current_revision` for a list read by superseded_drills."""
    return or_(drill_id.is_(None), drill_id.not_in(superseded)) if superseded else true()


def linked_outside(superseded: list[int], record_table: str, record_id):
    """The same for a link row (`record_id`, a column) to a record of `record_table` that has a drill_id."""
    if not superseded:
        return true()
    record = _record(record_table)
    return record_id.not_in(select(record.c.id).where(record.c.drill_id.in_(superseded)))


@cache
def _record(name: str):
    return table(name, column("id"), column("drill_id")).alias(f"superseded_{name}")
