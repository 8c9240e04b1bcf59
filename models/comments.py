"""Comments on drills, findings and actions: a discussion kept beside the record, never rewritten.

A comment is Markdown, rendered through the same allow-list as every other text. It is written once
and kept (the database refuses updates and deletes), recorded in the audit trail, and refused on a
signed drill and its findings: the discussion of a signed revision is frozen with it. Actions live on
after signing, and so do their comments. `@name@example.com` mentions an active person, who is told.
"""

import re
from datetime import datetime
from typing import Optional

from sqlmodel import Field, Session, SQLModel, col, select

from models.actions.tables import Action
from models.core.changes import create_record
from models.core.errors import RecordError
from models.core.types import UTCDateTime, utcnow
from models.drills.tables import Drill
from models.findings.tables import Finding
from models.notifications.outbox import notify
from models.notifications.tables import NotificationKind
from models.people.users import User
from models.permissions import ensure_editable

MAX_COMMENT = 5000
#: "@" and an e-mail address, as a person writes a mention
MENTION = re.compile(r"(?<![\w.])@([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")


class Comment(SQLModel, table=True):
    """One comment, on a drill or one of its findings (drill_id set, finding_id for a finding), or on an action."""

    id: Optional[int] = Field(default=None, primary_key=True)
    drill_id: Optional[int] = Field(default=None, foreign_key="drill.id", index=True, ondelete="RESTRICT")
    finding_id: Optional[int] = Field(default=None, foreign_key="finding.id", index=True, ondelete="RESTRICT")
    action_id: Optional[int] = Field(default=None, foreign_key="action.id", index=True, ondelete="RESTRICT")
    author_id: int = Field(foreign_key="user.id", ondelete="RESTRICT")
    #: the author's name when they wrote it
    author_name: str = Field(max_length=200)
    body: str
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


def add_comment(session: Session, subject: Drill | Finding | Action, body: str, actor: User, path: str) -> Comment:
    """Comment on `subject` (a Drill, Finding or Action) and tell the people it mentions; `path` is its page."""
    body = (body or "").replace("\x00", "").strip()
    if not body:
        raise RecordError({"body": "Write the comment."})
    if len(body) > MAX_COMMENT:
        raise RecordError({"body": f"At most {MAX_COMMENT} characters."})
    if isinstance(subject, Action):
        target = {"action_id": subject.id}
    else:
        drill = subject if isinstance(subject, Drill) else subject.drill
        if drill is not None:
            ensure_editable(drill)  # a signed drill's discussion is frozen with it
        finding = subject.id if isinstance(subject, Finding) else None
        target = {"drill_id": drill.id if drill else None, "finding_id": finding}
    comment = create_record(session, Comment(**target, author_id=actor.id, author_name=actor.name, body=body), actor)
    mentioned = {m.lower() for m in MENTION.findall(body)}
    if mentioned:
        people = session.exec(select(User).where(col(User.email).in_(sorted(mentioned)))).all()
        title = getattr(subject, "title", "")
        notify(
            session,
            NotificationKind.MENTIONED,
            people,
            actor,
            f"{actor.name} mentioned you: {title}",
            f"{actor.name} mentioned you in a comment on “{title}”: {body[:300]}",
            path,
            {"comment_id": comment.id, "by": actor.name},
        )
    return comment


def comments_on(session: Session, subject: Drill | Finding | Action) -> list[Comment]:
    """The comments on `subject`, oldest first; a drill's own, without its findings'."""
    if isinstance(subject, Action):
        where = Comment.action_id == subject.id
    elif isinstance(subject, Finding):
        where = Comment.finding_id == subject.id
    else:
        where = (Comment.drill_id == subject.id) & col(Comment.finding_id).is_(None)
    return list(session.exec(select(Comment).where(where).order_by(col(Comment.id))).all())
