"""The domain: SQLModel tables and the rules that belong to them, one package per feature. No Flask in here.

Every table is imported here so that `SQLModel.metadata` is complete for Alembic and for
relationship resolution; import names from their feature's package, not from here.
"""

from models.actions.reminders import ReminderLog
from models.actions.tables import Action, ActionTransition
from models.audit import AuditEvent
from models.comments import Comment
from models.controls.links import ActionControl, DrillControl, EvidenceControl, FindingControl
from models.controls.tables import Control
from models.drills.tables import Drill, Objective, Outage, Participant, Step
from models.evidence import Evidence
from models.findings.tables import Finding
from models.frameworks.tables import Requirement, RequirementControl
from models.notifications.tables import Notification, NotificationOptOut, Webhook
from models.people.throttle import SignInFailure
from models.people.tokens import AccessToken
from models.people.users import User
from models.reports import IssuedReport, ReportJob
from models.signoff.tables import DrillReview, SignOff, SignRequest
from models.systems import DrillSystem, FindingSystem, System

#: every table, by class
TABLES = (
    AccessToken,
    Action,
    ActionControl,
    ActionTransition,
    AuditEvent,
    Comment,
    Control,
    Drill,
    DrillControl,
    DrillReview,
    DrillSystem,
    Evidence,
    EvidenceControl,
    Finding,
    FindingControl,
    FindingSystem,
    IssuedReport,
    Notification,
    NotificationOptOut,
    Objective,
    Outage,
    Participant,
    ReminderLog,
    ReportJob,
    Requirement,
    RequirementControl,
    SignInFailure,
    SignOff,
    SignRequest,
    Step,
    System,
    User,
    Webhook,
)
