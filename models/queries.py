"""Read-side queries for the pages, each loading what its page shows in a fixed number of queries."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Optional

from sqlalchemy import func, or_
from sqlalchemy.orm import aliased, selectinload
from sqlmodel import Session, col, select

from models.controls import Control
from models.drills import Drill, DrillKind, DrillStatus, Outage, Step
from models.evidence import Evidence
from models.findings import OUTSTANDING, Action, ActionStatus, ActionTransition, Finding, FindingKind, Severity
from models.links import ActionControl, DrillControl, DrillSystem, EvidenceControl, FindingControl
from models.signoffs import DrillReview, SignOff
from models.systems import System
from models.users import User


@dataclass
class Page:
    """One page of a longer list: its items, which page it is (from 1), the page size and how many items there are in all."""

    items: list[Any]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return _page_count(self.total, self.size)

    @property
    def first(self) -> int:
        """The position of the page's first item, counting from 1 (0 on an empty list)."""
        return (self.number - 1) * self.size + 1 if self.items else 0

    @property
    def last(self) -> int:
        return self.first + len(self.items) - 1 if self.items else 0


def _page_count(total: int, size: int) -> int:
    """How many pages `total` items fill; an empty list still has its one (empty) page."""
    return max(1, -(-total // size))


def _clamp(number: int, size: int, total: int) -> int:
    """A page number past the end shows the last page, not an empty one."""
    return min(max(1, number), _page_count(total, size))


def count_of(session: Session, query) -> int:
    """How many rows a query gives, counted by the database."""
    return session.exec(select(func.count()).select_from(query.order_by(None).subquery())).one()


def page_of(session: Session, query, number: int, size: int) -> Page:
    """Page `number` of an ordered query, in two queries: a count, then the page's rows with LIMIT and OFFSET."""
    total = count_of(session, query)
    number = _clamp(number, size, total)
    return Page(list(session.exec(query.limit(size).offset((number - 1) * size)).all()), number, size, total)


def page_of_list(items: list, number: int, size: int) -> Page:
    """Page `number` of a list already in memory."""
    number = _clamp(number, size, len(items))
    return Page(items[(number - 1) * size:number * size], number, size, len(items))


#: the longest search text the lists look for; the pages cut longer input, the API refuses it
MAX_SEARCH = 100


def text_contains(search: str, *columns):
    """A condition true where any of the columns contains `search`, ignoring case; % and _ are matched as themselves."""
    text = search.strip().lower()[:MAX_SEARCH]
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(*(func.lower(column).like(pattern, escape="\\") for column in columns))


def _where_equal(query, *pairs):
    """`query` narrowed to rows where each column equals its value; a value of None filters nothing."""
    for column, value in pairs:
        if value is not None:
            query = query.where(column == value)
    return query


def _linked_to_control(record_id, link_record_id, control_code: str):
    """A condition true for the records that a link table ties to the control with this code."""
    return col(record_id).in_(select(link_record_id).join(Control).where(Control.code == control_code))


def drills_query(search: str = "", status: Optional[DrillStatus] = None, kind: Optional[DrillKind] = None):
    """Drills, newest first by actual or planned start; of an amended record only its latest revision.

    `search` looks in the title, scenario and site names.
    """
    start = func.coalesce(Drill.actual_start, Drill.planned_start, Drill.created_at)
    newer = aliased(Drill)
    amended = select(newer.id).where(newer.previous_revision_id == Drill.id).exists()
    query = select(Drill).where(~amended).order_by(start.desc(), col(Drill.id).desc())
    if search.strip():
        query = query.where(text_contains(search, Drill.title, Drill.scenario, Drill.primary_site, Drill.recovery_site))
    return _where_equal(query, (Drill.status, status), (Drill.kind, kind))


def list_drills(session: Session, limit: Optional[int] = None) -> list[Drill]:
    """The drills of drills_query(), all or the first `limit`."""
    query = drills_query()
    if limit:
        query = query.limit(limit)
    return list(session.exec(query).all())


def load_drill(session: Session, drill_id: int, with_evidence: bool = True) -> Optional[Drill]:
    """A drill with everything its detail page shows, or None; the page itself shows a page of evidence, loaded apart."""
    query = (
        select(Drill)
        .where(Drill.id == drill_id)
        .options(
            selectinload(Drill.objectives),
            selectinload(Drill.participants),
            selectinload(Drill.steps).selectinload(Step.system),
            selectinload(Drill.outages).selectinload(Outage.system),
            selectinload(Drill.systems),
            selectinload(Drill.scope),
            selectinload(Drill.findings).selectinload(Finding.controls),
            selectinload(Drill.findings).selectinload(Finding.systems),
            selectinload(Drill.findings).selectinload(Finding.relation_decided_by),
            selectinload(Drill.actions).selectinload(Action.owner),
            selectinload(Drill.actions).selectinload(Action.finding),
            selectinload(Drill.actions).selectinload(Action.verified_by),
            selectinload(Drill.actions).selectinload(Action.controls),
            selectinload(Drill.controls),
            *([selectinload(Drill.evidence)] if with_evidence else []),
            selectinload(Drill.signoffs).selectinload(SignOff.signer),
            selectinload(Drill.reviews).selectinload(DrillReview.submitted_by),
        )
    )
    return session.exec(query).first()


def actions_query(status: Optional[str] = None, owner_id: Optional[int] = None, drill_id: Optional[int] = None,
                  control_code: Optional[str] = None, due_by: Optional[date] = None, search: str = "", lean: bool = False):
    """Actions matching every filter given, by due date (undated last); `status` may also be "outstanding".

    `search` looks in the title and description. Each action comes with its owner, drill, controls,
    finding and verifier, or with its owner alone when `lean` (a short list that shows no more).
    """
    related = (Action.owner,) if lean else (Action.owner, Action.drill, Action.controls, Action.finding, Action.verified_by)
    query = select(Action).options(*(selectinload(r) for r in related))
    if status == "outstanding":
        query = query.where(col(Action.status).in_(OUTSTANDING))
    elif status:
        query = query.where(Action.status == ActionStatus(status))
    query = _where_equal(query, (Action.owner_id, owner_id), (Action.drill_id, drill_id))
    if control_code:
        query = query.where(_linked_to_control(Action.id, ActionControl.action_id, control_code))
    if due_by is not None:
        query = query.where(col(Action.due_date) <= due_by)
    if search.strip():
        query = query.where(text_contains(search, Action.title, Action.description))
    return query.order_by(col(Action.due_date).is_(None), col(Action.due_date), col(Action.id))


def list_actions(session: Session, **filters) -> list[Action]:
    """Every action of actions_query(**filters)."""
    return list(session.exec(actions_query(**filters)).all())


def count_overdue_actions(session: Session, today: date) -> int:
    """How many actions are still outstanding after their due date."""
    return count_of(session, actions_query(status="outstanding", due_by=today - timedelta(days=1)))


def load_action(session: Session, action_id: int) -> Optional[Action]:
    """An action with its finding, drill, owner, controls, evidence and history, or None."""
    query = select(Action).where(Action.id == action_id).options(
        selectinload(Action.owner), selectinload(Action.drill), selectinload(Action.finding), selectinload(Action.controls),
        selectinload(Action.evidence), selectinload(Action.verified_by),
        selectinload(Action.transitions).selectinload(ActionTransition.actor),
    )
    return session.exec(query).first()


#: findings newest first: by detection time, or by when recorded if never given one
FINDING_ORDER = (func.coalesce(Finding.detected_at, Finding.created_at).desc(), col(Finding.id).desc())


def finding_choices(session: Session) -> list[tuple[int, str]]:
    """(id, title) of every finding, newest first, for a form's choice; plain columns, no records."""
    return list(session.exec(select(Finding.id, Finding.title).order_by(*FINDING_ORDER)).all())


def findings_query(search: str = "", kind: Optional[FindingKind] = None, severity: Optional[Severity] = None,
                   drill_id: Optional[int] = None, control_code: Optional[str] = None, lean: bool = False):
    """Findings matching every filter given, newest first.

    `search` looks in the title and description. Each finding comes with its drill, actions, systems
    and controls, or with its drill alone when `lean` (a short list that shows no more).
    """
    related = (Finding.drill,) if lean else (Finding.drill, Finding.actions, Finding.systems, Finding.controls)
    query = select(Finding).options(*(selectinload(r) for r in related)).order_by(*FINDING_ORDER)
    if search.strip():
        query = query.where(text_contains(search, Finding.title, Finding.description))
    query = _where_equal(query, (Finding.kind, kind), (Finding.severity, severity), (Finding.drill_id, drill_id))
    if control_code:
        query = query.where(_linked_to_control(Finding.id, FindingControl.finding_id, control_code))
    return query


def load_finding(session: Session, finding_id: int) -> Optional[Finding]:
    """A finding with its drill, systems, controls, actions and decider, or None."""
    query = select(Finding).where(Finding.id == finding_id).options(
        selectinload(Finding.drill), selectinload(Finding.systems), selectinload(Finding.controls),
        selectinload(Finding.relation_decided_by), selectinload(Finding.actions).selectinload(Action.owner),
        selectinload(Finding.evidence),
    )
    return session.exec(query).first()


def active_users(session: Session) -> list[User]:
    """Everyone who may own an action, by name."""
    return list(session.exec(select(User).where(User.active == True).order_by(User.name)).all())  # noqa: E712


def control_record_counts(session: Session) -> dict[int, dict[str, int]]:
    """For each control with linked records: how many drills, findings, actions and evidence items."""
    counts: dict[int, dict[str, int]] = {}
    for name, link in (("drills", DrillControl), ("findings", FindingControl), ("actions", ActionControl), ("evidence", EvidenceControl)):
        rows = session.exec(select(link.control_id, func.count()).group_by(link.control_id)).all()
        for control_id, n in rows:
            counts.setdefault(control_id, {"drills": 0, "findings": 0, "actions": 0, "evidence": 0})[name] = n
    return counts


def controls_query(search: str = ""):
    """The catalogue in standard order: clauses 4 to 10, then Annex A; filtered by code or title."""
    query = select(Control).order_by(Control.sort_key)
    if search.strip():
        query = query.where(text_contains(search, Control.code, Control.title))
    return query


def list_controls(session: Session, search: str = "") -> list[Control]:
    """Every control of controls_query(search)."""
    return list(session.exec(controls_query(search)).all())


def load_control(session: Session, code: str) -> Optional[Control]:
    """A control by its code ("A.5.30", "10.2") with its drills, or None.

    Its findings, actions and evidence can run to thousands: findings_query, actions_query and
    coverage.control_evidence read them a page at a time.
    """
    return session.exec(select(Control).where(Control.code == code).options(selectinload(Control.drills))).first()


def evidence_query(drill_id: Optional[int] = None, search: str = ""):
    """Evidence records (of one drill, if given), newest first, with what they are attached to.

    `search` looks in the file name, the description and the SHA-256, so an auditor can look a file up by its hash.
    """
    query = (
        select(Evidence)
        .options(selectinload(Evidence.drill), selectinload(Evidence.controls), selectinload(Evidence.uploaded_by))
        .order_by(col(Evidence.uploaded_at).desc(), col(Evidence.id).desc())
    )
    if drill_id is not None:
        query = query.where(Evidence.drill_id == drill_id)
    if search.strip():
        query = query.where(text_contains(search, Evidence.original_name, Evidence.description, Evidence.sha256))
    return query


def evidence_by_ids(session: Session, ids: list[int]) -> list[Evidence]:
    """The evidence records with these ids, in the order given."""
    found = {e.id: e for e in session.exec(select(Evidence).where(col(Evidence.id).in_(ids))).all()} if ids else {}
    return [found[i] for i in ids if i in found]


def systems_query():
    """Systems by name."""
    return select(System).order_by(System.name, System.id)


def list_systems(session: Session) -> list[System]:
    """Every system, by name."""
    return list(session.exec(systems_query()).all())


def drills_for_system(session: Session, system_id: int) -> list[Drill]:
    """Drills with the system in scope, oldest first, loaded for recovery figures."""
    query = (
        select(Drill)
        .join(DrillSystem, DrillSystem.drill_id == Drill.id)
        .where(DrillSystem.system_id == system_id)
        .options(selectinload(Drill.steps), selectinload(Drill.outages), selectinload(Drill.scope), selectinload(Drill.systems))
        .order_by(func.coalesce(Drill.actual_start, Drill.planned_start, Drill.created_at))
    )
    return list(session.exec(query).all())
