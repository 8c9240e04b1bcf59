"""The domain: SQLModel tables and the rules that belong to them. No Flask in here.

Every table is imported so that `SQLModel.metadata` is complete for Alembic and for
relationship resolution.
"""

from models.audit import AuditEvent
from models.controls import Control, ControlKind, Theme
from models.drills import Drill, DrillKind, DrillStatus, Objective, ObjectiveRating, Outage, OutageKind, Participant, Phase, Step, StepOutcome
from models.evidence import Evidence
from models.findings import Action, ActionKind, ActionTransition, ActionStatus, Capability, DrillRelation, Finding, FindingKind, Priority, Severity, Verification
from models.links import ActionControl, DrillControl, DrillSystem, EvidenceControl, FindingControl, FindingSystem
from models.reports import IssuedReport, ReportJob
from models.signoffs import DrillReview, SignOff
from models.systems import System
from models.throttle import SignInFailure
from models.tokens import AccessToken
from models.users import ReminderLog, Role, User

__all__ = [
    "AccessToken", "SignInFailure", "Action", "ActionControl", "ActionTransition", "ReminderLog", "ActionKind", "ActionStatus", "AuditEvent", "Capability", "Control",
    "ControlKind", "Drill", "DrillControl", "DrillKind", "DrillRelation", "DrillReview", "DrillStatus", "DrillSystem",
    "Evidence", "EvidenceControl", "Finding", "FindingControl", "FindingKind", "FindingSystem", "IssuedReport", "ReportJob",
    "Objective", "ObjectiveRating", "Outage", "OutageKind", "Participant", "Phase", "Priority", "Role",
    "Severity", "SignOff", "Step", "StepOutcome", "System", "Theme", "User", "Verification",
]
