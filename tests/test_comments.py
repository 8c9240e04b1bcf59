"""Comments on drills, findings and actions: sanitised Markdown, @mentions that notify, audited, frozen with a signed drill."""

import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from models.audit import AuditEvent
from models.comments import Comment
from models.people.users import Role
from tests.helpers import Auth, csrf_token, reread, sign_demo


def as_role(app, role):
    client = app.test_client()
    Auth(client).login_as(role)
    return client


def comment(client, path, body):
    """Comment on the record whose page is `path` ("/drills/1"), from that page's form."""
    return client.post(f"/comments{path}", data={"csrf_token": csrf_token(client, "/"), "body": body})


def test_a_comment_is_sanitised_audited_and_tells_whom_it_mentions(app, db, users, demo, smtp):
    """There was no way to discuss a record beside it."""
    auditor = as_role(app, Role.AUDITOR)
    body = "Where is the TSO list? @editor@example.test <script>alert(1)</script> **please**"
    assert comment(auditor, f"/drills/{demo.id}", body).status_code == 302
    page = auditor.get(f"/drills/{demo.id}").get_data(as_text=True)
    thread = page[page.index('id="comments"') :]
    assert "<strong>please</strong>" in thread and "<script>alert" not in thread
    reread(db)
    stored = db.exec(select(Comment)).one()
    assert db.exec(select(AuditEvent).where(AuditEvent.entity_type == "comment")).one().entity_id == str(stored.id)
    deadline = time.time() + 10
    while time.time() < deadline and not [m for m in smtp.messages if m["To"] == "editor@example.test"]:
        time.sleep(0.05)
    mail = next(m for m in smtp.messages if m["To"] == "editor@example.test")
    assert "mentioned you" in str(mail["Subject"]) and "Where is the TSO list?" in mail.get_content()
    for path in (f"/findings/{demo.findings[0].id}", f"/actions/{demo.actions[0].id}"):
        assert comment(auditor, path, "Seen.").status_code == 302
        assert "Seen." in auditor.get(path).get_data(as_text=True)
    assert "Write the comment." in auditor.get(
        comment(auditor, f"/drills/{demo.id}", "   ").headers["Location"]
    ).get_data(as_text=True)


def test_comments_are_frozen_with_a_signed_drill_and_never_rewritten(app, db, users, demo):
    comment(as_role(app, Role.EDITOR), f"/drills/{demo.id}", "Before signing.")
    sign_demo(db, demo, users)
    editor = as_role(app, Role.EDITOR)
    for path in (f"/drills/{demo.id}", f"/findings/{demo.findings[0].id}"):
        refused = comment(editor, path, "After signing.")
        assert "signed" in editor.get(refused.headers["Location"]).get_data(as_text=True)
    assert comment(editor, f"/actions/{demo.actions[0].id}", "The action goes on.").status_code == 302
    reread(db)
    assert [c.body for c in db.exec(select(Comment).order_by(Comment.id)).all()] == [
        "Before signing.",
        "The action goes on.",
    ]
    with pytest.raises(DBAPIError):  # as someone with the database would try
        db.execute(text("UPDATE comment SET body = 'rewritten'"))
    db.rollback()
    with pytest.raises(DBAPIError):
        db.execute(
            Comment.__table__.insert().values(
                drill_id=demo.id,
                author_id=users[Role.EDITOR].id,
                author_name="x",
                body="sneaked in",
                created_at=demo.created_at,
            )
        )
        db.flush()
    db.rollback()
