"""The dashboard opens on what this person must do next, with the count in the navigation."""

from datetime import date, timedelta

from models.actions.tables import Action, ActionStatus, ActionTransition
from models.core.types import utcnow
from models.drills.tables import Drill, DrillKind, DrillStatus
from models.people.users import Role
from tests.helpers import Auth, csrf_token


def as_role(app, role):
    client = app.test_client()
    Auth(client).login_as(role)
    return client


def section(page: str, title: str) -> str:
    start = page.index(f">{title}<")
    return page[start : page.index("</section>", start)]


def test_each_role_sees_its_own_queue(app, db, users, demo):
    """The dashboard showed the same recent drills and actions to everyone; nobody saw what was theirs to do."""
    editor, approver = users[Role.EDITOR], users[Role.APPROVER]
    today = date.today()
    mine_late = Action(title="Late DNS change", owner_id=editor.id, due_date=today - timedelta(days=3))
    mine_soon = Action(title="Soon network fix", owner_id=editor.id, due_date=today + timedelta(days=5))
    theirs = Action(title="Someone else's", owner_id=approver.id, due_date=today - timedelta(days=3))
    done = Action(title="Partner test done", owner_id=editor.id, status=ActionStatus.DONE, completed_at=utcnow())
    recording = Drill(
        title="Tabletop under way", kind=DrillKind.TABLETOP, status=DrillStatus.RUNNING, actual_start=utcnow()
    )
    db.add_all([mine_late, mine_soon, theirs, done, recording])
    db.flush()
    db.add(
        ActionTransition(
            action_id=done.id,
            from_status=ActionStatus.OPEN,
            to_status=ActionStatus.DONE,
            actor_id=editor.id,
            at=utcnow(),
        )
    )
    db.commit()

    cto = as_role(app, Role.APPROVER).get("/").get_data(as_text=True)
    assert demo.title in section(cto, "Awaiting your signature")
    assert "Partner test done" in section(cto, "Awaiting your verification")
    assert 'class="count"' in cto and "Late DNS change" not in section(cto, "Your work")

    engineer = as_role(app, Role.EDITOR).get("/").get_data(as_text=True)
    work = section(engineer, "Your work")
    assert "Late DNS change" in section(engineer, "Your actions overdue")
    assert "Soon network fix" in section(engineer, "Your actions due soon")
    assert "Someone else" not in work and "Awaiting your signature" not in work
    assert "Partner test done" not in work, "an owner never verifies their own action"
    assert "Tabletop under way" in section(engineer, "Drills being recorded")


def test_a_drill_sent_back_is_in_its_submitters_queue(app, db, users, demo):
    demo.status = DrillStatus.RUNNING
    db.commit()
    editor, approver = as_role(app, Role.EDITOR), as_role(app, Role.APPROVER)
    editor.post(f"/drills/{demo.id}/submit", data={"csrf_token": csrf_token(editor, "/")})
    approver.post(
        f"/drills/{demo.id}/return", data={"csrf_token": csrf_token(approver, "/"), "reason": "Rate the objectives."}
    )
    sent_back = section(editor.get("/").get_data(as_text=True), "Sent back to you")
    assert demo.title in sent_back and "Rate the objectives." in sent_back
    assert "Sent back to you" not in as_role(app, Role.AUDITOR).get("/").get_data(as_text=True)
