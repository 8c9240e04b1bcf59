"""The domain: SQLModel tables and the rules that belong to them. No Flask in here.

Every table is imported so that `SQLModel.metadata` is complete for Alembic and for
relationship resolution.
"""

from models.actions.reminders import ReminderLog
from models.actions.tables import Action, ActionKind, ActionStatus, ActionTransition, Capability, Priority, Verification
from models.audit import AuditEvent
from models.controls.links import ActionControl, DrillControl, EvidenceControl, FindingControl
from models.controls.tables import Control, ControlKind, Theme
from models.drills.tables import (
    Drill,
    DrillKind,
    DrillStatus,
    Objective,
    ObjectiveRating,
    Outage,
    OutageKind,
    Participant,
    Phase,
    Step,
    StepOutcome,
)
from models.evidence import Evidence
from models.findings.tables import DrillRelation, Finding, FindingKind, Severity
from models.people.throttle import SignInFailure
from models.people.tokens import AccessToken
from models.people.users import Role, User
from models.reports import IssuedReport, ReportJob
from models.signoff.tables import DrillReview, SignOff
from models.systems import DrillSystem, FindingSystem, System

__all__ = [
    "AccessToken",
    "SignInFailure",
    "Action",
    "ActionControl",
    "ActionTransition",
    "ReminderLog",
    "ActionKind",
    "ActionStatus",
    "AuditEvent",
    "Capability",
    "Control",
    "ControlKind",
    "Drill",
    "DrillControl",
    "DrillKind",
    "DrillRelation",
    "DrillReview",
    "DrillStatus",
    "DrillSystem",
    "Evidence",
    "EvidenceControl",
    "Finding",
    "FindingControl",
    "FindingKind",
    "FindingSystem",
    "IssuedReport",
    "ReportJob",
    "Objective",
    "ObjectiveRating",
    "Outage",
    "OutageKind",
    "Participant",
    "Phase",
    "Priority",
    "Role",
    "Severity",
    "SignOff",
    "Step",
    "StepOutcome",
    "System",
    "Theme",
    "User",
    "Verification",
]
